#!/bin/bash
# Files through `criu dump` and `criu restore`, the failure paths first:
# a file that grew after the dump is refused on restore naming the file
# (and no process is left), a deleted file above --ghost-limit fails the
# dump naming the option and the task runs on, a lone pipe end (its peer
# outside) is dumped as a PIPE entry; and a deleted file within the limit
# comes back with its data.
. "$(dirname "$0")/../lib/lib.sh"
HOLD=$CRIU_TOP/${BUILD:-build}/test/progs/files-hold

if [ ! -x "$HOLD" ]; then
	skip "files cr: $HOLD is not built"
	exit 0
fi

# hold READY-NAME OPEN...: start files-hold, wait until it is ready; sets $pid.
hold() {
	local ready=$T/$1.ready
	shift
	setsid "$HOLD" "$ready" "$@" </dev/null >/dev/null 2>&1 &
	pid=$!
	disown "$pid" # bash still reaps it, without a "Killed" notice
	track_pid "$pid"
	for _ in $(seq 100); do
		[ -e "$ready" ] && return 0
		sleep 0.05
	done
	return 1
}
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" != Z ]; }
gone_within() {
	for _ in $(seq 50); do
		[ -e /proc/"$1" ] || return 0
		sleep 0.05
	done
	return 1
}
state() { awk '{print $3}' /proc/"$1"/stat 2>/dev/null; }
stop() { kill -9 "$1" 2>/dev/null; }

# Can this criu dump and restore a task yet?  If not, say why and stop.
echo hi >"$T/probe"
hold probe r:"$T/probe" || { fail "files cr: holder did not start"; exit 0; }
mkdir -p "$T/probe-img"
if ! "$CRIU" dump -t "$pid" -D "$T/probe-img" -o dump.log -v4 >"$T/probe.err" 2>&1; then
	why=$(grep -m1 -E 'Error|not supported' "$T/probe.err" "$T/probe-img/dump.log" 2>/dev/null | head -1)
	skip "files cr: criu dump does not work yet: ${why:-see $T/probe.err}"
	stop "$pid"
	exit 0
fi
gone_within "$pid"

# ---- a file that grew between dump and restore
printf '0123456789' >"$T/grow"
hold grow r:"$T/grow"
mkdir -p "$T/img-grow"
if "$CRIU" dump -t "$pid" -D "$T/img-grow" -o dump.log -v4 2>"$T/grow.err"; then
	gone_within "$pid"
		echo more >>"$T/grow"
	if "$CRIU" restore -D "$T/img-grow" -d -o restore.log -v4 2>"$T/grow-rst.err"; then
		fail "files cr: restore of a file that grew was not refused"
	elif ! grep -q "$T/grow" "$T/img-grow/restore.log" "$T/grow-rst.err"; then
		fail "files cr: the refusal does not name $T/grow: $(grep -m1 Error "$T/grow-rst.err")"
	elif alive "$pid"; then
		fail "files cr: a process is left after the refused restore"
	else
		pass "files cr: a file that grew since the dump is refused, naming it"
	fi
	stop "$pid"
else
	fail "files cr: dump of a task with a regular file: $(grep -m1 Error "$T/grow.err")"
fi

# ---- a deleted file above --ghost-limit
head -c 4096 /dev/urandom >"$T/big"
hold big u:"$T/big"
mkdir -p "$T/img-big"
if "$CRIU" dump -t "$pid" -D "$T/img-big" --ghost-limit 1K -o dump.log -v4 2>"$T/big.err"; then
	fail "files cr: a ghost file above --ghost-limit was dumped"
elif grep -q -- '--ghost-limit is not supported yet' "$T/big.err"; then
	skip "files cr: --ghost-limit is still marked unbuilt in the option table"
elif ! grep -q -- '--ghost-limit' "$T/big.err"; then
	fail "files cr: the refusal does not name --ghost-limit: $(grep -m1 Error "$T/big.err")"
elif ! grep -q "$T/big" "$T/big.err"; then
	fail "files cr: the refusal does not name the file"
elif ! alive "$pid" || [ "$(state "$pid")" = T ] || [ "$(state "$pid")" = t ]; then
	fail "files cr: the task is not running on after the failed dump (state $(state "$pid"))"
else
	pass "files cr: a deleted file above --ghost-limit fails the dump, the task runs on"
fi
stop "$pid"

# ---- a lone pipe end (the reader is outside the task): dumped as PIPE
hold pipe pipe
mkdir -p "$T/img-pipe"
if ! "$CRIU" dump -R -t "$pid" -D "$T/img-pipe" -o dump.log 2>"$T/pipe.err"; then
	fail "files cr: a task with a lone pipe end was not dumped: $(grep -m1 Error "$T/pipe.err")"
elif ! "$CRIT" show "$T/img-pipe/files.img" | grep -q '"type": "PIPE"'; then
	fail "files cr: files.img has no PIPE entry"
elif ! alive "$pid"; then
	fail "files cr: the task died in the dump -R"
else
	pass "files cr: a lone pipe end is dumped as a PIPE entry, the task runs on"
fi
stop "$pid"

# ---- a deleted file within the limit comes back with its data
printf 'ghost contents' >"$T/small"
hold small u:"$T/small"
mkdir -p "$T/img-small"
if ! "$CRIU" dump -t "$pid" -D "$T/img-small" -o dump.log -v4 2>"$T/small.err"; then
	fail "files cr: dump with a ghost file: $(grep -m1 Error "$T/small.err")"
else
	gone_within "$pid"
		if ! "$CRIU" restore -D "$T/img-small" -d -o restore.log -v4 2>"$T/small-rst.err"; then
		fail "files cr: restore with a ghost file: $(grep -m1 Error "$T/small-rst.err")"
	elif [ "$(readlink /proc/"$pid"/fd/3)" != "$T/small (deleted)" ]; then
		fail "files cr: the restored fd 3 is $(readlink /proc/"$pid"/fd/3)"
	elif [ "$(cat /proc/"$pid"/fd/3)" != "ghost contents" ]; then
		fail "files cr: the restored ghost file holds $(head -c 40 /proc/"$pid"/fd/3)"
	elif ls "$T" | grep -q ghost; then
		fail "files cr: the ghost copy is left in $T"
	else
		pass "files cr: a deleted file comes back deleted, with its data"
	fi
	stop "$pid"
fi

# ---- exactly the dumped fds come back, and criu's own fds (its log above
# all, opened at a low number) neither take their place nor write into them
printf 'AAAA' >"$T/three"
hold three w:"$T/three" r:"$T/three" a:"$T/three"
mkdir -p "$T/img-three"
if ! "$CRIU" dump -t "$pid" -D "$T/img-three" -o dump.log -v4 2>"$T/three.err"; then
	fail "files cr: dump of three fds: $(grep -m1 Error "$T/three.err")"
else
	gone_within "$pid"
	if ! "$CRIU" restore -D "$T/img-three" -d -o restore.log -v4 2>"$T/three-rst.err"; then
		fail "files cr: restore of three fds: $(grep -m1 Error "$T/three-rst.err")"
	else
		sleep 0.2
		fds=$(ls /proc/"$pid"/fd 2>/dev/null | sort -n | tr '\n' ' ')
		if [ "$fds" != "0 1 2 3 4 5 " ]; then
			fail "files cr: the restored task has fds $fds, not 0-5"
		elif [ "$(cat "$T/three")" != AAAA ]; then
			fail "files cr: something wrote into the task's file: $(head -c 60 "$T/three" | tr '\n' ' ')"
		else
			pass "files cr: exactly the dumped fds come back, untouched by criu"
		fi
	fi
	stop "$pid"
fi
