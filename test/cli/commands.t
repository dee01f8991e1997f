#!/bin/bash
# Every command of the contract is recognised; the ones not built yet fail by
# name ("'dump' is not supported yet", exit 1), never silently or by a crash;
# obsolete, unknown and missing commands fail clearly.
. "$(dirname "$0")/../lib/lib.sh"

# run ARGS...: criu ARGS with stdout/stderr in $T/out, $T/err and status in $rc
run() {
	"$CRIU" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
# fails NAME PATTERN ARGS...: criu ARGS exits 1 with one stderr line matching PATTERN (grep -E)
fails() {
	local name=$1 pat=$2
	shift 2
	run "$@"
	if [ "$rc" != 1 ]; then
		fail "$name: exit $rc, not 1"
	elif ! grep -qE -- "$pat" "$T/err"; then
		fail "$name: stderr is: $(cat "$T/err")"
	elif [ "$(grep -c . "$T/err")" != 1 ]; then
		fail "$name: more than one line: $(cat "$T/err")"
	else
		pass "$name"
	fi
}

# A command that is built now does not belong here (and may run: a daemon
# would wait for clients, hence the timeout); it is tested by its own tests.
for cmd in pre-dump page-server lazy-pages service dedup; do
	timeout 10 "$CRIU" "$cmd" -D "$T" >"$T/out" 2>"$T/err"
	if ! grep -q "'$cmd' is not supported yet" "$T/err"; then
		skip "$cmd not built: it is built now"
		continue
	fi
	fails "$cmd not built" "^Error \(criu/crtools.c:[0-9]+\): '$cmd' is not supported yet$" "$cmd"
done
fails "swrk not built" "^Error \(criu/crtools.c:[0-9]+\): 'swrk' is not supported yet$" swrk 3
fails "cpuinfo dump not built" "'cpuinfo dump' is not supported yet$" cpuinfo dump
fails "cpuinfo check not built" "'cpuinfo check' is not supported yet$" cpuinfo check

# Options before or after the command
fails "options before the command" "'lazy-pages' is not supported yet" -v1 -o - lazy-pages
fails "options on both sides" "'dedup' is not supported yet" -D "$T" dedup --timeout 3

# check is built: it runs and exits 0 on this machine's kernel (or says what is missing)
run check --feature list
check "check --feature list exits 0" test "$rc" = 0
check "check --feature list prints names" test -s "$T/out"

fails "exec is obsolete" "the 'exec' command is obsolete" exec
fails "show is obsolete" "the 'show' command is obsolete: use 'crit show IMAGE'" show
fails "unknown command" "unknown command 'dumpp' \(see criu --help\)" dumpp
fails "no command" "no command given \(see criu --help\)"
fails "no command, only options" "no command given" -v4 --timeout 5
fails "cpuinfo without action" "'cpuinfo' needs an action" cpuinfo
fails "cpuinfo with a bad action" "unknown cpuinfo action 'restore'" cpuinfo restore
fails "swrk without fd" "'swrk' needs the number of its socket" swrk
fails "swrk with a bad fd" "invalid socket 'x' for 'swrk'" swrk x
fails "a word after the command" "unexpected argument 'now' after 'dump'" dump now
fails "two commands" "unexpected argument 'restore' after 'dump'" dump restore

# swrk takes its options over RPC: config files are not read
mkdir -p "$CRIU_SYSCONFDIR/criu"
echo "broken line here" >"$CRIU_SYSCONFDIR/criu/default.conf"
fails "swrk reads no config file" "'swrk' is not supported yet" swrk 3
fails "other commands do" "default.conf:1: unknown option 'broken'" check
