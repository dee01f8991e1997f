#!/bin/bash
# Real programs survive a checkpoint and restore: sleep, a shell loop counting
# on without starting over, and python3 holding a large dict.  Each is
# dumped (the task must go), restored detached (same pid), and checked.
. "$(dirname "$0")/../lib/lib.sh"

if "$CRIU" dump -t 1 -D "$T" 2>&1 | grep -q "'dump' is not supported yet"; then
	skip "real programs: criu dump is not built yet"
	exit 0
fi

# cr NAME: dump $pid into $T/NAME and restore it; "" or why it failed.
cr() {
	local d=$T/$1
	mkdir -p "$d"
	"$CRIU" dump -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/dump.err" || { echo "dump failed: $(grep -m1 Error "$d/dump.err")"; return; }
	wait_for 5 gone "$pid" || { echo "task still there after dump"; return; }
	reap "$pid"
	"$CRIU" restore -D "$d" -d -v4 -o restore.log 2>"$d/restore.err" || { echo "restore failed: $(grep -m1 Error "$d/restore.err")"; return; }
	gone "$pid" && echo "restored task is not running"
}

# sleep: comes back with the same pid and command line, and still sleeps.
spawn_clean sleep 1000 </dev/null >/dev/null 2>&1
sleep 0.2
cmd0=$(tr '\0' ' ' </proc/$pid/cmdline)
why=$(cr sleep)
if [ -z "$why" ]; then
	[ "$(tr '\0' ' ' </proc/$pid/cmdline)" = "$cmd0" ] || why="command line changed"
	sleep 0.3
	gone "$pid" && why="sleep ended early"
fi
kill -9 "$pid" 2>/dev/null; reap "$pid"
[ -z "$why" ] && pass "sleep" || fail "sleep: $why"

# A shell loop of builtins (no fork) appending a counter to a file: after
# restore the numbers go on from where they were, never back to the start.
out=$T/loop.out
spawn_clean bash -c 'i=0; while :; do i=$((i+1)); if [ $((i % 20000)) = 0 ]; then echo $i >>'"$out"'; fi; done' </dev/null >/dev/null 2>&1
wait_for 10 test -s "$out"
why=$(cr loop)
if [ -z "$why" ]; then
	n0=$(wc -l <"$out")
	grown() { [ "$(wc -l <"$out")" -gt "$((n0 + 3))" ]; }
	wait_for 10 grown || why="the loop does not count on"
	if ! awk 'NR > 1 && $1 != prev + 20000 { bad = 1 } { prev = $1 } END { exit bad }' "$out"; then
		why="the count restarted or skipped: $(head -c 300 "$out" | tr '\n' ' ')"
	fi
fi
kill -9 "$pid" 2>/dev/null; reap "$pid"
[ -z "$why" ] && pass "shell loop" || fail "shell loop: $why"

# python3 with a dict of a million entries checks it on SIGTERM.
res=$T/py.out
spawn_clean /usr/bin/python3 -c '
import signal, sys, time
d = {i: str(i) * 3 for i in range(1000000)}
s0 = sum(len(v) for v in d.values())
done = False
def term(sig, frm):
    global done
    done = True
signal.signal(signal.SIGTERM, term)
open(sys.argv[1] + ".ready", "w").close()
while not done:
    time.sleep(0.05)
ok = len(d) == 1000000 and sum(len(v) for v in d.values()) == s0 and d[123456] == "123456" * 3
open(sys.argv[1], "w").write("PASS\n" if ok else "FAIL\n")
' "$res" </dev/null >/dev/null 2>&1
wait_for 30 test -e "$res.ready"
why=$(cr python)
if [ -z "$why" ]; then
	kill -TERM "$pid"
	wait_for 20 test -s "$res" || why="no result after restore"
	[ -z "$why" ] && ! grep -q PASS "$res" && why="python says the dict changed"
fi
kill -9 "$pid" 2>/dev/null; reap "$pid"
[ -z "$why" ] && pass "python3 dict" || fail "python3 dict: $why"
