#!/bin/bash
# A listening socket with a connection from outside that the task has not
# accepted yet (in flight): the dump is refused, naming --skip-in-flight;
# with it the pending connection is dropped, and the restored listener
# accepts new connections on the same port.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	skip "inet listen: needs root"
	exit 0
fi

# The task: listens, accepts one connection once $T/go exists, greets it.
cat >"$T/server.py" <<'PY'
import os, socket, sys, time
d = sys.argv[1]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(4)
with open(d + "/port.tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.rename(d + "/port.tmp", d + "/port")
while not os.path.exists(d + "/go"):
    time.sleep(0.02)
c, _ = ls.accept()
c.sendall(b"hello\n")
open(d + "/accepted", "w").close()
time.sleep(1000)
PY
# An outside client that connects and waits.
cat >"$T/client.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(s.recv(100).decode().strip() or "eof", flush=True)
PY

spawn_clean $PY "$T/server.py" "$T" </dev/null >/dev/null 2>&1
srv=$pid
wait_for 5 test -e "$T/port" || { fail "inet listen: the server did not start"; exit 0; }
PORT=$(cat "$T/port")
$PY "$T/client.py" "$PORT" >"$T/pending.out" 2>&1 &
pending=$!
track_pid "$pending"
sleep 0.3

why=
mkdir -p "$T/i1" "$T/i2"
if "$CRIU" dump -t "$srv" -D "$T/i1" -o dump.log 2>"$T/err1"; then
	why="dumped with a connection in flight"
elif ! grep -q -- "--skip-in-flight" "$T/err1"; then
	why="no hint at --skip-in-flight: $(grep -m1 Error "$T/err1")"
elif gone "$srv"; then
	why="the refused dump stopped the server"
fi
[ -z "$why" ] && pass "inet listen: a connection in flight is refused, naming --skip-in-flight" ||
	fail "inet listen: in flight: $why"

why=
if ! "$CRIU" dump --skip-in-flight -t "$srv" -D "$T/i2" -v4 -o dump.log 2>"$T/err2"; then
	why="dump failed: $(grep -m1 Error "$T/err2")"
elif ! wait_for 5 gone "$srv"; then
	why="the server is still there"
else
	reap "$srv"
	if ! "$CRIU" restore --skip-in-flight -D "$T/i2" -d -v4 -o restore.log 2>"$T/rerr2"; then
		why="restore failed: $(grep -m1 Error "$T/rerr2")"
	else
		$PY "$T/client.py" "$PORT" >"$T/new.out" 2>&1 &
		newc=$!
		track_pid "$newc"
		sleep 0.2
		touch "$T/go"
		greeted() { grep -q hello "$T/new.out"; }
		wait_for 5 greeted || why="the restored listener did not accept: $(cat "$T/new.out")"
	fi
fi
kill -9 "$srv" 2>/dev/null
[ -z "$why" ] && pass "inet listen: --skip-in-flight drops it, the restored listener accepts" ||
	fail "inet listen: --skip-in-flight: $why"
