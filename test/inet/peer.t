#!/bin/bash
# A TCP connection to a peer outside the dump (an echo server started here)
# survives dump and restore with --tcp-established: the client goes on with
# its numbered pings on the same connection, no byte lost, and the peer
# never sees a reset or an end of stream.  Between dump and restore the
# connection is locked (iptables rules, or the nftables table), after the
# restore the lock is gone.  Without the option the dump is refused by name
# and the client runs on; with -R the client runs on and the lock is gone;
# --tcp-close restores the connection closed; the network-lock and
# network-unlock action scripts run.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	skip "inet peer: needs root (TCP_REPAIR, iptables)"
	exit 0
fi

# The echo peer: one connection at a time, logs how each ended.
cat >"$T/echo.py" <<'EOF'
import socket, sys, threading
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(8)
log = open(sys.argv[1], "a", buffering=1)
log.write("port %d\n" % ls.getsockname()[1])
def serve(c, port):
    try:
        while True:
            d = c.recv(65536)
            if not d:
                log.write("eof %d\n" % port)
                break
            c.sendall(d)
    except ConnectionResetError:
        log.write("reset %d\n" % port)
    except OSError as e:
        log.write("error %d %s\n" % (port, e))
    c.close()
while True:
    c, a = ls.accept()
    log.write("accepted %d\n" % a[1])
    threading.Thread(target=serve, args=(c, a[1]), daemon=True).start()
EOF
# The client (the task dumped): numbered pings, each echo checked.
cat >"$T/client.py" <<'EOF'
import socket, sys, time
port, log = int(sys.argv[1]), open(sys.argv[2], "a", buffering=1)
s = socket.create_connection(("127.0.0.1", port))
log.write("local %d\n" % s.getsockname()[1])
n = 0
try:
    while True:
        n += 1
        msg = ("ping %d " % n).encode() + b"x" * (n % 200) + b"\n"
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            d = s.recv(len(msg) - len(got))
            if not d:
                log.write("EOF at %d\n" % n)
                sys.exit(1)
            got += d
        if got != msg:
            log.write("BAD at %d: %r\n" % (n, got[:40]))
            sys.exit(1)
        log.write("ok %d\n" % n)
        time.sleep(0.01)
except OSError as e:
    log.write("ERROR at %d: %s\n" % (n, e))
    sys.exit(1)
EOF

spawn_clean $PY "$T/echo.py" "$T/echo.log" </dev/null >/dev/null 2>&1
echo_pid=$pid
port_known() { grep -q '^port' "$T/echo.log" 2>/dev/null; }
wait_for 5 port_known || { fail "inet peer: the echo server did not start"; exit 0; }
PORT=$(sed -n 's/^port //p' "$T/echo.log")

last_ok() { sed -n 's/^ok //p' "$1" 2>/dev/null | tail -1; }
# start_client LOG: a new client; sets $pid, $lport.
start_client() {
	spawn_clean $PY "$T/client.py" "$PORT" "$1" </dev/null >/dev/null 2>&1
	started() { [ -n "$(last_ok "$1")" ]; }
	wait_for 5 started "$1" || return 1
	lport=$(sed -n 's/^local //p' "$1")
	[ -n "$lport" ]
}
# pings_go_on LOG: the count grows by 20 more.
pings_go_on() {
	local n0
	n0=$(last_ok "$1")
	more() { [ "$(last_ok "$1")" -ge $((n0 + 20)) ]; }
	wait_for 10 more "$1"
}
# Rules of our lock that name port $1 (iptables, both families).
ipt_rules() { { iptables -S; ip6tables -S; } 2>/dev/null | grep -- "--mark 0xc114" | grep -cE -- "-[sd]port $1( |$)"; }
# Remove what a failed case may have left locked.
unlock_port() {
	for t in iptables ip6tables; do
		$t -S 2>/dev/null | grep -- "--mark 0xc114" | grep -E -- "-[sd]port $1( |$)" | sed 's/^-A/-D/' |
			while read -r l; do $t -w $l; done
	done
}
finish() { kill -9 "$pid" 2>/dev/null; reap "$pid"; unlock_port "$lport"; }
# The peer saw no reset and no end of stream for port $1.
peer_clean() { ! grep -qE "^(reset|eof|error) $1\b" "$T/echo.log"; }

# --- 1. refused without --tcp-established; the client runs on
L=$T/c1.log
start_client "$L" || { fail "inet peer: client did not start"; exit 0; }
mkdir -p "$T/i1"
why=
if "$CRIU" dump -t "$pid" -D "$T/i1" -o dump.log 2>"$T/err1"; then
	why="dumped without --tcp-established"
elif ! grep -q "Connected TCP socket, consider using --tcp-established option" "$T/err1"; then
	why="no hint: $(grep -m1 Error "$T/err1")"
elif gone "$pid" || ! pings_go_on "$L"; then
	why="the client stopped"
elif [ "$(ipt_rules "$lport")" != 0 ]; then
	why="a refused dump left a lock"
fi
finish
[ -z "$why" ] && pass "inet peer: refused without --tcp-established, the client runs on" ||
	fail "inet peer: refusal: $why"

# --- 2. dump and restore: locked between, unlocked after, the pings go on
# cr_case NAME LOG LOCK-CHECK UNLOCK-CHECK [criu options]
cr_case() {
	local name=$1 log=$2 locked=$3 unlocked=$4 d=$T/$1 why=
	shift 4
	mkdir -p "$d"
	start_client "$log" || { fail "inet peer: $name: client did not start"; return; }
	if ! "$CRIU" dump --tcp-established "$@" -t "$pid" -D "$d" -v4 -o dump.log 2>"$d/err"; then
		why="dump failed: $(grep -m1 Error "$d/err")"
	elif ! wait_for 5 gone "$pid"; then
		why="the client is still there after the dump"
	elif ! $locked; then
		why="no lock between dump and restore"
	else
		reap "$pid"
		sleep 0.3 # the peer would answer a segment with a reset now, without the lock
		if ! "$CRIU" restore --tcp-established "$@" -D "$d" -d -v4 -o restore.log 2>"$d/rerr"; then
			why="restore failed: $(grep -m1 Error "$d/rerr")"
		elif ! $unlocked; then
			why="the lock is still there after the restore"
		elif ! pings_go_on "$log"; then
			why="the pings stopped: $(grep -vm1 '^ok\|^local' "$log")"
		elif ! peer_clean "$lport"; then
			why="the peer saw: $(grep -E "^(reset|eof|error) $lport" "$T/echo.log")"
		fi
	fi
	finish
	[ -z "$why" ] && pass "inet peer: $name" || fail "inet peer: $name: $why"
}
locked_ipt() { [ "$(ipt_rules "$lport")" = 2 ]; }
unlocked_ipt() { [ "$(ipt_rules "$lport")" = 0 ]; }
cr_case "iptables lock (default): the connection survives, no reset, nothing lost" "$T/c2.log" locked_ipt unlocked_ipt

# The dump's table: "inet CRIU-<dump run id>" ($d is cr_case's images dir).
nft_table() {
	local id
	id=$("$CRIT" show "$d/inventory.img" 2>/dev/null | sed -n 's/.*"dump_criu_run_id": "\([^"]*\)".*/\1/p')
	[ -n "$id" ] && nft list table inet "CRIU-$id" 2>/dev/null | grep -q "$lport"
}
locked_nft() { nft_table && [ "$(ipt_rules "$lport")" = 0 ]; }
unlocked_nft() { ! nft list tables 2>/dev/null | grep -q "CRIU-$("$CRIT" show "$d/inventory.img" | sed -n 's/.*"dump_criu_run_id": "\([^"]*\)".*/\1/p')"; }
cr_case "nftables lock: the connection survives, the table is gone after" "$T/c3.log" locked_nft unlocked_nft \
	--network-lock nftables

# --- 2b. data in flight both ways: the client's last ping reached the peer
# but no ACK came back, and the peer's echo never arrived (the peer's
# packets are dropped for a moment before the dump).  The restored client
# sends its ping again (the peer drops the copy), the peer its echo.
L=$T/c2b.log
start_client "$L" || { fail "inet peer: client did not start"; exit 0; }
mkdir -p "$T/i2b"
why=
drop=(INPUT -p tcp -s 127.0.0.1 --sport "$PORT" -d 127.0.0.1 --dport "$lport" -j DROP)
iptables -w -I "${drop[@]}"
sleep 0.3
if ! "$CRIU" dump --tcp-established -t "$pid" -D "$T/i2b" -v4 -o dump.log 2>"$T/err2b"; then
	why="dump failed: $(grep -m1 Error "$T/err2b")"
fi
iptables -w -D "${drop[@]}"
if [ -z "$why" ]; then
	# "queued in I out O (U unsent)": something sent and not acknowledged
	q=$(grep -o "queued in [0-9]* out [0-9]* ([0-9]* unsent)" "$T/i2b/dump.log" | head -1)
	read -r o u < <(echo "$q" | sed 's/.* out \([0-9]*\) (\([0-9]*\) unsent)/\1 \2/')
	if [ -z "$o" ] || [ "$o" -le "${u:-0}" ]; then
		why="nothing was in flight at the dump ($q)"
	elif ! wait_for 5 gone "$pid"; then
		why="the client still runs after the dump"
	else
		reap "$pid"
		sleep 0.5 # the peer sends its echo again meanwhile: only the lock keeps it from a reset
		if ! "$CRIU" restore --tcp-established -D "$T/i2b" -d -v4 -o restore.log 2>"$T/rerr2b"; then
			why="restore failed: $(grep -m1 Error "$T/rerr2b")"
		elif ! pings_go_on "$L"; then
			why="the pings stopped: $(grep -vm1 '^ok\|^local' "$L")"
		elif ! peer_clean "$lport"; then
			why="the peer saw: $(grep -E "^(reset|eof|error) $lport" "$T/echo.log")"
		fi
	fi
fi
finish
[ -z "$why" ] && pass "inet peer: data in flight both ways at the dump is sent again, nothing lost" ||
	fail "inet peer: in flight: $why"

# --- 3. -R: the client runs on, nothing stays locked
L=$T/c4.log
start_client "$L" || { fail "inet peer: client did not start"; exit 0; }
mkdir -p "$T/i4"
why=
if ! "$CRIU" dump --tcp-established -R -t "$pid" -D "$T/i4" -v4 -o dump.log 2>"$T/err4"; then
	why="dump failed: $(grep -m1 Error "$T/err4")"
elif [ "$(ipt_rules "$lport")" != 0 ]; then
	why="the lock stayed"
elif gone "$pid" || ! pings_go_on "$L"; then
	why="the client stopped: $(grep -vm1 '^ok\|^local' "$L")"
elif ! peer_clean "$lport"; then
	why="the peer saw: $(grep -E "^(reset|eof|error) $lport" "$T/echo.log")"
fi
finish
[ -z "$why" ] && pass "inet peer: dump -R: the connection goes on, unlocked" || fail "inet peer: dump -R: $why"

# --- 4. --tcp-close: restored closed, the client sees its connection end
L=$T/c5.log
start_client "$L" || { fail "inet peer: client did not start"; exit 0; }
mkdir -p "$T/i5"
why=
if ! "$CRIU" dump --tcp-close -t "$pid" -D "$T/i5" -v4 -o dump.log 2>"$T/err5"; then
	why="dump failed: $(grep -m1 Error "$T/err5")"
elif ! wait_for 5 gone "$pid"; then
	why="the client is still there"
elif ls "$T/i5" | grep -q tcp-stream; then
	why="connection state dumped with --tcp-close"
else
	reap "$pid"
	if ! "$CRIU" restore -D "$T/i5" -d -v4 -o restore.log 2>"$T/rerr5"; then
		why="restore failed: $(grep -m1 Error "$T/rerr5")"
	else
		ended() { grep -qE '^(EOF|ERROR)' "$L"; }
		wait_for 5 ended || why="the client did not see its connection closed"
	fi
fi
finish
[ -z "$why" ] && pass "inet peer: --tcp-close: restored closed, the client sees it" || fail "inet peer: --tcp-close: $why"

# --- 5. the network-lock and network-unlock action scripts
cat >"$T/script" <<EOF
#!/bin/sh
case "\$CRTOOLS_SCRIPT_ACTION" in network-*)
	echo "\$CRTOOLS_SCRIPT_ACTION \$(iptables -S | grep 0xc114 | grep -cE -- "-[sd]port \$(cat "$T/lport")( |\$)")" >>"$T/actions";;
esac
EOF
chmod +x "$T/script"
L=$T/c6.log
start_client "$L" || { fail "inet peer: client did not start"; exit 0; }
echo "$lport" >"$T/lport"
mkdir -p "$T/i6"
why=
if ! "$CRIU" dump --tcp-established --action-script "$T/script" -t "$pid" -D "$T/i6" -o dump.log 2>"$T/err6"; then
	why="dump failed: $(grep -m1 Error "$T/err6")"
else
	wait_for 5 gone "$pid"
	reap "$pid"
	"$CRIU" restore --tcp-established --action-script "$T/script" -D "$T/i6" -d -o restore.log 2>"$T/rerr6" ||
		why="restore failed: $(grep -m1 Error "$T/rerr6")"
fi
[ -z "$why" ] && ! pings_go_on "$L" && why="the pings stopped"
got=$(tr '\n' ';' <"$T/actions" 2>/dev/null)
[ -z "$why" ] && [[ "$got" != "network-lock "*";network-unlock "*";" ]] && why="stages were: $got"
# network-lock runs before the rules are added, network-unlock once they are gone.
[ -z "$why" ] && [ "$got" != "network-lock 0;network-unlock 0;" ] && why="rules at the stages: $got"
finish
[ -z "$why" ] && pass "inet peer: network-lock and network-unlock scripts" || fail "inet peer: scripts: $why"

kill -9 "$echo_pid" 2>/dev/null
