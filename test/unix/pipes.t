#!/bin/bash
# Pipes that used to be refused are dumped and restored (this replaces the
# old test/cr/pipes.t, which checked the refusals): a pipe with both ends in
# the task and bytes in it, and a read end holding bytes whose writer is
# outside the tree (closed, or alive in another process).  After restore the
# task reads the bytes, in order, then end of file where the writer was
# outside.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

# restored NAME SETUP-CODE CHECK-CODE: CHECK-CODE runs after restore and
# writes "ok" or what is wrong to $d/result.
restored() {
	local name=$1 d=$T/$1 why=
	mkdir -p "$d"
	spawn_clean $PY -c "import os, time
d = '$d'
$2
open(d + '/ready', 'w').close()
while not os.path.exists(d + '/go'):
    time.sleep(0.02)
def check():
$3
open(d + '/result', 'w').write(check())
time.sleep(100)" </dev/null >"$d/out" 2>&1
	wait_for 10 test -e "$d/ready"
	if ! "$CRIU" dump -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/err"; then
		why="dump: $(grep -m1 Error "$d/err")"
	else
		wait_for 5 gone "$pid"
		{ reap "$pid"; } 2>/dev/null
		if ! "$CRIU" restore -D "$d" -d -v4 -o restore.log 2>"$d/err"; then
			why="restore: $(grep -m1 Error "$d/err")"
		else
			touch "$d/go"
			wait_for 5 test -s "$d/result"
			[ "$(cat "$d/result" 2>/dev/null)" = ok ] || why="after restore: $(cat "$d/result" 2>/dev/null)"
		fi
	fi
	kill -9 "$pid" 2>/dev/null
	{ reap "$pid"; } 2>/dev/null
	[ -z "$why" ] && pass "pipe: $name" || fail "pipe: $name: $why"
}

restored "both ends in the task, with bytes" \
	"r, w = os.pipe(); os.write(w, b'hello'); os.write(w, b' world')" \
"    got = os.read(r, 100)
    os.write(w, b'!')
    more = os.read(r, 100)
    return 'ok' if (got, more) == (b'hello world', b'!') else repr((got, more))"

restored "read end with bytes, writer closed" \
	"r, w = os.pipe(); os.write(w, b'left'); os.close(w)" \
"    got = os.read(r, 100); end = os.read(r, 100)
    return 'ok' if (got, end) == (b'left', b'') else repr((got, end))"

# The writer is alive outside the tree: the task's new pipe has the bytes, its writer closed.
d=$T/outside
mkdir -p "$d"
{ printf 'from outside'; echo $BASHPID >"$d/wpid"; exec sleep 20; } | setsid -f $PY -c "import os, time
d = '$d'
os.closerange(3, 1024)
open(d + '/ready.tmp', 'w').write(str(os.getpid())); os.rename(d + '/ready.tmp', d + '/ready')
while not os.path.exists(d + '/go'):
    time.sleep(0.02)
got = os.read(0, 100); end = os.read(0, 100)
open(d + '/result', 'w').write('ok' if (got, end) == (b'from outside', b'') else repr((got, end)))
time.sleep(100)" >"$d/out" 2>&1 &
# setsid -f: the task is not our child (init reaps it when the dump kills it).
wait_for 10 test -e "$d/ready"
pid=$(cat "$d/ready")
track_pid "$pid"
why=
if ! "$CRIU" dump -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/err"; then
	why="dump: $(grep -m1 Error "$d/err")"
else
	wait_for 5 test ! -e "/proc/$pid"
	if ! "$CRIU" restore -D "$d" -d -v4 -o restore.log 2>"$d/err"; then
		why="restore: $(grep -m1 Error "$d/err")"
	else
		touch "$d/go"
		wait_for 5 test -s "$d/result"
		[ "$(cat "$d/result" 2>/dev/null)" = ok ] || why="after restore: $(cat "$d/result" 2>/dev/null)"
	fi
fi
kill -9 "$pid" "$(cat "$d/wpid" 2>/dev/null)" 2>/dev/null
[ -z "$why" ] && pass "pipe: read end with bytes, writer outside" || fail "pipe: read end with bytes, writer outside: $why"
exit 0
