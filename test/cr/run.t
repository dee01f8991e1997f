#!/bin/bash
# Checkpoint/restore suite: every test named in test/cr/list is started,
# dumped, restored and then asked (SIGTERM) to check its state.  Each test
# runs twice: plain (dump kills it, restore brings it back) and with
# --leave-running (dump -R, the task keeps running, a second dump, restore
# of the second).  One PASS/FAIL line per test and mode.
#
#   test/cr/run.t [NAME...]       run only these tests
# Logs and images of a failed test are kept in $BUILD/test-logs/cr/NAME.MODE/.
. "$(dirname "$0")/../lib/lib.sh"
BIN=$CRIU_TOP/${BUILD:-build}/test/cr
KEEP=$CRIU_TOP/${BUILD:-build}/test-logs/cr


# Extra criu options of a test (both dump and restore), from its list line.
declare -A OPTS

# Start test $1 with output to $2; sets $pid.
start_test() {
	local name=$1 out=$2
	rm -f "$T/ready"
	CRTEST_READY=$T/ready setsid "$BIN/$name" </dev/null >"$out" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for 10 test -e "$T/ready"
}

run_one() {
	local name=$1 mode=$2 w=$T/$1.$2 why=
	local -a o
	read -ra o <<<"${OPTS[$name]}"
	mkdir -p "$w/img" "$w/img2"
	local out=$w/out
	if ! start_test "$name" "$out"; then
		why="did not get ready"
	elif [ "$mode" = leave-running ]; then
		if ! "$CRIU" dump "${o[@]}" -t "$pid" -D "$w/img" -R -v4 -o dump1.log 2>"$w/dump1.err"; then
			why="dump -R failed"
		elif gone "$pid"; then
			why="task gone after dump -R"
		elif ! "$CRIU" dump "${o[@]}" -t "$pid" -D "$w/img2" -v4 -o dump.log 2>"$w/dump.err"; then
			why="second dump failed"
		fi
		img=$w/img2
	else
		if ! "$CRIU" dump "${o[@]}" -t "$pid" -D "$w/img" -v4 -o dump.log 2>"$w/dump.err"; then
			why="dump failed"
		fi
		img=$w/img
	fi
	if [ -z "$why" ]; then
		if ! wait_for 5 gone "$pid"; then
			why="task still running after dump"
		else
			reap "$pid"
			if ! "$CRIU" restore "${o[@]}" -D "$img" -d -v4 -o restore.log 2>"$w/restore.err"; then
				why="restore failed"
			elif gone "$pid"; then
				why="restored task is not running"
			else
				kill -TERM "$pid"
				wait_for 10 gone "$pid" || why="restored task did not finish"
			fi
		fi
	fi
	if [ -z "$why" ] && ! grep -q '^PASS' "$out"; then
		why="test says: $(grep -m1 '^FAIL' "$out" || echo 'no result')"
	fi
	kill -9 "$pid" 2>/dev/null
	reap "$pid"
	if [ -z "$why" ]; then
		pass "cr $name ($mode)"
	else
		fail "cr $name ($mode): $why"
		rm -rf "$KEEP/$name.$mode"
		mkdir -p "$KEEP"
		cp -r "$w" "$KEEP/$name.$mode"
		for f in "$w"/*.err "$w"/img*/*.log "$out"; do
			[ -s "$f" ] && grep -E 'Error|FAIL' "$f" | head -3 | sed "s|^|    $(basename "$f"): |"
		done
	fi
}

# Without any checkpoint, every test program must pass: a test that fails
# on its own would blame criu for nothing.
run_baseline() {
	local name=$1 out=$T/$1.baseline.out
	if ! start_test "$name" "$out"; then
		fail "cr $name (no checkpoint): did not get ready"
	else
		kill -TERM "$pid"
		wait_for 10 gone "$pid"
		kill -9 "$pid" 2>/dev/null
		reap "$pid"
		if grep -q '^PASS' "$out"; then
			pass "cr $name (no checkpoint)"
		else
			fail "cr $name (no checkpoint): $(grep -m1 '^FAIL' "$out" || echo 'no result')"
		fi
	fi
}

names=()
if [ $# -gt 0 ]; then
	names=("$@")
	while read -r n rest; do
		OPTS[$n]=$rest
	done < <(cat "$CRIU_TOP/test/cr/list" "$CRIU_TOP"/test/cr/lists/*.list 2>/dev/null | grep -v '^#' | awk 'NF')
	all=("$@")
else
	# test/cr/list, then one list per area in test/cr/lists/*.list:
	# "NAME [criu options for dump and restore]".
	while read -r n rest; do
		names+=("$n")
		OPTS[$n]=$rest
	done < <(cat "$CRIU_TOP/test/cr/list" "$CRIU_TOP"/test/cr/lists/*.list 2>/dev/null | grep -v '^#' | awk 'NF')
	mapfile -t all < <(cd "$CRIU_TOP/test/cr/progs" && ls *.c | sed 's/\.c$//')
fi
for n in "${all[@]}"; do
	run_baseline "$n"
done

if "$CRIU" dump -t 1 -D "$T" 2>&1 | grep -q "'dump' is not supported yet"; then
	skip "cr suite: criu dump is not built yet"
	exit 0
fi
for n in "${names[@]}"; do
	for mode in plain leave-running; do
		run_one "$n" "$mode"
	done
done

# Every image criu wrote must decode with crit and encode back to the same
# bytes (the plain dumps: one per test).
dirs=()
for n in "${names[@]}"; do
	[ -e "$T/$n.plain/img/inventory.img" ] && dirs+=("$T/$n.plain/img")
done
[ "${#dirs[@]}" -gt 0 ] && /usr/bin/python3 "$CRIU_TOP/test/cr/crit-roundtrip.py" "${dirs[@]}"
