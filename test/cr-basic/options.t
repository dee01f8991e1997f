#!/bin/bash
# Options of dump and restore: --action-script stages and environment, a
# failing pre-dump script that stops the dump, --shell-job for a process
# that is not a session leader.
. "$(dirname "$0")/../lib/lib.sh"
PROG=$CRIU_TOP/${BUILD:-build}/test/progs/counter

# Like spawn_clean, without setsid: the process stays in our session.
spawn_in_session() {
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec "$@"
	) &
	pid=$!
	track_pid "$pid"
}

start_counter() {
	rm -f "$T/ready"
	COUNTER_READY=$T/ready spawn_clean "$PROG" -i 20 </dev/null >"$1" 2>&1
	wait_for 10 test -e "$T/ready"
}

# --- action scripts: every stage, in order, with its environment
cat >"$T/script" <<'EOF'
#!/bin/sh
echo "$CRTOOLS_SCRIPT_ACTION ${CRTOOLS_INIT_PID:-none} $CRTOOLS_IMAGE_DIR" >>"$(dirname "$0")/actions"
EOF
chmod +x "$T/script"
mkdir -p "$T/img"
start_counter "$T/out"
why=
if ! "$CRIU" dump -t "$pid" -D "$T/img" -o dump.log --action-script "$T/script"; then
	why="dump failed"
else
	wait_for 5 gone "$pid"
	reap "$pid"
	"$CRIU" restore -D "$T/img" -d -o restore.log --action-script "$T/script" || why="restore failed"
fi
want="pre-dump $pid $T/img
post-dump $pid $T/img
pre-restore none $T/img
post-restore $pid $T/img
pre-resume $pid $T/img
post-resume $pid $T/img"
got=$(cat "$T/actions" 2>/dev/null)
[ -z "$why" ] && [ "$got" != "$want" ] && why="stages were: $(echo "$got" | tr '\n' ';')"
kill -9 "$pid" 2>/dev/null
[ -z "$why" ] && pass "action scripts: every stage with its environment" || fail "action scripts: $why"

# --- a failing pre-dump script: no dump, the task runs on
start_counter "$T/out2"
mkdir -p "$T/img2"
if "$CRIU" dump -t "$pid" -D "$T/img2" -o dump.log --action-script "exit 3" 2>"$T/err"; then
	fail "failing pre-dump script: the dump went on"
elif gone "$pid" || ! grep -q "failed at pre-dump with status 3" "$T/err"; then
	fail "failing pre-dump script: $(grep -m1 Error "$T/err")"
else
	pass "failing pre-dump script: refused, the task runs on"
fi
kill -9 "$pid"
reap "$pid"

# --- --shell-job: a process of our session, not its leader
mkdir -p "$T/img3"
rm -f "$T/ready"
COUNTER_READY=$T/ready spawn_in_session "$PROG" -i 20 </dev/null >"$T/out3" 2>&1
wait_for 10 test -e "$T/ready"
why=
mysid=$(ps -o sid= -p $$ | tr -d ' ')
if "$CRIU" dump -t "$pid" -D "$T/img3" -o dump.log 2>"$T/err"; then
	why="dumped without --shell-job"
elif ! grep -q -- "--shell-job" "$T/err"; then
	why="no hint at --shell-job: $(grep -m1 Error "$T/err")"
elif gone "$pid"; then
	why="refused dump stopped the task"
elif ! "$CRIU" dump -j -t "$pid" -D "$T/img3" -o dump.log; then
	why="dump -j failed"
else
	wait_for 5 gone "$pid"
	reap "$pid"
	if ! "$CRIU" restore -j -D "$T/img3" -d -o restore.log; then
		why="restore -j failed: $(grep -m1 Error "$T/img3/restore.log")"
	elif [ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$mysid" ]; then
		why="restored into session $(ps -o sid= -p "$pid"), not $mysid"
	else
		n=$(wc -l <"$T/out3")
		sleep 0.2
		[ "$(wc -l <"$T/out3")" -gt "$n" ] || why="does not count on"
	fi
fi
kill -9 "$pid" 2>/dev/null
[ -z "$why" ] && pass "shell job" || fail "shell job: $why"

# --- restore -S -d: the task is our child, criu's sibling
mkdir -p "$T/img4"
start_counter "$T/out4"
why=
if ! "$CRIU" dump -t "$pid" -D "$T/img4" -o dump.log; then
	why="dump failed"
else
	wait_for 5 gone "$pid"
	reap "$pid"
	if ! "$CRIU" restore -S -d -D "$T/img4" -o restore.log; then
		why="restore -S failed: $(grep -m1 Error "$T/img4/restore.log")"
	elif [ "$(sed -n 's/^PPid:\s*//p' "/proc/$pid/status")" != $$ ]; then
		why="its parent is $(sed -n 's/^PPid:\s*//p' "/proc/$pid/status"), not $$"
	else
		kill -TERM "$pid"
		wait_for 5 gone "$pid" || why="does not end on SIGTERM"
		grep -q '^PASS' "$T/out4" || why="no PASS at the end"
	fi
fi
kill -9 "$pid" 2>/dev/null
[ -z "$why" ] && pass "restore -S: the task is criu's sibling" || fail "restore -S: $why"

# --- --log-pid: the restored task's part of the log goes to LOG.PID
mkdir -p "$T/img5"
start_counter "$T/out5"
why=
if ! "$CRIU" dump -t "$pid" -D "$T/img5" -o dump.log; then
	why="dump failed"
else
	wait_for 5 gone "$pid"
	reap "$pid"
	if ! "$CRIU" restore --log-pid -d -v4 -D "$T/img5" -o restore.log; then
		why="restore failed"
	elif ! grep -q "entering the restorer" "$T/img5/restore.log.$pid"; then
		why="no restore.log.$pid with the task's part"
	elif grep -q "entering the restorer" "$T/img5/restore.log"; then
		why="the task's part is in restore.log too"
	fi
fi
kill -9 "$pid" 2>/dev/null
[ -z "$why" ] && pass "restore --log-pid" || fail "restore --log-pid: $why"

# --- --timeout: taken by dump (the time allowed to freeze the tree)
why=
spawn_clean sleep 1000 </dev/null >/dev/null 2>&1
mkdir -p "$T/img6"
if ! "$CRIU" dump --timeout 3 -R -t "$pid" -D "$T/img6" -o dump.log 2>"$T/err6"; then
	why="dump failed: $(head -1 "$T/err6")"
elif gone "$pid"; then
	why="the task is gone after -R"
fi
kill -9 "$pid" 2>/dev/null
reap "$pid"
[ -z "$why" ] && pass "dump --timeout" || fail "dump --timeout: $why"

exit 0
