#!/bin/bash
# A JVM survives dump and restore: OpenJDK with 4 counting threads (and
# its own ~20: compiler, GC, signal dispatcher...), whose main thread
# prints the counters and runs a full GC (every thread to a safepoint)
# every tick.  After restore: the same tids, the ticks, counters and GCs
# go on from where they were.  Skipped without java.
. "$(dirname "$0")/../lib/lib.sh"
if ! command -v java >/dev/null; then
	skip "threads java: no java on this machine"
	exit 0
fi
mkdir -p "$T/src"
cat >"$T/src/Count.java" <<'JAVA'
public class Count {
    static final long[] c = new long[4 * 16];
    public static void main(String[] a) throws Exception {
        for (int i = 0; i < 4; i++) {
            final int k = i * 16;
            Thread t = new Thread(() -> { for (;;) { c[k]++; if ((c[k] & 0xffff) == 0) Thread.yield(); } });
            t.setDaemon(true);
            t.start();
        }
        for (long tick = 0;; tick++) {
            Thread.sleep(100);
            byte[][] junk = new byte[64][];
            for (int j = 0; j < junk.length; j++) junk[j] = new byte[4096];
            System.gc();
            System.out.println("tick " + tick + " " + c[0] + " " + c[16] + " " + c[32] + " " + c[48] + " " + junk.length);
        }
    }
}
JAVA
tids() { ls "/proc/$1/task" 2>/dev/null | sort -n | tr '\n' ' '; }
ticks() { grep -c '^tick' "$1"; }
why=
spawn_clean java -XX:-UsePerfData -Xmx64m -XX:+UseSerialGC "$T/src/Count.java" </dev/null >"$T/out" 2>&1
n=0
while [ "$(ticks "$T/out")" -lt 3 ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
[ "$(ticks "$T/out")" -ge 3 ] || why="did not start: $(head -c 200 "$T/out")"
if [ -z "$why" ]; then
	before=$(tids "$pid")
	mkdir -p "$T/img"
	"$CRIU" dump -t "$pid" -D "$T/img" -o dump.log 2>/dev/null || why="dump failed: $(grep -m1 Error "$T/img/dump.log")"
fi
if [ -z "$why" ]; then
	wait_for 5 gone "$pid" || why="still running after dump"
	reap "$pid"
	last=$(grep '^tick' "$T/out" | tail -1)
	"$CRIU" restore -D "$T/img" -d -o restore.log 2>/dev/null ||
		why="restore failed: $(grep -m1 Error "$T/img/restore.log")"
fi
if [ -z "$why" ]; then
	[ "$(tids "$pid")" = "$before" ] || why="threads changed"
fi
if [ -z "$why" ]; then
	n0=$(ticks "$T/out")
	sleep 1
	[ "$(ticks "$T/out")" -ge $((n0 + 3)) ] || why="no ticks after restore: $(tail -c 300 "$T/out")"
fi
if [ -z "$why" ]; then
	read -r _ t0 a0 b0 c0 d0 _ <<<"$last"
	read -r _ t1 a1 b1 c1 d1 _ <<<"$(grep '^tick' "$T/out" | tail -1)"
	[ "$t1" -gt "$t0" ] && [ "$a1" -gt "$a0" ] && [ "$b1" -gt "$b0" ] && [ "$c1" -gt "$c0" ] && [ "$d1" -gt "$d0" ] ||
		why="counters did not go on: '$last' then '$(grep '^tick' "$T/out" | tail -1)'"
fi
kill -9 "$pid" 2>/dev/null
reap "$pid"
[ -z "$why" ] && pass "threads java ($(echo $before | wc -w) threads)" || fail "threads java: $why"
