#!/bin/bash
# A connection closed on both sides whose last ACK has not come yet
# (LAST_ACK: the peer closed, then the task shut its end down; the peer's
# packets are dropped here) is dumped with --tcp-established; restored,
# the task reads the end of the stream and can't write, as before.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	skip "inet closing: needs root"
	exit 0
fi
cat >"$T/task.py" <<'PY'
import os, socket, sys, time
d = sys.argv[1]
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
port = l.getsockname()[1]
c = socket.create_connection(("127.0.0.1", port)); a, _ = l.accept()
c.shutdown(socket.SHUT_WR); time.sleep(0.1)
with open(d + "/port", "w") as f:
    f.write(str(port))
os.system("iptables -w -I INPUT -p tcp -d 127.0.0.1 --dport %d -j DROP" % port)
a.shutdown(socket.SHUT_WR); time.sleep(0.1)
open(d + "/ready", "w").close()
while not os.path.exists(d + "/go"):
    time.sleep(0.02)
res = "eof" if a.recv(10) == b"" else "data"
try:
    a.send(b"x")
    res += " sent"
except BrokenPipeError:
    res += " epipe"
open(d + "/result", "w").write(res)
time.sleep(1000)
PY
spawn_clean $PY "$T/task.py" "$T" </dev/null >"$T/task.out" 2>&1
wait_for 5 test -e "$T/ready"
PORT=$(cat "$T/port" 2>/dev/null)
why=
mkdir -p "$T/img"
if [ -z "$PORT" ]; then
	why="the task did not start: $(cat "$T/task.out")"
elif ! "$CRIU" dump --tcp-established -t "$pid" -D "$T/img" -v4 -o dump.log 2>"$T/err"; then
	why="dump failed: $(grep -m1 Error "$T/err")"
elif ! grep -q "LAST_ACK" "$T/img/dump.log"; then
	why="no connection was dumped in LAST_ACK"
fi
[ -n "$PORT" ] && iptables -w -D INPUT -p tcp -d 127.0.0.1 --dport "$PORT" -j DROP
if [ -z "$why" ]; then
	wait_for 5 gone "$pid"
	reap "$pid"
	if ! "$CRIU" restore --tcp-established -D "$T/img" -d -v4 -o restore.log 2>"$T/rerr"; then
		why="restore failed: $(grep -m1 Error "$T/rerr")"
	else
		touch "$T/go"
		wait_for 5 test -s "$T/result"
		[ "$(cat "$T/result" 2>/dev/null)" = "eof epipe" ] ||
			why="the task says: $(cat "$T/result" 2>/dev/null) $(tail -1 "$T/task.out")"
	fi
fi
kill -9 "$pid" 2>/dev/null
# A failed restore leaves its lock: take this test's rules away.
[ -n "$PORT" ] && iptables -S | grep -- "--mark 0xc114" | grep -E -- "-[sd]port $PORT( |$)" | sed 's/^-A/-D/' |
	while read -r l; do iptables -w $l; done
[ -z "$why" ] && pass "inet closing: a connection in LAST_ACK reads its end and can't write after dump/restore" ||
	fail "inet closing: $why"
