#!/bin/bash
# Node.js with worker_threads survives dump and restore: two workers count
# and post their counts to the main thread, which prints them (libuv's
# thread pool, V8's platform threads, event loops on epoll and eventfd in
# every worker).  After restore: the same tids, the counts go on from
# where they were.  Skipped without node.
. "$(dirname "$0")/../lib/lib.sh"
if ! command -v node >/dev/null; then
	skip "threads node: no node on this machine"
	exit 0
fi
cat >"$T/w.js" <<'JS'
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  const c = [0, 0];
  for (let i = 0; i < 2; i++) new Worker(__filename).on('message', v => { c[i] = v; });
  setInterval(() => console.log('tick', c[0], c[1]), 50);
} else {
  let n = 0;
  setInterval(() => parentPort.postMessage(++n), 5);
}
JS
tids() { ls "/proc/$1/task" 2>/dev/null | sort -n | tr '\n' ' '; }
last() { grep '^tick' "$T/out" | tail -1; }
moving() { # moving A B: both counts of the last line are above A and B
	local _ a b
	read -r _ a b <<<"$(last)"
	[ "${a:-0}" -gt "$1" ] && [ "${b:-0}" -gt "$2" ]
}
why=
spawn_clean node "$T/w.js" </dev/null >"$T/out" 2>&1
wait_for 10 moving 3 3 || why="did not start: $(head -c 200 "$T/out")"
if [ -z "$why" ]; then
	before=$(tids "$pid")
	mkdir -p "$T/img"
	"$CRIU" dump -t "$pid" -D "$T/img" -o dump.log 2>/dev/null || why="dump failed: $(grep -m1 Error "$T/img/dump.log")"
fi
if [ -z "$why" ]; then
	wait_for 5 gone "$pid" || why="still running after dump"
	reap "$pid"
	read -r _ a0 b0 <<<"$(last)"
	"$CRIU" restore -D "$T/img" -d -o restore.log 2>/dev/null ||
		why="restore failed: $(grep -m1 Error "$T/img/restore.log")"
fi
[ -z "$why" ] && [ "$(tids "$pid")" != "$before" ] && why="threads changed"
if [ -z "$why" ]; then
	wait_for 5 moving $((a0 + 5)) $((b0 + 5)) || why="counts did not go on: $a0 $b0, then '$(last)'"
fi
kill -9 "$pid" 2>/dev/null
reap "$pid"
[ -z "$why" ] && pass "threads node ($(echo $before | wc -w) threads)" || fail "threads node: $why"
