#!/bin/sh
# make bench: run every benchmark and print its figures.  Benchmarks print
# numbers and ratios against this machine's own limits; they never pass or
# fail on speed.  Each benchmark is an executable test/bench/*.bench or
# compel/bench/*.bench.
set -u
cd "$(dirname "$0")/../.."
found=0
for b in test/bench/*.bench compel/bench/*.bench; do
	[ -x "$b" ] || continue
	found=1
	echo "== $b"
	"$b" || echo "bench $b exited with status $?"
done
[ "$found" = 1 ] || echo "bench: no benchmarks are built yet"
