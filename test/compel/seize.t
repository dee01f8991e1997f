#!/bin/bash
# compel: seize each kind of victim 100 times, run syscalls in every thread,
# release it; the victim checks it never noticed.  Drivers kill their
# victims by pid at exit, whatever happens.
. "$(dirname "$0")/../lib/lib.sh"
build=${BUILD:-build}
case $build in /*) ;; *) build="$CRIU_TOP/$build" ;; esac
bin="$build/compel/test"
if [ ! -x "$bin/test-seize" ]; then
	skip "compel seize: $bin/test-seize is not built (make test-build)"
	exit 0
fi
for mode in busy sleep read poll ppoll futex threads churn stopped sigread seccomp; do
	"$bin/test-seize" "$mode" 100 || echo "FAIL: compel seize $mode: driver exited with status $?"
done
