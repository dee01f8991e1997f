#!/bin/bash
# make demo: a live checkpoint and restore on this machine.
#
# A counter starts and prints a line per tick; criu checkpoints it (the
# process is gone), crit shows what the images hold, criu restores it and
# the counter goes on from where it stopped, with the same pid.
set -u
cd "$(dirname "$0")/.."
CRIU=$PWD/criu/criu
CRIT=$PWD/lib/crit
COUNTER=$PWD/${BUILD:-build}/test/progs/counter
D=$(mktemp -d /tmp/criu-demo.XXXXXX)
pid=
tailpid=
cleanup() {
	[ -n "$tailpid" ] && kill "$tailpid" 2>/dev/null
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() {
	printf '\033[1m$ %s\033[0m\n' "$*"
	"$@"
}

run "$CRIU" --version
run "$CRIU" check

say "== A counter starts (one line every 0.3 s, 64 MiB of checked memory)"
(
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	exec setsid "$COUNTER" -n 64 -i 300
) </dev/null >"$D/counter.out" 2>&1 &
pid=$!
disown "$pid" # bash reaps it quietly once it is killed by the dump
tail -n +1 -f "$D/counter.out" &
tailpid=$!
sleep 2.5

say "== Checkpoint: criu dump -t $pid -D $D/img"
mkdir "$D/img"
kill -STOP "$tailpid"
if ! run "$CRIU" dump -t "$pid" -D "$D/img" -v4 -o dump.log --display-stats; then
	echo "dump failed; the log says:"
	grep -E 'Error|Warn' "$D/img/dump.log" | head
	exit 1
fi
for i in $(seq 50); do [ -e /proc/$pid ] || break; sleep 0.1; done
if [ -e /proc/$pid ]; then
	echo "the counter is still running?"
else
	echo "the counter (pid $pid) is gone; its state is in the images:"
fi
run ls -l "$D/img"
run "$CRIT" x "$D/img" ps
run "$CRIT" x "$D/img" mems
printf '\033[1m$ crit show %s | head -20\033[0m\n' "$D/img/pstree.img"
"$CRIT" show "$D/img/pstree.img" | head -20

say "== Restore: criu restore -D $D/img -d"
run "$CRIU" restore -D "$D/img" -d -v4 -o restore.log || {
	echo "restore failed; the log says:"
	grep -E 'Error|Warn' "$D/img/restore.log" | head
	exit 1
}
echo "restored with pid $(cat /proc/$pid/stat 2>/dev/null | cut -d' ' -f1); the counter goes on:"
kill -CONT "$tailpid"
sleep 2.5
kill -TERM "$pid"
sleep 0.5
kill "$tailpid" 2>/dev/null
tailpid=
echo
say "== Done: the count went on from where it was checkpointed."
