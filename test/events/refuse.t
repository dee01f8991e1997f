#!/bin/bash
# What the events area refuses: a dump fails by name and the task goes on
# running untouched.  A file lock without --file-locks (the message names
# the option, as CRIU's does); a POSIX lock on a file the task maps; a
# pidfd of a process outside the tree.
. "$(dirname "$0")/../lib/lib.sh"
PROG=$CRIU_TOP/${BUILD:-build}/test/cr/ev-refuse

# refused NAME ARG WANT [criu options...]: dump of "ev-refuse ARG" fails
# with a message matching WANT; the task still runs.
refused() {
	local name=$1 arg=$2 want=$3
	shift 3
	rm -f "$T/ready"
	CRTEST_READY=$T/ready spawn_clean "$PROG" "$arg"
	if ! wait_for 10 test -e "$T/ready"; then
		fail "$name: the program did not start"
		return
	fi
	mkdir -p "$T/$name"
	if "$CRIU" dump "$@" -t "$pid" -D "$T/$name" -o dump.log 2>"$T/$name.err"; then
		fail "$name: dump succeeded"
	elif ! grep -q -- "$want" "$T/$name.err"; then
		fail "$name: dump failed without saying \"$want\": $(grep -m1 Error "$T/$name.err")"
	elif gone "$pid"; then
		fail "$name: the task did not survive the failed dump"
	else
		pass "$name"
	fi
	kill -9 "$pid" 2>/dev/null
	reap "$pid"
}

[ -x "$PROG" ] || { skip "events refuse: $PROG not built"; exit 0; }
refused "events: a lock without --file-locks is refused" lock "consider using --file-locks"
refused "events: a POSIX lock on a mapped file is refused" maplock "which it also maps" --file-locks
refused "events: a pidfd of a process outside the tree is refused" pidfd "outside the dumped tree"
exit 0
