#!/bin/bash
# Stress: a tree of 50 processes (test/cr/progs/tree-stress.c) with shared
# memory, a thread in each process, pipes and unix socketpairs between
# parents and children, dumped and restored 20 times in a row; after each
# restore every process checks its pid, parent, group, session, memory,
# thread and streams (SIGUSR1 to the root, "CHECK n OK").
#   STRESS_CYCLES=N STRESS_NODES=N  override the counts
#   STRESS_FLAGS="-t -p -u"          the parts turned on (threads, pipes, unix sockets)
. "$(dirname "$0")/../lib/lib.sh"
PROG=$CRIU_TOP/${BUILD:-build}/test/cr/tree-stress
CYCLES=${STRESS_CYCLES:-20}
NODES=${STRESS_NODES:-50}
FLAGS=${STRESS_FLAGS:--t -p -u}
name="stress: $NODES processes ($FLAGS), $CYCLES cycles"
if [ ! -x "$PROG" ]; then
	skip "$name: $PROG is not built (make test-build)"
	exit 0
fi

checked() { grep -q "^CHECK $1 " "$T/out"; }

# A copy of criu for the whole run: a rebuild meanwhile must not break a cycle.
for _ in 1 2 3 4 5; do cp "$CRIU" "$T/criu" 2>/dev/null && break; sleep 1; done
CRIU=$T/criu

rm -f "$T/ready"
# shellcheck disable=SC2086
CRTEST_READY=$T/ready spawn_clean "$PROG" -n "$NODES" $FLAGS </dev/null >"$T/out" 2>&1
if ! wait_for 20 test -e "$T/ready"; then
	fail "$name: the tree did not start: $(head -1 "$T/out")"
	exit 0
fi
why=
t0=$(date +%s%N)
for c in $(seq 1 "$CYCLES"); do
	img=$T/img.$c
	mkdir -p "$img"
	if ! "$CRIU" dump -t "$pid" -D "$img" -o dump.log -v4 2>"$T/err"; then
		why="cycle $c: dump failed: $(grep -m1 Error "$img/dump.log" 2>/dev/null || head -1 "$T/err")"
		break
	fi
	if ! wait_for 5 gone "$pid"; then
		why="cycle $c: the root still runs after the dump"
		break
	fi
	reap "$pid"
	if ! "$CRIU" restore -D "$img" -d -o restore.log -v4 2>"$T/err"; then
		why="cycle $c: restore failed: $(grep -m1 Error "$img/restore.log" 2>/dev/null || head -1 "$T/err")"
		break
	fi
	kill -USR1 "$pid"
	if ! wait_for 20 checked "$c"; then
		why="cycle $c: no answer to the check"
		break
	fi
	if ! grep -q "^CHECK $c OK" "$T/out"; then
		why="cycle $c: $(grep -m1 "^CHECK $c" "$T/out")"
		break
	fi
	# keep the last images only: the tree's memory is small, but 20 copies add up
	[ "$c" -gt 1 ] && rm -rf "$T/img.$((c - 1))"
done
t1=$(date +%s%N)
if [ -z "$why" ]; then
	kill -TERM "$pid"
	wait_for 20 gone "$pid" || why="the tree did not end"
	grep -q '^PASS' "$T/out" || why="${why:-the test says: $(grep -m1 '^FAIL' "$T/out")}"
fi
kill -9 "$pid" 2>/dev/null
reap "$pid"
if [ -z "$why" ]; then
	pass "$name ($(awk -v a="$t0" -v b="$t1" -v c="$CYCLES" 'BEGIN { printf "%.2f s per cycle", (b - a) / 1e9 / c }'))"
else
	fail "$name: $why"
	keep=$CRIU_TOP/${BUILD:-build}/test-logs/trees/stress
	rm -rf "$keep" && mkdir -p "$keep" && cp -r "$T"/out "$T"/img.* "$keep/" 2>/dev/null
fi
