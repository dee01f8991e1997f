#!/bin/bash
# A connection still being made (SYN_SENT: the peer has not answered yet,
# its SYN is dropped here) is dumped with --tcp-established; once
# restored, the task's non-blocking connect() completes and it reads what
# the peer sends.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	skip "inet connect: needs root"
	exit 0
fi
cat >"$T/peer.py" <<'PY'
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(l.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = l.accept()
    c.sendall(b"hello")
PY
cat >"$T/task.py" <<'PY'
import os, select, socket, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
c = socket.socket(); c.setblocking(False)
try:
    c.connect(("127.0.0.1", port))
except BlockingIOError:
    pass
open(d + "/ready", "w").close()
while not select.select([], [c], [], 1)[1]:
    pass
err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
if err:
    open(d + "/result", "w").write("error %s" % os.strerror(err))
else:
    c.setblocking(True); c.settimeout(10)
    open(d + "/result", "w").write("got " + c.recv(100).decode())
time.sleep(1000)
PY
spawn_clean $PY "$T/peer.py" "$T/port" </dev/null >/dev/null 2>&1
peer=$pid
wait_for 5 test -e "$T/port" || { fail "inet connect: the peer did not start"; exit 0; }
PORT=$(cat "$T/port")
drop=(OUTPUT -p tcp -d 127.0.0.1 --dport "$PORT" --syn -j DROP)
iptables -w -I "${drop[@]}"
spawn_clean $PY "$T/task.py" "$PORT" "$T" </dev/null >"$T/task.out" 2>&1
wait_for 5 test -e "$T/ready"
sleep 0.2
why=
mkdir -p "$T/img"
if [ -e "$T/result" ]; then
	why="connected before the dump: $(cat "$T/result")"
elif ! "$CRIU" dump --tcp-established -t "$pid" -D "$T/img" -v4 -o dump.log 2>"$T/err"; then
	why="dump failed: $(grep -m1 Error "$T/err")"
elif ! grep -q "SYN_SENT" "$T/img/dump.log"; then
	why="the socket was not dumped connecting"
fi
iptables -w -D "${drop[@]}"
if [ -z "$why" ]; then
	wait_for 5 gone "$pid"
	reap "$pid"
	if ! "$CRIU" restore --tcp-established -D "$T/img" -d -v4 -o restore.log 2>"$T/rerr"; then
		why="restore failed: $(grep -m1 Error "$T/rerr")"
	else
		wait_for 10 test -s "$T/result"
		[ "$(cat "$T/result" 2>/dev/null)" = "got hello" ] || why="the task says: $(cat "$T/result" 2>/dev/null)"
	fi
fi
kill -9 "$pid" "$peer" 2>/dev/null
[ -z "$why" ] && pass "inet connect: a connect() in progress completes after dump/restore" ||
	fail "inet connect: $why"
