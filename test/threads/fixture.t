#!/bin/bash
# CRIU 4.2's threads fixture: python3 with two threading.Thread workers,
# all three threads in time.sleep(1000) (an absolute CLOCK_MONOTONIC
# clock_nanosleep).  Its images decode with crit, and it restores with its
# three tids.
#  - Plainly, the dumping boot's deadline (about 3869 + 1000 s of
#    CLOCK_MONOTONIC) has long passed on this machine's clock: the three
#    sleeps end at once and python3 exits 0; criu, its parent, exits 0 too.
#  - In a time namespace whose offsets give back the dump's clock (what
#    CRIU's timens-0.img is for; criu does not restore time namespaces
#    itself yet), it sleeps on with its three threads.
. "$(dirname "$0")/../lib/lib.sh"
fx=
for d in "$CRIU_TOP/test/fixtures/criu-4.2" "$CRIU_TOP/../shared/fixtures/criu-4.2"; do
	[ -d "$d/threads" ] && fx=$d/threads && break
done
if [ -z "$fx" ]; then
	skip "CRIU 4.2 threads fixture: not on this machine"
	exit 0
fi

bad=
for f in "$fx"/*.img; do
	case $f in */pages-*) continue ;; esac
	"$CRIT" decode -i "$f" >/dev/null 2>&1 || bad="$bad $(basename "$f")"
done
[ -z "$bad" ] && pass "CRIU 4.2 threads fixture: every image decodes" ||
	fail "CRIU 4.2 threads fixture: crit can't decode$bad"

pid=6723
for p in 6723 6725 6726; do
	if [ -e "/proc/$p" ]; then
		skip "CRIU 4.2 threads fixture restore: pid $p is taken here"
		exit 0
	fi
done
cp -r "$fx" "$T/img"
chmod -R u+w "$T/img"

# the dump's CLOCK_MONOTONIC and CLOCK_BOOTTIME (timens-0.img)
mono=$("$CRIT" decode -i "$T/img/timens-0.img" | /usr/bin/python3 -c \
	'import json, sys; e = json.load(sys.stdin)["entries"][0]; print(e["monotonic"]["tv_sec"], e["boottime"]["tv_sec"])')
read -r m b <<<"$mono"
up=$(cut -d. -f1 /proc/uptime)

why=
if [ "$up" -lt $((m + 1010)) ]; then
	skip "CRIU 4.2 threads fixture plain restore: this machine's clock ($up s) has not passed the sleeps' end yet"
else
	timeout 30 "$CRIU" restore -D "$T/img" -v4 -o restore.log 2>/dev/null
	rc=$?
	if [ "$rc" != 0 ]; then
		why="criu exited with $rc: $(grep -m1 Error "$T/img/restore.log")"
	elif ! grep -q "seized $pid: 3 threads" "$T/img/restore.log"; then
		why="not restored with 3 threads"
	fi
	[ -z "$why" ] && pass "CRIU 4.2 threads fixture restores and its elapsed sleeps end (exit 0)" ||
		fail "CRIU 4.2 threads fixture: $why"
fi

if ! unshare --time true 2>/dev/null; then
	skip "CRIU 4.2 threads fixture in a time namespace: unshare --time is not available"
	exit 0
fi
why=
track_pid $pid
unshare --time --fork --monotonic=$((m - up)) --boottime=$((b - up)) \
	"$CRIU" restore -D "$T/img" -d -o restore2.log 2>/dev/null ||
	why="restore failed: $(grep -m1 Error "$T/img/restore2.log")"
if [ -z "$why" ]; then
	sleep 0.3
	tids=$(ls /proc/$pid/task 2>/dev/null | sort -n | tr '\n' ' ')
	[ "$tids" = "6723 6725 6726 " ] || why="threads are '$tids'"
fi
if [ -z "$why" ]; then
	for p in 6723 6725 6726; do
		grep -q '^State:.*S (sleeping)' /proc/$pid/task/$p/status || why="thread $p is not sleeping"
	done
fi
kill -9 $pid 2>/dev/null
[ -z "$why" ] && pass "CRIU 4.2 threads fixture sleeps on with its 3 threads (dump's clock given back)" ||
	fail "CRIU 4.2 threads fixture in a time namespace: $why"
exit 0
