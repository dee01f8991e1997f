#!/bin/bash
# Command-line options: forms (--opt=value, --opt value, -Dvalue, -D value,
# bundles, no- prefixes, abbreviations), errors (unknown, missing or bad
# argument, out of range, bad enum word, ambiguous), contradictions, options
# whose feature is not built, and the directories and log file.
. "$(dirname "$0")/../lib/lib.sh"

run() {
	"$CRIU" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
fails() {
	local name=$1 pat=$2
	shift 2
	run "$@"
	if [ "$rc" != 1 ]; then
		fail "$name: exit $rc, not 1"
	elif ! grep -qE -- "$pat" "$T/err"; then
		fail "$name: stderr is: $(cat "$T/err")"
	elif [ "$(grep -c . "$T/err")" != 1 ]; then
		fail "$name: more than one line: $(cat "$T/err")"
	else
		pass "$name"
	fi
}
# ok NAME ARGS...: criu check --feature list ARGS runs (exit 0)
ok() {
	local name=$1
	shift
	run check --feature list "$@"
	if [ "$rc" = 0 ]; then pass "$name"; else fail "$name: exit $rc: $(cat "$T/err")"; fi
}
# value NAME EXPECTED ARGS...: the -v4 report has "Option EXPECTED (from command line)"
value() {
	local name=$1 want=$2
	shift 2
	run check --feature list -v4 "$@"
	if grep -qF -- "Option $want (from command line)" "$T/err"; then pass "$name"; else fail "$name: $(grep Option "$T/err")"; fi
}

# Forms
value "--opt=value" "timeout = 5" --timeout=5
value "--opt value" "timeout = 6" --timeout 6
value "-Dvalue" "images-dir = $T" -D"$T"
value "-D value" "images-dir = $T" -D "$T"
value "bundled short flags" "file-locks = yes" -jl
value "bundled, then an argument" "images-dir = $T" -jD"$T"
value "abbreviated long option" "tcp-established = yes" --tcp-est
value "later value wins" "timeout = 8" --timeout 7 --timeout=8
value "-vN" "verbosity = 4" -v4
value "-vv" "verbosity = 4" -vv
value "--verbosity=N" "verbosity = 4" --verbosity=4
value "optional argument omitted" "cpu-cap = fpu,cpu,ins" --cpu-cap
value "size suffix" "ghost-limit = 3145728" --ghost-limit 3M
value "enum word" "network-lock = nftables" --network-lock nftables
value "list, twice" "external = unix[2]" --external unix[1] --external=unix[2]
run check --feature list -v4 --display-stats --no-display-stats
check "--no-X switches X off" bash -c "! grep -q 'Option display-stats' '$T/err'"
ok "options of other commands are accepted (as CRIU does)" --tcp-established -R --lazy-pages --port 1234

# Errors: one line naming the word, exit 1
fails "unknown long option" "^Error \(criu/options.c:[0-9]+\): unknown option '--frobnicate'$" check --frobnicate
fails "unknown short option" "unknown option '-Q'" check -Q
fails "unknown no- option" "unknown option '--no-timeout'" check --no-timeout
fails "ambiguous abbreviation" "option '--tcp' is ambiguous: --tcp-established, --tcp-close" check --tcp
fails "missing argument (long)" "option '--images-dir' needs an argument \(DIR\)" check --images-dir
fails "missing argument (short)" "option '-D' needs an argument \(DIR\)" check -D
fails "empty argument" "option '--log-file' needs a non-empty argument" check --log-file=
fails "argument to a flag" "option '--shell-job' takes no argument" check --shell-job=1
fails "argument to a negation" "option '--no-shell-job' takes no argument" check --no-shell-job=1
fails "not a number" "invalid argument 'ten' for '--timeout': not a number" check --timeout ten
fails "out of range (port)" "invalid argument '65536' for '--port': must be from 1 to 65535" check --port 65536
fails "out of range (pid)" "invalid argument '0' for '-t': must be 1 or more" check -t 0
fails "too large (pid)" "invalid argument '2147483648' for '-t': must be at most 2147483647" check -t 2147483648
fails "overflow (timeout)" "invalid argument '99999999999999999999' for '--timeout': must be at most 2147483647" \
	check --timeout 99999999999999999999
fails "inherit-fd number too large" "invalid argument 'fd\\[99999999999\\]:a' for '--inherit-fd': the fd number is too large" \
	check --inherit-fd 'fd[99999999999]:a'
fails "inherit-fd number above INT_MAX" "'--inherit-fd': the fd number is too large" check --inherit-fd 'fd[2147483648]:a'
fails "bad size" "invalid argument '5X' for '--ghost-limit': not a size" check --ghost-limit 5X
fails "bad enum word" "invalid argument 'pf' for '--network-lock': expected one of: iptables nftables skip" \
	check --network-lock pf
fails "bad manage-cgroups mode" "invalid argument 'all' for '--manage-cgroups': expected one of" \
	check --manage-cgroups=all
fails "bad file-validation" "invalid argument 'md5' for '--file-validation'" check --file-validation md5
fails "bad pre-dump-mode" "invalid argument 'mmap' for '--pre-dump-mode'" check --pre-dump-mode mmap
fails "bad cpu-cap" "invalid argument 'gpu' for '--cpu-cap'" check --cpu-cap=gpu
fails "bad verbosity" "invalid argument 'x' for '-v'" check -vx
fails "bad inherit-fd" "invalid argument 'fd3:x' for '--inherit-fd': expected fd\[N\]:RESOURCE" \
	check --inherit-fd fd3:x
fails "bad join-ns namespace" "invalid argument 'pid:1' for '-J': the namespace must be one of" check -J pid:1
fails "bad veth-pair" "invalid argument 'eth0' for '--veth-pair': expected IN=OUT" check --veth-pair eth0
fails "bad external" "invalid argument 'disk\[1\]:x' for '--external'" check --external 'disk[1]:x'
fails "bad empty-ns" "invalid argument 'pid' for '--empty-ns'" check --empty-ns pid

# Contradictions
fails "-S without -d" "--restore-sibling needs --restore-detached" restore -S
fails "-R with -s" "--leave-running \(from command line\) and --leave-stopped \(from command line\) contradict" \
	dump -R -s
fails "--exec-cmd with -d" "--exec-cmd and --restore-detached contradict each other" restore -d --exec-cmd -- ls
fails "--exec-cmd off restore" "--exec-cmd works with 'restore' only" dump --exec-cmd -- ls
fails "--exec-cmd without a program" "--exec-cmd needs a program" restore --exec-cmd
fails "--mntns-compat-mode off restore" "--mntns-compat-mode works with 'restore' only" dump --mntns-compat-mode
fails "--ps-socket 0 with --daemon" "--ps-socket 0 cannot be used with --daemon" page-server --daemon --ps-socket 0
run restore -S -d
check "-S with -d passes the checks" bash -c "! grep -q 'restore-sibling' '$T/err'"
run dump -R --no-leave-running -s
check "-R switched off, then -s" bash -c "! grep -q contradict '$T/err'"

# An option whose feature is not built fails when a command it applies to runs.
fails "unbuilt option refused by check" "^Error \(criu/options.c:[0-9]+\): --unprivileged is not supported yet$" \
	check --feature list --unprivileged
ok "unbuilt option switched off again" --unprivileged --no-unprivileged

# Directories and the log file
mkdir -p "$T/imgs" "$T/work"
run check --feature list -D "$T/imgs" -o check.log -v4
check "log file relative to the images dir" grep -q "Option log-file = check.log" "$T/imgs/check.log"
run check --feature list -D "$T/imgs" -W "$T/work" -o check.log -v4
check "log file relative to the work dir" test -s "$T/work/check.log"
check "log file: errors only on stderr" bash -c "! grep -q 'Option' '$T/err'"
run check --feature list -o - -v4
check "-o - logs to stderr" grep -q "Option log-file = -" "$T/err"
run check --feature list -o "$T/abs.log" -v4
check "absolute log file path" test -s "$T/abs.log"
fails "missing work dir" "can't change directory to the work dir $T/nowhere: No such file or directory" \
	check --feature list -W "$T/nowhere"
fails "log file that cannot be created" "Can't open log file" check --feature list -o "$T/nodir/x.log"
