#!/bin/bash
# Dump and restore of one process, end to end, with test/progs/counter (a
# counter that checks its memory and registers every tick): the count goes
# on from where it was frozen, with the same pid, in each way of ending a
# dump (kill, -R, -s) and of restoring (-d, staying the parent, -s).
. "$(dirname "$0")/../lib/lib.sh"
PROG=$CRIU_TOP/${BUILD:-build}/test/progs/counter
mkdir -p "$T/plain" "$T/r1" "$T/r2" "$T/s"

# start_counter OUT [ARGS]: a counter writing to OUT; sets $pid.
start_counter() {
	local out=$1
	shift
	rm -f "$T/ready"
	COUNTER_READY=$T/ready spawn_clean "$PROG" -i 20 "$@" </dev/null >"$out" 2>&1
	wait_for 10 test -e "$T/ready"
}

last() { tail -n 1 "$1" 2>/dev/null; }

# counts_on OUT: the numbers go on past the current last one, each one more
# than the one before, with no FAIL.
more_lines() { [ "$(wc -l <"$1")" -gt "$2" ]; }
counts_on() {
	local out=$1 n0
	n0=$(wc -l <"$out")
	wait_for 10 more_lines "$out" "$((n0 + 3))" || return 1
	! grep -q FAIL "$out" && awk '$1 != NR { bad = 1 } END { exit bad }' "$out"
}

# finish PID OUT: SIGTERM, the counter's own check says PASS.
finish() {
	kill -TERM "$1" 2>/dev/null
	wait_for 10 gone "$1" && grep -q '^PASS' "$2"
}

stopped() { [ "$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)" = T ]; }

# --- plain: dump kills, restore -d brings it back
out=$T/plain.out
start_counter "$out"
why=
if ! "$CRIU" dump -t "$pid" -D "$T/plain" -v4 -o dump.log; then
	why="dump failed"
elif ! wait_for 5 gone "$pid"; then
	why="task alive after dump"
else
	reap "$pid"
	n=$(last "$out")
	if ! "$CRIU" restore -D "$T/plain" -d -v4 -o restore.log --pidfile "$T/pidfile"; then
		why="restore failed"
	elif [ "$(cat "$T/pidfile")" != "$pid" ]; then
		why="pidfile says $(cat "$T/pidfile"), not $pid"
	elif ! counts_on "$out"; then
		why="does not count on from $n: $(tail -n 3 "$out" | tr '\n' ' ')"
	elif ! finish "$pid" "$out"; then
		why="no PASS at the end: $(tail -n 1 "$out")"
	fi
fi
check_why() { [ -z "$why" ] && pass "$1" || { fail "$1: $why"; grep -h Error "$T"/*/*.log 2>/dev/null | head -3; }; }
check_why "counter: dump, restore -d"

# every image decodes with crit
bad=
for f in "$T"/plain/*.img "$T"/plain/stats-*; do
	case $f in */pages-*) continue ;; esac
	"$CRIT" decode -i "$f" >/dev/null 2>&1 || bad="$bad $(basename "$f")"
done
[ -z "$bad" ] && pass "counter: crit decodes every image" || fail "counter: crit can't decode$bad"

# --- -R twice, restore the second; then the restored one with -s
out=$T/r.out
start_counter "$out" -n 32
why=
if ! "$CRIU" dump -t "$pid" -D "$T/r1" -R -o dump.log; then
	why="dump -R failed"
elif gone "$pid" || ! counts_on "$out"; then
	why="not running on after dump -R"
elif ! "$CRIU" dump -t "$pid" -D "$T/r2" -o dump.log; then
	why="second dump failed"
else
	wait_for 5 gone "$pid"
	reap "$pid"
	if ! "$CRIU" restore -D "$T/r2" -d -s -o restore.log; then
		why="restore -s failed"
	elif ! wait_for 5 stopped "$pid"; then
		why="not stopped after restore -s"
	else
		n=$(wc -l <"$out")
		sleep 0.2
		if [ "$(wc -l <"$out")" != "$n" ]; then
			why="counts while stopped"
		else
			kill -CONT "$pid"
			counts_on "$out" || why="does not count on after SIGCONT"
			finish "$pid" "$out" || why="no PASS at the end"
		fi
	fi
fi
check_why "counter: dump -R twice, restore -s of the second (32 MiB)"

# --- dump -s leaves it stopped; a dump of a stopped task restores it
# stopped; restore without -d: criu is the parent and exits with its status
out=$T/s.out
start_counter "$out"
why=
mkdir -p "$T/s2"
if ! "$CRIU" dump -t "$pid" -D "$T/s" -s -o dump.log; then
	why="dump -s failed"
elif ! wait_for 5 stopped "$pid"; then
	why="not stopped after dump -s"
elif ! "$CRIU" dump -t "$pid" -D "$T/s2" -o dump.log; then
	why="dump of the stopped task failed"
else
	wait_for 5 gone "$pid"
	reap "$pid"
	"$CRIU" restore -D "$T/s2" -o restore.log --display-stats >"$T/stats.out" &
	criu_pid=$!
	track_pid "$criu_pid"
	if ! wait_for 5 test -d "/proc/$pid"; then
		why="not restored"
	else
		# it was stopped when dumped: it comes back stopped
		wait_for 5 stopped "$pid" || why="not stopped after restore"
		kill -CONT "$pid"
		counts_on "$out" || why="does not count on"
		[ "$(sed -n 's/^PPid:\s*//p' "/proc/$pid/status")" = "$criu_pid" ] || why="criu is not its parent"
		kill -TERM "$pid"
		wait "$criu_pid"
		rc=$?
		[ "$rc" = 0 ] || why="criu exited with $rc, not the task's 0"
		grep -q '^PASS' "$out" || why="no PASS at the end"
		grep -q "Pages restored:" "$T/stats.out" || why="no restore stats shown"
	fi
fi
check_why "counter: dump -s, restore as parent"

# --- a chain: dump, restore, dump the restored task, restore again (x3)
out=$T/chain.out
start_counter "$out"
why=
for i in 1 2 3; do
	mkdir -p "$T/chain$i"
	if ! "$CRIU" dump -t "$pid" -D "$T/chain$i" -o dump.log; then
		why="dump $i failed: $(grep -m1 Error "$T/chain$i/dump.log")"
		break
	fi
	reap "$pid"
	# its parent (us, or the subreaper after restore -d) reaps it: the pid must be free
	if ! wait_for 5 test ! -e "/proc/$pid"; then
		why="pid $pid not freed after dump $i"
		break
	fi
	if ! "$CRIU" restore -D "$T/chain$i" -d -o restore.log; then
		why="restore $i failed: $(grep -m1 Error "$T/chain$i/restore.log")"
		break
	fi
	counts_on "$out" || { why="does not count on after restore $i"; break; }
done
[ -z "$why" ] && ! finish "$pid" "$out" && why="no PASS at the end"
check_why "counter: dump and restore three times over"


# --- another kernel's vDSO (simulated: the image's vDSO gets a byte changed
# in its padding): the dumped vDSO comes back as plain memory whose
# functions jump to this kernel's, which moves elsewhere; time() still works
out=$T/vdso.out
start_counter "$out" -V -s 100000
mkdir -p "$T/vdso"
why=
if ! "$CRIU" dump -t "$pid" -D "$T/vdso" -o dump.log; then
	why="dump failed"
else
	reap "$pid"
	wait_for 5 test ! -e "/proc/$pid"
	cat >"$T/vdso-end.py" <<'PY'
import json, subprocess, sys
crit, d, pid = sys.argv[1:4]
def load(f):
    return json.loads(subprocess.check_output([crit, "decode", "-i", f"{d}/{f}"]))["entries"]
v = [v for v in load(f"mm-{pid}.img")[0]["vmas"] if v["status"] & (1 << 3)][0]
off = 0
for e in load(f"pagemap-{pid}.img")[1:]:
    end = e["vaddr"] + e["nr_pages"] * 4096
    if e["vaddr"] <= v["start"] and end >= v["end"]:
        print(v["start"], off + (v["end"] - e["vaddr"]) - 1)
        break
    off += e["nr_pages"] * 4096
PY
	set -- $(/usr/bin/python3 "$T/vdso-end.py" "$CRIT" "$T/vdso" "$pid")
	old=$1 off=${2:-}
	if [ -z "$off" ]; then
		why="the image lacks vDSO pages"
	else
		printf '\x5a' | dd of="$T/vdso/pages-1.img" bs=1 seek="$off" conv=notrunc status=none
		if ! "$CRIU" restore -D "$T/vdso" -d -v4 -o restore.log; then
			why="restore failed: $(grep -m1 Error "$T/vdso/restore.log")"
		elif ! grep -q "another kernel's" "$T/vdso/restore.log"; then
			why="the vDSO was not taken for another kernel's"
		elif [ "$(printf %x "$old")" = "$(sed -n 's/-.*\[vdso\]//p' "/proc/$pid/maps")" ]; then
			why="this kernel's vDSO did not move"
		elif ! counts_on "$out"; then
			why="does not count on"
		elif ! finish "$pid" "$out"; then
			why="no PASS at the end"
		fi
	fi
fi
check_why "counter: another kernel's vDSO is redirected to this one's"

exit 0
