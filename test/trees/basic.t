#!/bin/bash
# Process trees beyond the C/R suite: a failed dump leaves every task of
# the tree running (also two refused for processes sharing memory in ways not
# supported); a failed restore leaves none; -s on dump and restore
# stops every task; --pidfile names the root; a tree CRIU 4.2 dumped
# (a shell pipeline) comes back.
. "$(dirname "$0")/../lib/lib.sh"
PROG=$CRIU_TOP/${BUILD:-build}/test/cr/tree-levels
FIX=$CRIU_TOP/../shared/fixtures/criu-4.2/pipeline
[ -d "$FIX" ] || FIX=/work/shared/fixtures/criu-4.2/pipeline

# Every pid of the tree under $1, one per line.
tree_pids() {
	local p=$1 k
	echo "$p"
	for k in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
		tree_pids "$k"
	done
}
all_state() { # all_state STATE PIDS...: every pid is in that /proc state
	local want=$1 p st
	shift
	for p in "$@"; do
		st=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$p/stat" 2>/dev/null)
		[ "$st" = "$want" ] || return 1
	done
}
none_left() { local p; for p in "$@"; do [ -e "/proc/$p" ] && return 1; done; return 0; }

start() {
	rm -f "$T/ready"
	CRTEST_READY=$T/ready spawn_clean "$PROG" </dev/null >"$T/out" 2>&1
	wait_for 10 test -e "$T/ready"
}
finish() { # finish NAME: SIGTERM to the root, its verdict
	kill -TERM "$pid"
	wait_for 10 gone "$pid"
	if grep -q '^PASS' "$T/out"; then pass "$1"; else fail "$1: $(grep -m1 FAIL "$T/out")"; fi
	kill -9 "$pid" 2>/dev/null
	reap "$pid"
}

cat >"$T/fail.sh" <<'EOS'
#!/bin/sh
[ "$CRTOOLS_SCRIPT_ACTION" = "$FAIL_AT" ] && exit 1
exit 0
EOS
chmod +x "$T/fail.sh"

# --- a failed dump: the whole tree runs on, untouched
start
mapfile -t pids < <(tree_pids "$pid")
mkdir -p "$T/d1"
if FAIL_AT=post-dump "$CRIU" dump -t "$pid" -D "$T/d1" --action-script "$T/fail.sh" -o dump.log 2>"$T/err"; then
	fail "failed dump of a tree: it succeeded"
elif ! all_state S "${pids[@]}"; then
	fail "failed dump of a tree: not every one of ${#pids[@]} tasks runs on"
else
	finish "failed dump of a tree of ${#pids[@]}: every task runs on"
fi
kill -9 "$pid" 2>/dev/null
reap "$pid"

# --- processes sharing their memory (CLONE_VM, not threads) in a way not supported
# (not their signal handlers; their signal handlers but an fd table of its own
# that differs): refused by name, the tree runs on.  CLONE_VM|CLONE_SIGHAND
# children are dumped and restored (tree-sighand in the C/R suite).
for v in vm:"not their signal handlers (CLONE_SIGHAND): not supported" \
	sighand:"not their fd table (CLONE_FILES), and their fds differ: not supported"; do
	arg=${v%%:*} want=${v#*:}
	rm -f "$T/ready"
	CRTEST_READY=$T/ready spawn_clean "$CRIU_TOP/${BUILD:-build}/test/cr/tree-clonevm" "$arg" </dev/null >"$T/out" 2>&1
	if ! wait_for 10 test -e "$T/ready"; then
		fail "dump of processes sharing memory ($arg): the test did not start"
	elif mkdir -p "$T/d0" && "$CRIU" dump -t "$pid" -D "$T/d0" -o dump.log 2>"$T/err"; then
		fail "dump of processes sharing memory ($arg): it succeeded"
	elif ! grep -q "share their memory (CLONE_VM), but $want" "$T/err"; then
		fail "dump of processes sharing memory ($arg): $(grep -m1 Error "$T/err")"
	elif ! all_state S "$pid" $(cat /proc/"$pid"/task/*/children 2>/dev/null); then
		fail "dump of processes sharing memory ($arg): the tree does not run on"
	else
		finish "dump of processes sharing memory ($arg): refused by name, the tree runs on"
	fi
	kill -9 "$pid" 2>/dev/null
	reap "$pid"
done

# --- dump -s: every task stopped; then a failed restore leaves nothing
start
mapfile -t pids < <(tree_pids "$pid")
mkdir -p "$T/d2"
if ! "$CRIU" dump -t "$pid" -D "$T/d2" -s -o dump.log 2>"$T/err"; then
	fail "dump -s of a tree: $(grep -m1 Error "$T/err")"
else
	all_state T "${pids[@]}" && pass "dump -s: all ${#pids[@]} tasks stopped" || fail "dump -s: not all stopped"
fi
kill -9 "$pid" 2>/dev/null
reap "$pid"
wait_for 5 none_left "${pids[@]}"
if FAIL_AT=post-restore "$CRIU" restore -D "$T/d2" --action-script "$T/fail.sh" -o restore.log 2>"$T/err"; then
	fail "failed restore of a tree: it succeeded"
elif ! none_left "${pids[@]}"; then
	fail "failed restore of a tree: tasks are left: $(for p in "${pids[@]}"; do [ -e /proc/$p ] && echo -n "$p "; done)"
else
	pass "failed restore of a tree: none of its ${#pids[@]} tasks is left"
fi

# --- a failure inside one task (a leaf's core with a 32-bit signal action,
# refused in the task itself): the whole tree goes, the error names the task
leaf=${pids[${#pids[@]} - 1]}
cp -r "$T/d2" "$T/d3"
if "$CRIT" decode -i "$T/d3/core-$leaf.img" -o "$T/core.json" &&
	/usr/bin/python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
j['entries'][0]['tc']['sigactions'][0]['compat_sigaction'] = True
json.dump(j, open(sys.argv[1], 'w'))" "$T/core.json" &&
	"$CRIT" encode -i "$T/core.json" -o "$T/d3/core-$leaf.img"; then
	if "$CRIU" restore -D "$T/d3" -o restore.log 2>"$T/err"; then
		fail "restore failing in task $leaf: it succeeded"
	elif ! grep -q "restoring process $leaf failed" "$T/err"; then
		fail "restore failing in task $leaf: the error does not name it: $(grep -m1 Error "$T/err")"
	elif ! wait_for 5 none_left "${pids[@]}"; then
		fail "restore failing in task $leaf: tasks are left"
	else
		pass "restore failing in one task of ${#pids[@]}: none is left"
	fi
else
	fail "restore failing in one task: can't edit core-$leaf.img"
fi

# --- restore -s and --pidfile: every task stopped, the root's pid in the file
if ! "$CRIU" restore -D "$T/d2" -d -s --pidfile "$T/pidfile" -o restore2.log 2>"$T/err"; then
	fail "restore -s of a tree: $(grep -m1 Error "$T/err")"
else
	pid=${pids[0]}
	track_pid "$pid"
	[ "$(cat "$T/pidfile" 2>/dev/null)" = "$pid" ] &&
		pass "restore --pidfile of a tree: the root's pid" || fail "restore --pidfile: $(cat "$T/pidfile" 2>&1)"
	if wait_for 5 all_state T "${pids[@]}"; then
		pass "restore -s: all ${#pids[@]} tasks stopped"
	else
		fail "restore -s: not all stopped"
	fi
	kill -CONT "${pids[@]}"
	finish "restore -s, then SIGCONT: the tree checks out"
fi

# --- a shell forking all the time (children caught mid-fork, mid-exec or
# just ended): three dumps and restores in a row, and it counts on
spawn_clean bash -c 'i=0; while :; do /bin/true; i=$((i + 1)); echo $i >"$0.tmp"; mv "$0.tmp" "$0"; done' \
	"$T/count" </dev/null >/dev/null 2>&1
wait_for 5 test -s "$T/count"
why=
for c in 1 2 3; do
	mkdir -p "$T/loop$c"
	if ! "$CRIU" dump -t "$pid" -D "$T/loop$c" -o dump.log 2>"$T/err"; then
		why="dump $c: $(grep -m1 Error "$T/err")"
		break
	fi
	wait_for 5 gone "$pid"
	reap "$pid"
	if ! "$CRIU" restore -D "$T/loop$c" -d -o restore.log 2>"$T/err"; then
		why="restore $c: $(grep -m1 Error "$T/err")"
		break
	fi
	n0=$(cat "$T/count")
	more() { [ "$(cat "$T/count")" -gt "$((n0 + 3))" ]; }
	if ! wait_for 10 more; then
		why="cycle $c: it does not count on after the restore ($n0)"
		break
	fi
done
kill -9 "$pid" 2>/dev/null
[ -z "$why" ] && pass "a shell forking in a loop: 3 dumps and restores, it counts on" ||
	fail "a shell forking in a loop: $why"

# --- a tree CRIU 4.2 dumped: sh -c 'yes | ...' style pipeline
if [ ! -e "$FIX/pstree.img" ]; then
	skip "CRIU 4.2 pipeline: no fixture"
else
	fpids=$(/usr/bin/python3 -c "import json; print(' '.join(str(e['pid']) for e in json.load(open('$FIX/pstree.json'))['entries']))")
	busy=
	for p in $fpids; do [ -e /proc/$p ] && busy="$busy $p"; done
	cp -r "$FIX" "$T/pipeline"
	if [ -n "$busy" ]; then
		skip "CRIU 4.2 pipeline: pids$busy are taken here"
	elif ! "$CRIU" restore -D "$T/pipeline" -d -o restore.log 2>"$T/err"; then
		msg=$(grep -m1 Error "$T/pipeline/restore.log")
		case $msg in
		*"not supported yet"*) skip "CRIU 4.2 pipeline: $msg" ;;
		*) fail "CRIU 4.2 pipeline: $msg" ;;
		esac
	else
		set -- $fpids
		all_state S "$@" || all_state R "$@" || true
		none_left "$@" && fail "CRIU 4.2 pipeline: restored but gone" || pass "CRIU 4.2 pipeline: its $# processes restored"
		kill -9 "$@" 2>/dev/null
	fi
fi
