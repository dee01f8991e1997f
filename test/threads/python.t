#!/bin/bash
# /usr/bin/python3 with threads survives dump and restore: 4
# threading.Thread workers append their own sequence numbers to one list
# under a lock (the GIL and the lock: futex waits in every thread); after
# restore the same threads go on appending, and when asked (SIGTERM) the
# interpreter checks that every worker's numbers are complete, in order,
# and grew after the restore.
. "$(dirname "$0")/../lib/lib.sh"

cat >"$T/workers.py" <<'PY'
import os, signal, sys, threading, time
N = 4
items, lock, stop = [], threading.Lock(), threading.Event()
mark = [None]

def work(k):
    n = 0
    while not stop.is_set():
        with lock:
            items.append((k, n))
        n += 1
        time.sleep(0.001)

def on_usr1(sig, frame):
    with lock:
        mark[0] = len(items)
    print("marked", flush=True)

signal.signal(signal.SIGUSR1, on_usr1)
term = threading.Event()
signal.signal(signal.SIGTERM, lambda s, f: term.set())
ts = [threading.Thread(target=work, args=(k,)) for k in range(N)]
for t in ts:
    t.start()
print("started", threading.active_count(), flush=True)
while not term.is_set():
    term.wait(0.05)
# up to 3 s for the list to grow past the mark (a loaded machine)
for _ in range(300):
    with lock:
        if mark[0] is not None and len(items) > mark[0] + N:
            break
    time.sleep(0.01)
stop.set()
for t in ts:
    t.join()
seen = [0] * N
for k, n in items:
    if n != seen[k]:
        print("FAIL: worker %d appended %d after %d" % (k, n, seen[k] - 1), flush=True)
        sys.exit(1)
    seen[k] += 1
if mark[0] is None or len(items) <= mark[0] + N:
    print("FAIL: the list did not grow after the restore (%s, %d)" % (mark[0], len(items)), flush=True)
    sys.exit(1)
print("PASS", len(items), "items, per worker", seen, flush=True)
PY

tids() { ls "/proc/$1/task" 2>/dev/null | sort -n | tr '\n' ' '; }
got() { grep -q "$2" "$1"; }

w=$T/py
mkdir -p "$w/img"
why=
spawn_clean /usr/bin/python3 -u "$T/workers.py" </dev/null >"$w/out" 2>&1
wait_for 10 got "$w/out" started || why="did not start"
sleep 0.3
before=$(tids "$pid")
[ "$(echo $before | wc -w)" -ge 5 ] || why="${why:-only threads $before}"
if [ -z "$why" ]; then
	"$CRIU" dump -t "$pid" -D "$w/img" -o dump.log 2>/dev/null || why="dump failed: $(grep -m1 Error "$w/img/dump.log")"
fi
if [ -z "$why" ]; then
	wait_for 5 gone "$pid" || why="still running after dump"
	reap "$pid"
fi
if [ -z "$why" ]; then
	"$CRIU" restore -D "$w/img" -d -o restore.log 2>/dev/null ||
		why="restore failed: $(grep -m1 Error "$w/img/restore.log")"
fi
if [ -z "$why" ]; then
	after=$(tids "$pid")
	[ "$before" = "$after" ] || why="threads $before became $after"
fi
if [ -z "$why" ]; then
	kill -USR1 "$pid"
	wait_for 5 got "$w/out" marked || why="no mark after restore"
	sleep 0.2
	kill -TERM "$pid"
	wait_for 10 gone "$pid" || why="did not end"
	grep -q '^PASS' "$w/out" || why="it says: $(grep -m1 -E 'FAIL|Error' "$w/out" || echo nothing)"
fi
kill -9 "$pid" 2>/dev/null
reap "$pid"
[ -z "$why" ] && pass "threads python3 ($(grep -m1 '^PASS' "$w/out" | cut -d' ' -f2) items)" || fail "threads python3: $why"
