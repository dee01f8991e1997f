#!/bin/bash
# compel: refusals (no such pid, kernel thread, thread id, already traced)
# and tasks that are zombies or die while seized.
. "$(dirname "$0")/../lib/lib.sh"
build=${BUILD:-build}
case $build in /*) ;; *) build="$CRIU_TOP/$build" ;; esac
bin="$build/compel/test"
if [ ! -x "$bin/test-errors" ]; then
	skip "compel errors: $bin/test-errors is not built (make test-build)"
	exit 0
fi
"$bin/test-errors" || echo "FAIL: compel errors: driver exited with status $?"
