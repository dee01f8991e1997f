#!/bin/bash
# Failure is safe: what dump refuses leaves the task running untouched, and
# a restore from a missing, truncated or corrupt image or into a taken pid
# fails with a clear error and leaves no process behind.
. "$(dirname "$0")/../lib/lib.sh"
PROG=$CRIU_TOP/${BUILD:-build}/test/progs/counter

start_counter() {
	local out=$1
	shift
	rm -f "$T/ready"
	COUNTER_READY=$T/ready spawn_clean "$PROG" -i 20 "$@" </dev/null >"$out" 2>&1
	wait_for 10 test -e "$T/ready"
}
more_lines() { [ "$(wc -l <"$1")" -gt "$2" ]; }
# The counter still counts, and its own checks still pass.
untouched() {
	local out=$1 n0
	n0=$(wc -l <"$out")
	! gone "$2" && wait_for 5 more_lines "$out" "$((n0 + 2))" && ! grep -q FAIL "$out" &&
		awk '$1 != NR { bad = 1 } END { exit bad }' "$out"
}

# expect_fail NAME PATTERN CMD...: CMD fails and says PATTERN on stderr.
expect_fail() {
	local name=$1 pat=$2
	shift 2
	if "$@" >"$T/err" 2>&1; then
		fail "$name: succeeded"
		return 1
	elif ! grep -q -- "$pat" "$T/err"; then
		fail "$name: no \"$pat\" in: $(grep -m1 Error "$T/err")"
		return 1
	fi
	return 0
}

mkdir -p "$T/d"

# --- dump refusals
expect_fail "dump of a missing pid" "no process with pid 4000000" "$CRIU" dump -t 4000000 -D "$T/d" &&
	pass "dump of a missing pid"
expect_fail "dump of a kernel thread" "kernel thread" "$CRIU" dump -t 2 -D "$T/d" &&
	pass "dump of a kernel thread"

# (threads are dumped now: their refusals are tested in test/threads/errors.t)

# a tree whose child can't be dumped (namespaces of its own): the whole
# tree is refused and runs on
spawn_clean bash -c 'unshare --uts sleep 1000 & wait' </dev/null >/dev/null 2>&1
wait_for 5 test -n "$(cat /proc/$pid/task/$pid/children 2>/dev/null)"
kid=$(tr -d " " </proc/$pid/task/$pid/children)
track_pid $kid
wait_for 5 test "$(readlink /proc/$kid/ns/uts)" != "$(readlink /proc/self/ns/uts)"
if expect_fail "dump of a tree with a child in a namespace of its own" "other namespaces" \
	"$CRIU" dump -t "$pid" -D "$T/d"; then
	! gone "$pid" && ! gone $kid && [ "$(awk '{print $3}' /proc/$kid/stat)" = S ] &&
		pass "dump of a tree with a child in a namespace of its own: refused, both run on" ||
		fail "dump of a tree with a child in a namespace of its own: not running on"
fi
kill -9 "$pid" $kid
reap "$pid"

# a task killed while being dumped (here by the post-dump script, which
# then fails the dump): the error says it died, not that it runs on
cat >"$T/kill.sh" <<'EOF'
#!/bin/sh
[ "$CRTOOLS_SCRIPT_ACTION" = post-dump ] || exit 0
kill -9 "$VICTIM"
exit 1
EOF
chmod +x "$T/kill.sh"
start_counter "$T/dies.out"
mkdir -p "$T/dies"
expect_fail "dump of a task that dies while dumped" "it died while being dumped" \
	env VICTIM="$pid" "$CRIU" dump -t "$pid" -D "$T/dies" --action-script "$T/kill.sh" &&
	pass "dump of a task that dies while dumped"
kill -9 "$pid" 2>/dev/null
reap "$pid"

# --- a good set of images to break
start_counter "$T/good.out"
mkdir -p "$T/good"
"$CRIU" dump -t "$pid" -D "$T/good" -o dump.log || fail "dump for the restore tests"
wait_for 5 gone "$pid"
reap "$pid"

# none_left: the pid is free (no process, not even a zombie) as soon as a
# failed restore returns: with -d the killed task is not criu's child, criu
# must still not return before its reaper has collected it
none_left() { [ ! -e "/proc/$pid" ]; }

# restore_fail NAME PATTERN DIR
restore_fail() {
	local name=$1 pat=$2 dir=$3
	if expect_fail "$name" "$pat" "$CRIU" restore -D "$dir" -d -o restore.log; then
		none_left && pass "$name" || fail "$name: process $pid left behind"
	fi
}

restore_fail "restore from a missing dir" "No such file" "$T/missing"

cp -r "$T/good" "$T/trunc"
pages=$(ls "$T/trunc"/pages-*.img)
truncate -s $(($(stat -c %s "$pages") / 2)) "$pages"
restore_fail "restore from a truncated pages image" "truncated" "$T/trunc"

cp -r "$T/good" "$T/trunc2"
core=$(ls "$T/trunc2"/core-*.img)
truncate -s $(($(stat -c %s "$core") - 100)) "$core"
restore_fail "restore from a truncated core image" "core-$pid.img" "$T/trunc2"

cp -r "$T/good" "$T/corrupt"
mm=$(ls "$T/corrupt"/mm-*.img)
printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of="$mm" bs=1 seek=12 conv=notrunc status=none
restore_fail "restore from a corrupt mm image" "mm-$pid.img" "$T/corrupt"

# a vDSO unlike this kernel's (as in an image from another kernel) of
# which the image lacks a page: it can't be redirected, refused
cp -r "$T/good" "$T/vdso"
cat >"$T/vdso-off.py" <<'PY'
import json, subprocess, sys
crit, d, pid = sys.argv[1:4]
def load(f):
    return json.loads(subprocess.check_output([crit, "decode", "-i", f"{d}/{f}"]))["entries"]
vdso = [v for v in load(f"mm-{pid}.img")[0]["vmas"] if v["status"] & (1 << 3)]
off = 0
for e in load(f"pagemap-{pid}.img")[1:]:
    if vdso and vdso[0]["start"] <= e["vaddr"] < vdso[0]["end"]:
        print(off + 64)
        break
    off += e["nr_pages"] * 4096
PY
off=$(/usr/bin/python3 "$T/vdso-off.py" "$CRIT" "$T/vdso" "$pid")
if [ -z "$off" ]; then
	skip "restore of a foreign vDSO: the task had no vDSO page in its image"
else
	printf '\xcc\xcc\xcc\xcc' | dd of="$(ls "$T"/vdso/pages-1.img)" bs=1 seek="$off" conv=notrunc status=none
	restore_fail "restore of another kernel's vDSO missing a page" "another kernel's" "$T/vdso"
fi

# a core image of another process (here a counter dumped with -R): the
# restorer fails inside the new task, which must not stay even as a zombie
start_counter "$T/other.out"
other=$pid
mkdir -p "$T/other"
if "$CRIU" dump -t "$other" -D "$T/other" -R -o dump.log; then
	kill -9 "$other"
	reap "$other"
	pid=$(basename "$(ls "$T"/good/core-*.img)" .img)
	pid=${pid#core-}
	cp -r "$T/good" "$T/foreign"
	cp "$T/other/core-$other.img" "$T/foreign/core-$pid.img"
	restore_fail "restore with another process's core image" "restore of process $pid failed" "$T/foreign"
else
	fail "restore with another process's core image: dump -R failed"
	kill -9 "$other"
	reap "$other"
fi

cp -r "$T/good" "$T/nopstree"
rm "$T/nopstree/pstree.img"
restore_fail "restore without pstree.img" "pstree.img" "$T/nopstree"

# --- a taken pid: the dumped task still runs (-R), the restore must fail and leave it be
start_counter "$T/taken.out"
mkdir -p "$T/taken"
if "$CRIU" dump -t "$pid" -D "$T/taken" -R -o dump.log; then
	if expect_fail "restore into a taken pid" "pid $pid is taken" "$CRIU" restore -D "$T/taken" -d -o restore.log; then
		untouched "$T/taken.out" "$pid" && pass "restore into a taken pid: refused, the owner runs on" ||
			fail "restore into a taken pid: the owner was disturbed"
	fi
else
	fail "restore into a taken pid: dump -R failed"
fi
kill -9 "$pid"
reap "$pid"

exit 0
