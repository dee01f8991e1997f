#!/bin/bash
# Failures around threads leave nothing behind and say why:
#  - a thread whose state the kernel refuses in the restorer (its
#    scheduling policy edited to a bad one): the restore fails naming the
#    step, and neither the process nor any of its threads is left;
#  - a thread whose tid is taken: refused before anything is created;
#  - a thread with its own fd table (unshare(CLONE_FILES)) or in a uts
#    namespace of its own: the dump is refused by name and the process
#    runs on untouched.
. "$(dirname "$0")/../lib/lib.sh"

cat >"$T/thr.c" <<'C'
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
static void *nap(void *a) { for (;;) pause(); return a; }
static int flags;
static void *own(void *a) { unshare(flags); for (;;) pause(); return a; }
int main(int argc, char **argv)
{
	pthread_t t;
	flags = argc < 2 ? 0 : argv[1][0] == 'f' ? CLONE_FILES : CLONE_NEWUTS;
	for (int i = 0; i < 3; i++)
		pthread_create(&t, NULL, flags && i == 1 ? own : nap, NULL);
	if (write(1, "ready\n", 6) < 0)
		return 1;
	for (;;)
		pause();
}
C
if ! cc -O1 -o "$T/thr" "$T/thr.c" -lpthread 2>"$T/cc.err"; then
	fail "threads errors: can't build the program: $(head -1 "$T/cc.err")"
	exit 0
fi
got() { grep -q "$2" "$1"; }
edit() { # edit IMG PYTHON-EXPR-ON-d: decode, change, encode back
	"$CRIT" decode -i "$1" >"$T/e.json" &&
		/usr/bin/python3 -c "import json; d = json.load(open('$T/e.json')); $2; json.dump(d, open('$T/e.json', 'w'))" &&
		"$CRIT" encode -i "$T/e.json" -o "$1"
}

spawn_clean "$T/thr" </dev/null >"$T/out" 2>&1
p1=$pid
wait_for 5 got "$T/out" ready
sleep 0.1
tids=$(ls /proc/$pid/task | sort -n)
mkdir -p "$T/img"
if ! "$CRIU" dump -t "$pid" -D "$T/img" -o dump.log 2>/dev/null; then
	fail "threads errors: dump failed: $(grep -m1 Error "$T/img/dump.log")"
	exit 0
fi
wait_for 5 gone "$pid"
reap "$pid"
t2=$(echo $tids | cut -d' ' -f3)

# 1: a bad scheduling policy for one thread
cp -r "$T/img" "$T/bad"
edit "$T/bad/core-$t2.img" 'd["entries"][0]["thread_core"]["sched_policy"] = 77'
why=
if "$CRIU" restore -D "$T/bad" -d -o restore.log 2>/dev/null; then
	why="restore succeeded"
elif ! grep -q "Error.*scheduling" "$T/bad/restore.log"; then
	why="no error naming the step: $(grep -m1 Error "$T/bad/restore.log")"
fi
for t in $tids; do
	[ -e "/proc/$t" ] && why="${why:-thread $t is left}" && kill -9 "$t"
done
[ -z "$why" ] && pass "threads errors: a thread failing in the restorer fails the restore, nothing left" ||
	fail "threads errors: a failing thread: $why"

# 2: a thread's tid is taken (here: by this shell)
cp -r "$T/img" "$T/taken"
edit "$T/taken/pstree.img" "d['entries'][0]['threads'][2] = $$"
mv "$T/taken/core-$t2.img" "$T/taken/core-$$.img"
why=
if "$CRIU" restore -D "$T/taken" -d -o restore.log 2>/dev/null; then
	why="restore succeeded"
elif ! grep -q "Error.*tid $$ .*taken" "$T/taken/restore.log"; then
	why="no error naming the tid: $(grep -m1 Error "$T/taken/restore.log")"
fi
for t in $tids; do
	[ -e "/proc/$t" ] && why="${why:-thread $t is left}" && kill -9 "$t"
done
[ -z "$why" ] && pass "threads errors: a taken tid is refused, nothing created" ||
	fail "threads errors: a taken tid: $why"

# 3: a thread with its own fd table, or in its own uts namespace
own() {
	local arg=$1 what=$2 pat=$3 why=
	spawn_clean "$T/thr" "$arg" </dev/null >"$T/out.$arg" 2>&1
	local p2=$pid
	wait_for 5 got "$T/out.$arg" ready
	sleep 0.1
	local before=$(ls /proc/$p2/task | sort -n)
	mkdir -p "$T/img.$arg"
	if "$CRIU" dump -t "$p2" -D "$T/img.$arg" -o dump.log 2>/dev/null; then
		why="dump succeeded"
	elif ! grep -q "Error.*$pat" "$T/img.$arg/dump.log"; then
		why="no error naming it: $(grep -m1 Error "$T/img.$arg/dump.log")"
	elif gone "$p2" || [ "$(ls /proc/$p2/task | sort -n)" != "$before" ]; then
		why="the process did not run on with its threads"
	elif grep -q "T (stopped)\\|t (tracing" /proc/$p2/task/*/status; then
		why="a thread is left stopped"
	fi
	kill -9 "$p2" 2>/dev/null
	reap "$p2"
	[ -z "$why" ] && pass "threads errors: a thread with $what is refused, the process runs on" ||
		fail "threads errors: a thread with $what: $why"
}
own files "its own fd table" "thread .* has its own fd table"
own uts "its own uts namespace" "thread .* is in another uts namespace"

# and the untouched images still restore
why=
"$CRIU" restore -D "$T/img" -d -o restore.log 2>/dev/null || why="restore failed: $(grep -m1 Error "$T/img/restore.log")"
[ -z "$why" ] && [ "$(ls /proc/$p1/task 2>/dev/null | sort -n)" != "$tids" ] && why="threads differ"
kill -9 "$p1" 2>/dev/null
[ -z "$why" ] && pass "threads errors: the same images restore untouched" || fail "threads errors: $why"
exit 0
