#!/bin/bash
# Restore of a checkpoint CRIU 4.2 made: its `sleep` fixture (another
# build of this kernel, so its vDSO is redirected) comes back with its pid
# and command line and sleeps on.  The write end of an outside pipe it had
# at fd 251 is left out while criu can't restore such pipes.
. "$(dirname "$0")/../lib/lib.sh"
fx=
for d in "$CRIU_TOP/test/fixtures/criu-4.2" "$CRIU_TOP/../shared/fixtures/criu-4.2"; do
	[ -d "$d/sleep" ] && fx=$d/sleep && break
done
if [ -z "$fx" ]; then
	skip "CRIU 4.2 sleep fixture: not on this machine"
	exit 0
fi
pid=6626
if [ -e "/proc/$pid" ]; then
	skip "CRIU 4.2 sleep fixture: pid $pid is taken here"
	exit 0
fi
cp -r "$fx" "$T/img"
chmod -R u+w "$T/img"
if ! "$CRIU" restore -D "$T/img" -d -o restore.log 2>/dev/null &&
	grep -q "fd 251 .*PIPE.*not supported" "$T/img/restore.log"; then
	"$CRIT" decode -i "$T/img/fdinfo-2.img" |
		/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); d["entries"] = [e for e in d["entries"] if e["fd"] != 251]; json.dump(d, sys.stdout)' \
			>"$T/fdinfo.json" &&
		"$CRIT" encode -i "$T/fdinfo.json" -o "$T/img/fdinfo-2.img"
	"$CRIU" restore -D "$T/img" -d -o restore.log
fi
track_pid $pid
why=
if [ ! -e "/proc/$pid" ]; then
	why="not restored: $(grep -m1 Error "$T/img/restore.log")"
elif [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" != "sleep 1000 " ]; then
	why="command line is $(tr '\0' ' ' <"/proc/$pid/cmdline")"
else
	sleep 0.3
	gone "$pid" && why="it did not sleep on"
fi
kill -9 $pid 2>/dev/null
[ -z "$why" ] && pass "CRIU 4.2 sleep fixture restores" || fail "CRIU 4.2 sleep fixture: $why"
exit 0
