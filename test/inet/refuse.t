#!/bin/bash
# What is not supported is refused by name, and the task runs on untouched:
# a raw IP socket, a packet socket, a UDP socket with corked data.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	skip "inet refuse: needs root (raw sockets, TCP_REPAIR)"
	exit 0
fi

# refused NAME WANT PYTHON-SETUP [criu options]: a python task does SETUP,
# then sleeps; the dump must fail saying WANT, and the task must still run.
refused() {
	local name=$1 want=$2 setup=$3 d=$T/$1 why=
	shift 3
	mkdir -p "$d"
	rm -f "$T/ready"
	spawn_clean $PY -c "
import os, socket, time
$setup
open('$T/ready', 'w').close()
time.sleep(1000)" </dev/null >"$d/out" 2>&1
	wait_for 5 test -e "$T/ready" || { fail "inet refuse: $name: the task did not start: $(cat "$d/out")"; return; }
	if "$CRIU" dump "$@" -t "$pid" -D "$d" -o dump.log 2>"$d/err"; then
		why="dumped"
	elif ! grep -q -- "$want" "$d/err"; then
		why="no '$want' in: $(grep -m1 Error "$d/err")"
	elif gone "$pid"; then
		why="the refused dump stopped the task"
	fi
	kill -9 "$pid" 2>/dev/null
	reap "$pid"
	[ -z "$why" ] && pass "inet refuse: $name" || fail "inet refuse: $name: $why"
}

refused "raw IP socket" "raw IPv4 socket.*not supported yet" \
	"s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"
refused "packet socket" "packet socket.*not supported yet" \
	"s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)"
refused "corked UDP data" "corked data" "
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, 1, 1)  # UDP_CORK
s.sendto(b'waiting', ('127.0.0.1', 9))"
