#!/bin/bash
# A connection still being made (SYN_SENT: the peer has not answered yet,
# its SYN is dropped here) is dumped with --tcp-established; once
# restored, the task's connect() completes (non-blocking, or blocking and
# restarted) and it reads what the peer sends.
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
c = socket.socket()
if sys.argv[3] == "nonblocking":
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    open(d + "/ready", "w").close()
    while not select.select([], [c], [], 1)[1]:
        pass
else:
    open(d + "/ready", "w").close()
    c.connect(("127.0.0.1", port))  # blocks in the kernel across the dump
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
# case MODE: the task connects (MODE: nonblocking or blocking) while SYNs are dropped.
case_() {
	local mode=$1 d=$T/$1 why=
	mkdir -p "$d/img"
	iptables -w -I "${drop[@]}"
	spawn_clean $PY "$T/task.py" "$PORT" "$d" "$mode" </dev/null >"$d/task.out" 2>&1
	wait_for 5 test -e "$d/ready"
	sleep 0.3
	if [ -e "$d/result" ]; then
		why="connected before the dump: $(cat "$d/result")"
	elif ! "$CRIU" dump --tcp-established -t "$pid" -D "$d/img" -v4 -o dump.log 2>"$d/err"; then
		why="dump failed: $(grep -m1 Error "$d/err")"
	elif ! grep -q "SYN_SENT" "$d/img/dump.log"; then
		why="the socket was not dumped connecting"
	fi
	iptables -w -D "${drop[@]}"
	if [ -z "$why" ]; then
		wait_for 5 gone "$pid"
		reap "$pid"
		if ! "$CRIU" restore --tcp-established -D "$d/img" -d -v4 -o restore.log 2>"$d/rerr"; then
			why="restore failed: $(grep -m1 Error "$d/rerr")"
		else
			wait_for 10 test -s "$d/result"
			[ "$(cat "$d/result" 2>/dev/null)" = "got hello" ] ||
				why="the task says: $(cat "$d/result" 2>/dev/null) $(tail -1 "$d/task.out")"
		fi
	fi
	kill -9 "$pid" 2>/dev/null
	[ -z "$why" ] && pass "inet connect: a $mode connect() in progress completes after dump/restore" ||
		fail "inet connect: $mode: $why"
}
case_ nonblocking
case_ blocking
kill -9 "$peer" 2>/dev/null
