#!/bin/bash
# `criu check` from the command line: the verdict lines and exit status,
# --feature list / NAME / an unknown name, --extra and --all, and that the
# probes leave no temporary directory or cgroup behind.
. "$(dirname "$0")/../lib/lib.sh"

out=$T/out err=$T/err

# run ARGS...: criu's stdout in $out, stderr in $err, status in $rc.
run() {
	"$CRIU" "$@" >"$out" 2>"$err"
	rc=$?
}

# The command line learns its options elsewhere; until it knows these, say so.
run check --feature list
if grep -qi "unknown option\|not supported yet" "$err"; then
	skip "check-cli: criu's command line does not take 'check --feature' yet: $(head -1 "$err")"
	exit 0
fi

run check
if [ "$rc" -eq 0 ] && [ "$(tail -1 "$out")" = "Looks good." ] && [ ! -s "$err" ]; then
	pass "check: required features, Looks good., status 0"
else
	fail "check: status $rc, stdout '$(tail -1 "$out")', stderr '$(head -3 "$err")'"
fi

run check --feature list
n=$(wc -l <"$out")
if [ "$rc" -eq 0 ] && [ "$n" -ge 50 ] && grep -q '^mem_dirty_track  *extra ' "$out" &&
	grep -q '^ptrace_seize  *required ' "$out" && grep -q '^io_uring  *experimental ' "$out"; then
	pass "check --feature list: $n features with scope and description"
else
	fail "check --feature list: status $rc, $n lines"
fi
cp "$out" "$T/list"

run check --feature nosuch
if [ "$rc" -ne 0 ] && grep -q "Unknown feature nosuch" "$err" && [ ! -s "$out" ]; then
	pass "check --feature nosuch: fails naming it"
else
	fail "check --feature nosuch: status $rc, stderr '$(head -1 "$err")'"
fi

# Every required feature is supported here by name, with CRIU's wording.
bad=
for f in $(awk '$2 == "required" { print $1 }' "$T/list"); do
	run check --feature "$f"
	[ "$rc" -eq 0 ] && grep -qx "$f is supported" "$out" || bad="$bad $f"
done
if [ -z "$bad" ]; then pass "check --feature REQUIRED-NAME: each one is supported"; else fail "check --feature:$bad"; fi

# An optional feature that is missing fails by name, on stderr.
run check --feature mem_dirty_track
soft_dirty=$rc
if [ "$rc" -eq 0 ]; then
	grep -qx "mem_dirty_track is supported" "$out" && pass "check --feature mem_dirty_track: supported" ||
		fail "check --feature mem_dirty_track: status 0 without 'is supported'"
elif grep -q "mem_dirty_track is not supported: .*soft-dirty" "$err"; then
	pass "check --feature mem_dirty_track: not supported, says why"
else
	fail "check --feature mem_dirty_track: status $rc, stderr '$(head -1 "$err")'"
fi

# --all: required ones pass; a missing optional one is a warning naming it,
# the verdict says some features are missing and the status is non-zero.
before_tmp=$(ls -d /tmp/.criu-check.* 2>/dev/null | wc -l)
run check --all
warned=$(grep -c "(extra) is missing\|(experimental) is missing" "$err")
if grep -q "^Error" "$err"; then
	fail "check --all: a required probe failed: $(grep -m1 '^Error' "$err")"
elif [ "$warned" -gt 0 ] && [ "$rc" -ne 0 ] && grep -q "^Looks good, except for $warned optional" "$out"; then
	pass "check --all: $warned optional features missing, reported, status $rc"
elif [ "$warned" -eq 0 ] && [ "$rc" -eq 0 ] && grep -qx "Looks good." "$out"; then
	pass "check --all: everything there"
else
	fail "check --all: status $rc, $warned warnings, stdout '$(tail -1 "$out")'"
fi
if [ "$soft_dirty" -ne 0 ]; then
	check "check --all: reports soft-dirty (mem_dirty_track) absent" grep -q "mem_dirty_track (extra) is missing" "$err"
else
	check "check --all: soft-dirty present, not reported" bash -c "! grep -q mem_dirty_track '$err'"
fi

# --extra alone: the same rule, without the experimental probes.
run check --extra
if grep -q "(extra) is missing" "$err"; then missing=1; else missing=0; fi
if { [ "$missing" = 1 ] && [ "$rc" -ne 0 ]; } || { [ "$missing" = 0 ] && [ "$rc" -eq 0 ]; }; then
	pass "check --extra: status $rc agrees with its warnings"
else
	fail "check --extra: status $rc, stderr '$(head -1 "$err")'"
fi
check "check --extra: no experimental probe" bash -c "! grep -q '(experimental)' '$err'"

# Nothing left behind: temporary dirs, cgroups.
after_tmp=$(ls -d /tmp/.criu-check.* 2>/dev/null | wc -l)
left_cg=$(find /sys/fs/cgroup -maxdepth 3 -name 'criu-check-*' 2>/dev/null | head -3)
if [ "$after_tmp" -eq "$before_tmp" ] && [ -z "$left_cg" ]; then
	pass "check --all: leaves no temporary directory or cgroup"
else
	fail "check --all: left /tmp dirs ($before_tmp -> $after_tmp) or cgroups ($left_cg)"
fi

# -v3 shows what the probes found, e.g. the vDSO layout.
run check -v3
check "check -v3: reports the vDSO layout" grep -q "vdso: layout:.*\[vdso\]" "$err"
