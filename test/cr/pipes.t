#!/bin/bash
# Pipes criu cannot dump yet are refused by name, and the task runs on
# untouched: both ends in the task, and a read end holding unread bytes.
. "$(dirname "$0")/../lib/lib.sh"

refused() { # NAME PATTERN PYTHON-CODE
	local name=$1 pattern=$2 d=$T/$1
	mkdir -p "$d"
	spawn_clean /usr/bin/python3 -c "import os, time
$3
open('$d/ready', 'w').close()
time.sleep(100)" </dev/null >/dev/null 2>&1
	wait_for 10 test -e "$d/ready"
	local st0 why=
	st0=$(sed -n 's/^State:\t//p' /proc/$pid/status)
	if "$CRIU" dump -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/err"; then
		why="dump succeeded"
	elif ! grep -q "$pattern" "$d/err"; then
		why="no message naming it: $(grep -m1 Error "$d/err")"
	elif gone "$pid"; then
		why="the task is gone"
	elif [ "$(sed -n 's/^TracerPid:\t//p' /proc/$pid/status)" != 0 ]; then
		why="the task is still traced"
	fi
	kill -9 "$pid" 2>/dev/null
	reap "$pid"
	[ -z "$why" ] && pass "refused: $name" || fail "refused: $name: $why"
}

refused "pipe with both ends in the task" "has both ends in the dumped task" \
	"r, w = os.pipe()"
refused "read end with unread bytes" "unread bytes" \
	"r, w = os.pipe(); os.write(w, b'hello'); os.close(w)"
