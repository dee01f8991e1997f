#!/bin/bash
# Kinds of memory through dump and restore -d: shared anonymous memory
# (split by mprotect, with never-written holes) comes back with its bytes
# and still shared; the pages image holds only what was written.
. "$(dirname "$0")/../lib/lib.sh"
PROG=$CRIU_TOP/${BUILD:-build}/test/progs/shmem
mkdir -p "$T/img"

SHMEM_READY=$T/ready spawn_clean "$PROG" </dev/null >"$T/out" 2>&1
wait_for 10 test -e "$T/ready"
why=
if ! "$CRIU" dump -t "$pid" -D "$T/img" -o dump.log; then
	why="dump failed: $(grep -m1 Error "$T/img/dump.log")"
elif ! wait_for 5 gone "$pid"; then
	why="task alive after dump"
else
	reap "$pid"
	# 21 pages of the first area and 8 of the second were written
	n=$(ls "$T"/img/pagemap-shmem-*.img 2>/dev/null | wc -l)
	sz=0
	for f in "$T"/img/pages-*.img; do
		case $f in */pages-1.img) continue ;; esac
		sz=$((sz + $(stat -c %s "$f")))
	done
	if [ "$n" != 2 ] || [ "$sz" != $((29 * 4096)) ]; then
		why="$n shared memory images with $sz bytes, want 2 and $((29 * 4096))"
	elif ! "$CRIU" restore -D "$T/img" -d -o restore.log; then
		why="restore failed: $(grep -m1 Error "$T/img/restore.log")"
	else
		kill -TERM "$pid"
		wait_for 5 gone "$pid"
		grep -q '^PASS' "$T/out" || why="$(cat "$T/out")"
	fi
fi
[ -z "$why" ] && pass "shared anonymous memory" || fail "shared anonymous memory: $why"

exit 0
