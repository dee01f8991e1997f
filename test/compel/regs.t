#!/bin/bash
# compel: read and write registers, XSAVE state, signal mask; read pending
# signals; the syscall restart rule for saved registers.
. "$(dirname "$0")/../lib/lib.sh"
build=${BUILD:-build}
case $build in /*) ;; *) build="$CRIU_TOP/$build" ;; esac
bin="$build/compel/test"
if [ ! -x "$bin/test-regs" ]; then
	skip "compel regs: $bin/test-regs is not built (make test-build)"
	exit 0
fi
"$bin/test-regs" || echo "FAIL: compel regs: driver exited with status $?"
