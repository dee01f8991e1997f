#!/bin/bash
# Run every test and print one summary line: "N passed, N failed[, N skipped]".
#
# A test is either a unit-test binary ($BUILD/test/unit/*) or an executable
# script test/*/*.t.  Each prints result lines of its own:
#     PASS: name        FAIL: name: why        SKIP: name: why
# which are counted here.  A test that exits non-zero without printing a
# FAIL line counts as one failure (a crash must never pass); one that prints
# no result line at all counts as one pass if it exits 0.
#
#   test/run-all.sh [-v] [PATTERN]   run the tests whose path matches PATTERN
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
export CRIU_TOP=$PWD
export CRIU="$PWD/criu/criu"
export CRIT="$PWD/lib/crit"

verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
pattern=${1:-}

tests=()
for t in "$BUILD"/test/unit/*; do
	[ -x "$t" ] && [ -f "$t" ] && [[ "$t" != *.d ]] && tests+=("$t")
done
while IFS= read -r t; do tests+=("$t"); done < <(find test -name '*.t' -type f -perm -u+x | sort)

pass=0 fail=0 skip=0
failed=()
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
watchdog=${TEST_TIMEOUT:-300}

for t in "${tests[@]}"; do
	[ -n "$pattern" ] && [[ "$t" != *$pattern* ]] && continue
	log="$logdir/$(echo "$t" | tr '/' '_').log"
	start=${EPOCHREALTIME/./}
	timeout -k 10 "$watchdog" "$t" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS' "$log")
	f=$(grep -c '^FAIL' "$log")
	s=$(grep -c '^SKIP' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "FAIL: $t: timed out after ${watchdog}s (watchdog)" >>"$log"
		else
			echo "FAIL: $t: exited with status $rc" >>"$log"
		fi
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
		p=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	el=$(( (${EPOCHREALTIME/./} - start) / 100000 ))
	secs="$((el / 10)).$((el % 10))"
	if [ "$f" -gt 0 ]; then
		printf '  %-44s %3d passed, %d FAILED (%ss)\n' "$t" "$p" "$f" "$secs"
		grep '^FAIL' "$log" | sed 's/^/      /'
		failed+=("$t")
		[ "$verbose" = 1 ] && sed 's/^/      | /' "$log"
	else
		printf '  %-44s %3d passed%s (%ss)\n' "$t" "$p" "$([ "$s" -gt 0 ] && echo ", $s skipped")" "$secs"
		[ "$verbose" = 1 ] && sed 's/^/      | /' "$log"
	fi
done

if [ "${#failed[@]}" -gt 0 ]; then
	echo "Logs of failed tests are in $logdir/"
fi
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
