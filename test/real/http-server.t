#!/bin/bash
# python3 -m http.server on 127.0.0.1 serves a page before a dump and, once
# restored (same pid, same listening socket), serves it again; and the
# same with a client's keep-alive connection open across the dump
# (--tcp-established): the next request on it is answered.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	skip "real http.server: needs root"
	exit 0
fi
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mkdir -p "$T/www"
echo "hello from before the checkpoint $$" >"$T/www/index.html"
PORT=$(free_port)
get() { $PY -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().strip())' "http://127.0.0.1:$PORT/index.html" 2>&1; }
serving() { [ "$(get)" = "$(cat "$T/www/index.html")" ]; }

# cr NAME [criu options]: dump $pid into $T/NAME and restore it; "" or why it failed.
cr() {
	local d=$T/$1
	shift
	mkdir -p "$d"
	"$CRIU" dump "$@" -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/dump.err" ||
		{ echo "dump failed: $(grep -m1 Error "$d/dump.err")"; return; }
	wait_for 5 gone "$pid" || { echo "the server still runs after the dump"; return; }
	reap "$pid"
	"$CRIU" restore "$@" -D "$d" -d -v4 -o restore.log 2>"$d/restore.err" ||
		{ echo "restore failed: $(grep -m1 Error "$d/restore.err")"; return; }
	gone "$pid" && echo "the restored server is not running"
}
# The refusals of what is not built yet, as SKIP lines.
not_built() { grep -oE "(threads: multi-threaded|has children|not supported yet)[^\"]*" "$T/$1/dump.err" | head -1; }

spawn_clean $PY -m http.server --bind 127.0.0.1 --directory "$T/www" "$PORT" </dev/null >"$T/server.log" 2>&1
wait_for 10 serving || { fail "real http.server: does not serve: $(get)"; exit 0; }
why=$(cr plain)
if [ -n "$why" ] && [ -n "$(not_built plain)" ]; then
	skip "real http.server: $(not_built plain)"
else
	[ -z "$why" ] && ! wait_for 5 serving && why="the restored server does not serve: $(get)"
	[ -z "$why" ] && pass "real http.server: serves a page before and after dump/restore" ||
		fail "real http.server: $why"
fi

# A keep-alive connection (HTTP/1.1) open across the dump.
cat >"$T/keepalive.py" <<'PY'
import http.client, os, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
def get(tag):
    c.request("GET", "/index.html", headers={"Connection": "keep-alive"})
    r = c.getresponse()
    body = r.read().decode().strip()
    print("%s %d %s %s" % (tag, r.status, r.getheader("Connection"), body), flush=True)
get("before")
open(d + "/asked", "w").close()
while not os.path.exists(d + "/again"):
    time.sleep(0.05)
get("after")
PY
spawn_clean $PY "$T/keepalive.py" "$PORT" "$T" </dev/null >"$T/ka.out" 2>&1
ka=$pid
wait_for 5 test -e "$T/asked"
pid=$(pgrep -f "http.server --bind 127.0.0.1 --directory $T/www")
why=
if ! grep -q "^before 200" "$T/ka.out"; then
	why="no first answer: $(cat "$T/ka.out")"
else
	why=$(cr keepalive --tcp-established)
fi
if [ -n "$why" ] && [ -n "$(not_built keepalive)" ]; then
	skip "real http.server keep-alive: $(not_built keepalive)"
else
	if [ -z "$why" ]; then
		touch "$T/again"
		answered() { grep -q "^after" "$T/ka.out"; }
		wait_for 10 answered || why="no answer after the restore"
		grep -q "^after 200 .*hello from before" "$T/ka.out" || why="after the restore: $(tail -2 "$T/ka.out")"
	fi
	[ -z "$why" ] && pass "real http.server: a keep-alive connection is answered after dump/restore" ||
		fail "real http.server keep-alive: $why"
fi
kill -9 "$pid" "$ka" 2>/dev/null
