#!/bin/bash
# Unix sockets whose peer is outside the dumped tree.  Without --ext-unix-sk
# the dump fails naming the option and the task runs on untouched; with it a
# stream socket comes back with its peer closed and a datagram socket is
# connected again to its peer's name.  Queued descriptors (SCM_RIGHTS) and a
# connection from outside waiting in a listener's queue are refused.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

# start_task DIR CODE: a python task running CODE, then waiting for DIR/go
# and running the "after" code it defines; sets $pid.
start_task() {
	local d=$1
	mkdir -p "$d"
	spawn_clean $PY -c "import os, socket, time, sys
d = '$d'
$2
open(d + '/ready', 'w').close()
while not os.path.exists(d + '/go'):
    time.sleep(0.02)
after()
time.sleep(100)" </dev/null >"$d/task.out" 2>&1
	wait_for 10 test -e "$d/ready"
}

# An outside server: python CODE in its own session; sets $srv.
start_server() {
	local d=$1 task=${pid:-}
	mkdir -p "$d"
	spawn_clean $PY -c "import os, socket, time
d = '$d'
$2" </dev/null >"$d/srv.out" 2>&1
	srv=$pid
	pid=$task
	wait_for 10 test -e "$d/srv-ready"
}

stop() { # PID...: kill and reap quietly
	kill -9 "$@" 2>/dev/null
	for p in "$@"; do { reap "$p"; } 2>/dev/null; done
}

untouched() { # PID: running, not traced
	! gone "$1" && [ "$(sed -n 's/^TracerPid:\t//p' /proc/$1/status)" = 0 ]
}

# refused NAME PATTERN DIR: dump of $pid fails with PATTERN, the task runs on.
refused() {
	local name=$1 pattern=$2 d=$3 why=
	if "$CRIU" dump -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/err"; then
		why="dump succeeded"
	elif ! grep -q -- "$pattern" "$d/err"; then
		why="no message naming it: $(grep -m1 Error "$d/err")"
	elif ! untouched "$pid"; then
		why="the task is gone or still traced"
	fi
	[ -z "$why" ] && pass "refused: $name" || fail "refused: $name: $why"
}

# dump_restore NAME DIR [criu options]: dump $pid and restore it detached.
dump_restore() {
	local name=$1 d=$2
	shift 2
	if ! "$CRIU" dump "$@" -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/err"; then
		fail "$name: dump: $(grep -m1 Error "$d/err")"
		return 1
	fi
	wait_for 5 gone "$pid"
	{ reap "$pid"; } 2>/dev/null
	if ! "$CRIU" restore "$@" -D "$d" -d -v4 -o restore.log 2>"$d/err"; then
		fail "$name: restore: $(grep -m1 Error "$d/err")"
		return 1
	fi
	track_pid "$pid"
}

# --- a stream connection to an outside server
d=$T/stream
start_server "$d" "s = socket.socket(socket.AF_UNIX); s.bind(d + '/srv'); s.listen(1)
open(d + '/srv-ready', 'w').close()
c, _ = s.accept(); c.send(b'hello'); time.sleep(100)"
start_task "$d" "c = socket.socket(socket.AF_UNIX); c.connect(d + '/srv')
time.sleep(0.2)
def after():
    got = c.recv(100); rest = c.recv(100)
    open(d + '/result', 'w').write(repr((got, rest)))"
refused "stream socket with a peer outside" "--ext-unix-sk" "$d"
if dump_restore "stream peer outside, --ext-unix-sk" "$d" --ext-unix-sk; then
	touch "$d/go"
	wait_for 5 test -s "$d/result"
	r=$(cat "$d/result" 2>/dev/null)
	[ "$r" = "(b'hello', b'')" ] && pass "stream peer outside: queued bytes, then end of file" ||
		fail "stream peer outside: read $r"
fi
stop "$pid" "$srv"

# --- a datagram socket connected to an outside named server (like /dev/log)
d=$T/dgram
start_server "$d" "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(d + '/log')
open(d + '/srv-ready', 'w').close()
while True:
    m = s.recv(100); open(d + '/got', 'a').write(m.decode() + '\n')"
start_task "$d" "c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); c.connect(d + '/log'); c.send(b'before')
def after():
    c.send(b'after')"
wait_for 5 grep -q before "$d/got"
refused "datagram socket with a peer outside" "--ext-unix-sk" "$d"
if dump_restore "dgram peer outside, --ext-unix-sk" "$d" --ext-unix-sk; then
	touch "$d/go"
	wait_for 5 grep -q after "$d/got" && pass "dgram peer outside: connected again to its name" ||
		fail "dgram peer outside: the server got $(tr '\n' ' ' <"$d/got")"
fi
stop "$pid" "$srv"

# --- --ext-unix-sk=INODE allows only the listed sockets
d=$T/listed
start_server "$d" "s = socket.socket(socket.AF_UNIX); s.bind(d + '/srv'); s.listen(1)
open(d + '/srv-ready', 'w').close()
c, _ = s.accept(); time.sleep(100)"
start_task "$d" "c = socket.socket(socket.AF_UNIX); c.connect(d + '/srv')
def after(): pass"
refused "a socket not in --ext-unix-sk=INODE" "--ext-unix-sk" "$d" 2>/dev/null
"$CRIU" dump --ext-unix-sk=1 -t "$pid" -D "$d" -v4 -o dump2.log 2>"$d/err2" &&
	fail "dump with another inode listed succeeded" || pass "--ext-unix-sk=INODE: another inode is refused"
ino=$(stat -L -c %i /proc/$pid/fd/3)
"$CRIU" dump --ext-unix-sk=$ino -t "$pid" -D "$d" -R -v4 -o dump3.log 2>"$d/err3" &&
	pass "--ext-unix-sk=INODE: the listed inode is dumped" ||
	fail "--ext-unix-sk=$ino: $(grep -m1 Error "$d/err3")"
stop "$pid" "$srv"

# --- descriptors queued in a message
d=$T/rights
start_task "$d" "a, b = socket.socketpair(); socket.send_fds(a, [b'x'], [0])
def after(): pass"
refused "a queued message carrying descriptors" "SCM_RIGHTS" "$d"
stop "$pid"

# --- a connection from outside waiting in a listener's queue
d=$T/pending
start_task "$d" "s = socket.socket(socket.AF_UNIX); s.bind(d + '/l'); s.listen(4)
def after(): pass"
start_server "$d" "c = socket.socket(socket.AF_UNIX); c.connect(d + '/l')
open(d + '/srv-ready', 'w').close(); time.sleep(100)"
refused "a pending connection from outside" "pending connection" "$d"
stop "$pid" "$srv"
exit 0
