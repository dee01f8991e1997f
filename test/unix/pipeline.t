#!/bin/bash
# Real shell pipelines, dumped with their shell (the session leader) as the
# root and restored: the pipes between the processes, with the bytes in
# them, come back.
#  1. `yes | cat | wc -c`: after restore the count goes on; once yes is
#     stopped, wc prints more than it had read before the dump.
#  2. A producer writing a known sequence in bursts through `cat` into
#     md5sum: the sum after restore is the sum of the whole sequence, so no
#     byte in the pipes was lost or doubled.
. "$(dirname "$0")/../lib/lib.sh"

# kids PID: the children of PID.
kids() { cat /proc/$1/task/*/children 2>/dev/null; }

# tree_dump NAME DIR: dump $pid; SKIP (exit) if trees are not dumpable yet.
tree_dump() {
	if "$CRIU" dump -t "$pid" -D "$2" -v4 -o dump.log 2>"$2/err"; then
		return 0
	fi
	if grep -qE 'child|children|process tree|not supported yet' "$2/err"; then
		skip "$1: process trees are not dumpable yet: $(grep -m1 Error "$2/err")"
	else
		fail "$1: dump: $(grep -m1 Error "$2/err")"
	fi
	return 1
}

restore() { # NAME DIR
	if ! "$CRIU" restore -D "$2" -d -v4 -o restore.log 2>"$2/err"; then
		fail "$1: restore: $(grep -m1 Error "$2/err")"
		return 1
	fi
}

# --- yes | cat | wc -c
d=$T/count
mkdir -p "$d"
spawn_clean sh -c "yes | cat | wc -c > $d/out" </dev/null >/dev/null 2>&1
wait_for 5 test "$(kids "$pid" | wc -w)" -ge 3
sleep 0.3
wcpid=$(for k in $(kids "$pid"); do [ "$(cat /proc/$k/comm)" = wc ] && echo "$k"; done)
yespid=$(for k in $(kids "$pid"); do [ "$(cat /proc/$k/comm)" = yes ] && echo "$k"; done)
before=$(sed -n 's/^rchar: //p' "/proc/$wcpid/io" 2>/dev/null)
if tree_dump "yes | cat | wc -c" "$d"; then
	wait_for 5 gone "$pid"
	{ reap "$pid"; } 2>/dev/null
	if restore "yes | cat | wc -c" "$d"; then
		track_pid "$pid"
		sleep 0.3
		kill -TERM "$yespid"
		if wait_for 5 test -s "$d/out" && [ "$(cat "$d/out")" -gt $((before + 1000000)) ]; then
			pass "yes | cat | wc -c: counting went on after restore ($(cat "$d/out") bytes)"
		else
			fail "yes | cat | wc -c: wc printed '$(cat "$d/out" 2>/dev/null)'"
		fi
	fi
fi
kill -9 "$pid" $(kids "$pid") 2>/dev/null

# --- a known sequence through the pipes
d=$T/sum
mkdir -p "$d"
want=$(seq 1 100000 | md5sum)
spawn_clean sh -c "i=0; while [ \$i -lt 100 ]; do seq \$((i*1000+1)) \$((i*1000+1000)); i=\$((i+1)); sleep 0.01; done | cat | md5sum > $d/out" \
	</dev/null >/dev/null 2>&1
sleep 0.5
if tree_dump "sequence | cat | md5sum" "$d"; then
	wait_for 5 gone "$pid"
	{ reap "$pid"; } 2>/dev/null
	if restore "sequence | cat | md5sum" "$d"; then
		track_pid "$pid"
		if wait_for 20 test -s "$d/out" && [ "$(cat "$d/out")" = "$want" ]; then
			pass "sequence | cat | md5sum: every byte went through once"
		else
			fail "sequence | cat | md5sum: sum '$(cat "$d/out" 2>/dev/null)', not '$want'"
		fi
	fi
fi
kill -9 "$pid" $(kids "$pid") 2>/dev/null
exit 0
