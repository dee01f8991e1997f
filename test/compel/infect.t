#!/bin/bash
# compel: infect each kind of victim 100 times with the test parasite, run
# its commands in every thread, take fds (SCM_RIGHTS) and pages (vmsplice),
# cure and release; the victim checks it never noticed.  Then parasite
# faults and a task dying while infected.
. "$(dirname "$0")/../lib/lib.sh"
build=${BUILD:-build}
case $build in /*) ;; *) build="$CRIU_TOP/$build" ;; esac
bin="$build/compel/test"
if [ ! -x "$bin/test-infect" ]; then
	skip "compel infect: $bin/test-infect is not built (make test-build)"
	exit 0
fi
for mode in busy sleep read poll ppoll futex threads churn stopped sigread seccomp errors huge; do
	"$bin/test-infect" "$mode" 100 || echo "FAIL: compel infect $mode: driver exited with status $?"
done
