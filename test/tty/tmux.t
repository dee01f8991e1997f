#!/bin/bash
# A real program holding ptys: a tmux server (a daemon holding a pty master
# per pane, its pane a child that leads a session with the pty slave as
# controlling terminal, a unix socket for its clients) is dumped with -j
# (the pane has a controlling terminal) and restored: the pane shows what
# it showed, keys sent by a new tmux client reach the pane's program and
# its answer shows, and the pane still has its pty as controlling terminal.
. "$(dirname "$0")/../lib/lib.sh"

if ! command -v tmux >/dev/null; then
	skip "tmux: not installed"
	exit 0
fi
S=$T/tmux.sock
tm() { env -u TERM tmux -S "$S" -f /dev/null "$@" </dev/null; }
screen_has() { tm capture-pane -p | grep -q -- "$1"; }
# the words are split so that the pane's echo of the keys never matches
tm new-session -d -x 80 -y 20 'sh -c "y=got; while read -r l; do echo \$y:\$l; done"'
srv=$(tm display -p '#{pid}')
pane=$(tm display -p '#{pane_pid}')
track_pid "$srv"
track_pid "$pane"
tm send-keys before Enter
if ! wait_for 5 screen_has got:before; then
	fail "tmux: the pane does not answer before the dump"
	tm kill-server
	exit 0
fi
mkdir -p "$T/img"
why=
if "$CRIU" dump -t "$srv" -D "$T/img" -o dump0.log 2>"$T/err" || ! grep -q -- --shell-job "$T/err"; then
	why="dump without -j: not refused naming --shell-job"
elif ! "$CRIU" dump -j -t "$srv" -D "$T/img" -v4 -o dump.log 2>"$T/err"; then
	why="dump -j failed: $(grep -m1 Error "$T/err")"
elif ! wait_for 5 gone "$srv" || ! wait_for 5 gone "$pane"; then
	why="the server runs on after the dump"
elif ! "$CRIU" restore -j -d -D "$T/img" -v4 -o restore.log 2>"$T/err"; then
	why="restore failed: $(grep -m1 Error "$T/err")"
elif ! screen_has got:before; then
	why="the pane lost what it showed: $(tm capture-pane -p | head -3 | tr '\n' '|')"
else
	tm send-keys after Enter
	pts=$(readlink "/proc/$pane/fd/0")
	read -r _ _ _ _ sid tty_nr _ < <(sed 's/.*) //' "/proc/$pane/stat" | sed 's/^/x /')
	if ! wait_for 5 screen_has got:after; then
		why="keys sent after the restore get no answer: $(tm capture-pane -p | head -4 | tr '\n' '|')"
	elif [ "$sid" != "$pane" ] || [ "$tty_nr" = 0 ]; then
		why="the pane is in session $sid with tty_nr $tty_nr"
	elif [ "$(stat -c '%t:%T' "$pts")" != "$(printf '%x:%x' $((tty_nr >> 8 & 0xfff)) $((tty_nr & 0xff)))" ]; then
		why="the pane's controlling terminal ($tty_nr) is not its fd 0 ($pts)"
	fi
fi
[ -z "$why" ] && pass "tmux: server and pane dumped with -j and restored, the pane answers" || fail "tmux: $why"
tm kill-server 2>/dev/null
kill -9 "$srv" "$pane" 2>/dev/null
exit 0
