#!/bin/bash
# redis-server (Debian's), started here on 127.0.0.1 with its own config
# (a free port, no persistence), keys set, a client holding an open
# connection: dumped with --tcp-established and restored; then the same
# connection and a new one both read the keys, and writes go on.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	skip "real redis: needs root"
	exit 0
fi
if ! command -v redis-server >/dev/null; then
	skip "real redis: redis-server is not installed"
	exit 0
fi
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/redis.conf" <<CONF
port $PORT
bind 127.0.0.1
save ""
appendonly no
daemonize no
dir $T
logfile $T/redis.log
protected-mode yes
CONF

# A RESP client: one connection held across the dump, then a new one.
cat >"$T/client.py" <<'PY'
import os, socket, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
def cmd(s, f, *args):
    s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    line = f.readline()
    if line.startswith(b"$"):
        n = int(line[1:])
        return None if n < 0 else f.read(n + 2)[:-2].decode()
    return line.strip().decode()
s = socket.create_connection(("127.0.0.1", port), timeout=20)
f = s.makefile("rb")
for i in range(100):
    cmd(s, f, b"SET", b"key:%d" % i, b"value-%d" % i)
print("set", cmd(s, f, b"DBSIZE"), flush=True)
open(d + "/ready", "w").close()
while not os.path.exists(d + "/go"):
    time.sleep(0.05)
ok = all(cmd(s, f, b"GET", b"key:%d" % i) == "value-%d" % i for i in range(100))
print("same connection", "ok" if ok else "BAD", cmd(s, f, b"INCR", b"counter"), flush=True)
n = socket.create_connection(("127.0.0.1", port), timeout=20)
nf = n.makefile("rb")
ok = all(cmd(n, nf, b"GET", b"key:%d" % i) == "value-%d" % i for i in range(100))
print("new connection", "ok" if ok else "BAD", cmd(n, nf, b"INCR", b"counter"), flush=True)
PY

spawn_clean redis-server "$T/redis.conf" </dev/null >/dev/null 2>&1
srv=$pid
up() { $PY -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$PORT" 2>/dev/null; }
wait_for 10 up || { fail "real redis: the server did not start: $(tail -3 "$T/redis.log")"; exit 0; }
spawn_clean $PY "$T/client.py" "$PORT" "$T" </dev/null >"$T/client.out" 2>&1
cli=$pid
wait_for 10 test -e "$T/ready" || { fail "real redis: the client did not set its keys: $(cat "$T/client.out")"; exit 0; }

d=$T/img
mkdir -p "$d"
why=
if ! "$CRIU" dump --tcp-established -t "$srv" -D "$d" -v4 -o dump.log 2>"$d/dump.err"; then
	why="dump failed: $(grep -m1 Error "$d/dump.err")"
	# What is not built yet shows as a SKIP, not a failure.
	nb=$(grep -m1 -oE "(has [0-9]+ threads: multi-threaded|has children|not supported yet).*" "$d/dump.err")
	if [ -n "$nb" ]; then
		skip "real redis: the dump is refused: $nb"
		kill -9 "$srv" "$cli" 2>/dev/null
		exit 0
	fi
elif ! wait_for 5 gone "$srv"; then
	why="redis still runs after the dump"
else
	reap "$srv"
	sleep 0.3
	if ! "$CRIU" restore --tcp-established -D "$d" -d -v4 -o restore.log 2>"$d/restore.err"; then
		why="restore failed: $(grep -m1 Error "$d/restore.err")"
	else
		touch "$T/go"
		done_() { grep -q "^new connection" "$T/client.out"; }
		wait_for 10 done_ || why="the client got no answers: $(tail -2 "$T/client.out")"
	fi
fi
if [ -z "$why" ]; then
	grep -q "^same connection ok :1$" "$T/client.out" || why="on the same connection: $(grep same "$T/client.out")"
	grep -q "^new connection ok :2$" "$T/client.out" || why="${why:+$why; }on a new connection: $(grep new "$T/client.out")"
fi
[ -z "$why" ] && pass "real redis: keys read on the held connection and on a new one after dump/restore" ||
	fail "real redis: $why"
kill -9 "$srv" "$cli" 2>/dev/null
