#!/bin/bash
# nginx (Debian's), a master and one worker process, on 127.0.0.1 with its
# own config: serves a page before a dump of the whole tree and, once the
# tree is restored, serves it again.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	skip "real nginx: needs root"
	exit 0
fi
if ! command -v nginx >/dev/null; then
	skip "real nginx: nginx is not installed"
	exit 0
fi
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/www" "$T/nginx"
echo "nginx page $$" >"$T/www/index.html"
cat >"$T/nginx.conf" <<CONF
daemon off;
user root;
master_process on;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 127.0.0.1:$PORT;
		root $T/www;
	}
}
CONF
# The page's body (bash's /dev/tcp: no program to start at each poll).
get() {
	local r
	r=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET /index.html HTTP/1.0\r\n\r\n' >&3 && timeout 5 cat <&3) 2>/dev/null
	printf '%s\n' "$r" | tr -d '\r' | sed '1,/^$/d'
}
# The whole tree: nginx is a session and group leader (spawn_clean).
stop() { kill -9 -- "-$pid" 2>/dev/null; }
serving() { [ "$(get)" = "$(cat "$T/www/index.html")" ]; }

spawn_clean nginx -c "$T/nginx.conf" -p "$T/nginx" </dev/null >/dev/null 2>&1
wait_for 10 serving || { fail "real nginx: does not serve: $(get)"; stop; exit 0; }
d=$T/img
mkdir -p "$d"
why=
if ! "$CRIU" dump -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/dump.err"; then
	why="dump failed: $(grep -m1 Error "$d/dump.err")"
	nb=$(grep -m1 -oE "(has [0-9]+ threads: multi-threaded|has children|not supported yet).*" "$d/dump.err")
	if [ -n "$nb" ]; then
		skip "real nginx: the dump is refused: $nb"
		stop
		exit 0
	fi
elif ! wait_for 5 gone "$pid"; then
	why="nginx still runs after the dump"
else
	reap "$pid"
	if ! "$CRIU" restore -D "$d" -d -v4 -o restore.log 2>"$d/restore.err"; then
		why="restore failed: $(grep -m1 Error "$d/restore.err")"
	elif ! wait_for 5 serving; then
		why="the restored nginx does not serve: $(get)"
	fi
fi
[ -z "$why" ] && pass "real nginx: master and worker serve a page before and after dump/restore" ||
	fail "real nginx: $why"
stop
