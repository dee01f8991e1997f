#!/bin/bash
# inotify and fanotify watches come back by path when their file handles
# do not open (another filesystem instance, another machine): the handles
# in files.img are zeroed with crit, and the restored ev-inotify and
# ev-fanotify programs must still see their events.
. "$(dirname "$0")/../lib/lib.sh"
BIN=$CRIU_TOP/${BUILD:-build}/test/cr

zero_handles() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
n = 0
def walk(o):
	global n
	if isinstance(o, dict):
		if "f_handle" in o:
			o["f_handle"]["handle"] = [0] * len(o["f_handle"]["handle"])
			n += 1
		for v in o.values():
			walk(v)
	elif isinstance(o, list):
		for v in o:
			walk(v)
walk(d)
json.dump(d, open(p, "w"))
print(n)
PY
}

by_path() {
	local name=$1 w=$T/$1 n
	mkdir -p "$w"
	rm -f "$T/ready"
	CRTEST_READY=$T/ready spawn_clean "$BIN/$name" </dev/null >"$T/$name.out" 2>&1
	if ! wait_for 10 test -e "$T/ready"; then
		fail "$name by path: did not start"
		return
	fi
	if ! "$CRIU" dump -t "$pid" -D "$w" -o dump.log 2>"$w/dump.err"; then
		fail "$name by path: dump failed: $(grep -m1 Error "$w/dump.err")"
		return
	fi
	wait_for 5 gone "$pid"
	reap "$pid"
	"$CRIT" decode -i "$w/files.img" -o "$w/files.json" &&
		n=$(zero_handles "$w/files.json") &&
		"$CRIT" encode -i "$w/files.json" -o "$w/files.img" || {
		fail "$name by path: crit could not rewrite files.img"
		return
	}
	if [ "$n" -lt 1 ]; then
		fail "$name by path: no file handle in files.img"
	elif ! "$CRIU" restore -D "$w" -d -v4 -o restore.log 2>"$w/restore.err"; then
		fail "$name by path: restore failed: $(grep -m1 Error "$w/restore.err")"
	elif ! grep -q "trying its path" "$w/restore.log"; then
		fail "$name by path: restore did not fall back to the path"
	else
		kill -TERM "$pid"
		wait_for 10 gone "$pid"
		if grep -q '^PASS' "$T/$name.out"; then
			pass "$name: $n watches restored by path"
		else
			fail "$name by path: test says $(grep -m1 . "$T/$name.out")"
		fi
	fi
	kill -9 "$pid" 2>/dev/null
}

for n in ev-inotify ev-fanotify; do
	[ -x "$BIN/$n" ] || { skip "$n by path: not built"; continue; }
	by_path "$n"
done
exit 0
