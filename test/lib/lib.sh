# Shared helpers for shell tests (test/*/*.t).  Source it:
#     . "$CRIU_TOP/test/lib/lib.sh"
# Results are lines the runner counts: PASS:/FAIL:/SKIP:.
# Every test works in its own temporary directory ($T), removed at exit, and
# never touches the machine's /etc/criu or $HOME: HOME points into $T and
# CRIU_SYSCONFDIR (honoured by criu for tests) too.
set -u
CRIU_TOP=${CRIU_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
CRIU=${CRIU:-$CRIU_TOP/criu/criu}
CRIT=${CRIT:-$CRIU_TOP/lib/crit}
T=$(mktemp -d /tmp/criu-test.XXXXXX)
export HOME="$T/home"
export CRIU_SYSCONFDIR="$T/etc"
mkdir -p "$HOME" "$CRIU_SYSCONFDIR"
unset CRIU_CONFIG_FILE
_pids=()
_cleanup() {
	for p in "${_pids[@]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap _cleanup EXIT

# Remember a pid to kill at exit, whatever happens.
track_pid() { _pids+=("$1"); }

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

# check NAME CMD...: PASS if CMD succeeds, FAIL otherwise.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# gone PID: true when PID no longer exists or is a zombie.
gone() {
	local st
	st=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" = Z ] || [ -z "$st" ]
}

# wait_for SECONDS CMD...: poll CMD every 50 ms (CMD runs anew each time:
# wrap a test with $(...) in a function).
wait_for() {
	local n=$(($1 * 20))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -le 0 ] && return 1
		sleep 0.05
	done
}

# A killed child of ours stays a zombie (holding its pid) until reaped.
reap() { wait "$1" 2>/dev/null; }

# Run "$@" in the background as a session leader with only fds 0-2 (the
# environment may hand us others, e.g. a pipe at fd 251); sets $pid.
spawn_clean() {
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec setsid "$@"
	) &
	pid=$!
	track_pid "$pid"
}
