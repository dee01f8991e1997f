#!/bin/bash
# A multi-threaded C program survives dump and restore: 8 worker threads
# increment counters of their own while the main thread checks, every
# 10 ms, that none ever goes back.  After restore: the same pid and tids,
# every counter moving on from where it was, never back.  Once plain and
# once with a dump --leave-running first.
. "$(dirname "$0")/../lib/lib.sh"

cat >"$T/workers.c" <<'C'
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NW 8
static volatile unsigned long cnt[NW];
static volatile sig_atomic_t mark, term;
static void on_sig(int s) { if (s == SIGUSR1) mark = 1; else term = 1; }

static void nap(long ns) { struct timespec ts = { 0, ns }; nanosleep(&ts, NULL); }

static void *work(void *a)
{
	volatile unsigned long *c = a;
	for (;;) {
		for (int i = 0; i < 20000; i++)
			(*c)++;
		nap(1000000);
	}
	return NULL;
}

static void say(const char *s) { if (write(1, s, strlen(s)) < 0) _exit(3); }

int main(void)
{
	unsigned long last[NW] = { 0 }, at_mark[NW] = { 0 };
	char buf[512];
	int marked = 0;
	pthread_t t;

	signal(SIGUSR1, on_sig);
	signal(SIGTERM, on_sig);
	for (int i = 0; i < NW; i++)
		pthread_create(&t, NULL, work, (void *)&cnt[i]);
	say("started\n");
	while (!term) {
		for (int i = 0; i < NW; i++) {
			unsigned long v = cnt[i];
			if (v < last[i]) {
				snprintf(buf, sizeof(buf), "FAIL: counter %d went back from %lu to %lu\n", i, last[i], v);
				say(buf);
				return 1;
			}
			last[i] = v;
		}
		if (mark && !marked) {
			memcpy(at_mark, last, sizeof(last));
			marked = 1;
			say("marked\n");
		}
		nap(10000000);
	}
	/* up to 3 s for every worker to move on (a loaded machine) */
	for (int k = 0, moved = 0; marked && !moved && k < 300; k++) {
		moved = 1;
		for (int i = 0; i < NW; i++)
			moved &= cnt[i] > at_mark[i];
		if (!moved)
			nap(10000000);
	}
	for (int i = 0; i < NW; i++)
		if (!marked || cnt[i] <= at_mark[i]) {
			snprintf(buf, sizeof(buf), "FAIL: counter %d did not move after the mark (%lu)\n", i, cnt[i]);
			say(buf);
			return 1;
		}
	say("PASS\n");
	return 0;
}
C
if ! cc -O1 -o "$T/workers" "$T/workers.c" -lpthread 2>"$T/cc.err"; then
	fail "threads workers: can't build the program: $(head -1 "$T/cc.err")"
	exit 0
fi

tids() { ls "/proc/$1/task" 2>/dev/null | sort -n | tr '\n' ' '; }
got() { grep -q "$2" "$1"; }

run() {
	local mode=$1 w=$T/$1 why= before after
	mkdir -p "$w/img" "$w/img2"
	spawn_clean "$T/workers" </dev/null >"$w/out" 2>&1
	wait_for 5 got "$w/out" started || why="did not start"
	sleep 0.2
	before=$(tids "$pid")
	local img=$w/img
	if [ -z "$why" ] && [ "$mode" = leave-running ]; then
		"$CRIU" dump -t "$pid" -D "$w/img" -R -o dump.log 2>/dev/null || why="dump -R failed"
		sleep 0.1
		img=$w/img2
	fi
	if [ -z "$why" ]; then
		"$CRIU" dump -t "$pid" -D "$img" -o dump.log 2>/dev/null || why="dump failed: $(grep -m1 Error "$img/dump.log")"
	fi
	if [ -z "$why" ]; then
		wait_for 5 gone "$pid" || why="still running after dump"
		reap "$pid"
	fi
	if [ -z "$why" ]; then
		"$CRIU" restore -D "$img" -d -o restore.log 2>/dev/null ||
			why="restore failed: $(grep -m1 Error "$img/restore.log")"
	fi
	if [ -z "$why" ]; then
		after=$(tids "$pid")
		[ "$before" = "$after" ] || why="threads $before became $after"
	fi
	if [ -z "$why" ]; then
		sleep 0.1
		kill -USR1 "$pid"
		wait_for 5 got "$w/out" marked || why="no mark after restore"
		sleep 0.1
		kill -TERM "$pid"
		wait_for 5 gone "$pid" || why="did not end"
		grep -q '^PASS' "$w/out" || why="it says: $(grep -m1 FAIL "$w/out" || echo nothing)"
	fi
	kill -9 "$pid" 2>/dev/null
	reap "$pid"
	[ -z "$why" ] && pass "threads workers ($mode)" || fail "threads workers ($mode): $why"
}
run plain
run leave-running
