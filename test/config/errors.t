#!/bin/bash
# A wrong config line fails criu with exit 1 and "FILE:LINE: why" naming the
# offending word; --help and --version win over a broken file.
. "$(dirname "$0")/../lib/lib.sh"

F=$T/bad.conf
G=$CRIU_SYSCONFDIR/criu/default.conf
mkdir -p "$CRIU_SYSCONFDIR/criu"

# bad NAME LINE-TEXT EXPECTED: the text as line 3 of a file fails with EXPECTED after "FILE:3: "
bad() {
	local name=$1 text=$2 want=$3
	printf '# first\ntcp-established\n%s\nshell-job\n' "$text" >"$F"
	"$CRIU" check --feature list --config "$F" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" != 1 ]; then
		fail "$name: exit $rc, not 1"
	elif ! grep -qF -- "$F:3: $want" "$T/err"; then
		fail "$name: no '$F:3: $want' in: $(cat "$T/err")"
	elif [ "$(grep -c . "$T/err")" != 1 ]; then
		fail "$name: more than one line: $(cat "$T/err")"
	else
		pass "$name"
	fi
}

bad "unknown option" "no-such-option" "unknown option 'no-such-option'"
bad "ambiguous abbreviation" "tcp" "option 'tcp' is ambiguous"
bad "missing argument" "images-dir" "option 'images-dir' needs an argument (DIR)"
bad "missing argument with a comment" "timeout # ten" "option 'timeout' needs an argument"
bad "argument to a flag" "shell-job yes" "option 'shell-job' takes no argument"
bad "unterminated quote" 'log-file "dump.log' "unterminated quote"
bad "text after a closing quote" 'log-file "a"b' "unexpected text after a closing quote"
bad "a command" "dump" "'dump' is a command: commands are not allowed in a config file"
bad "a command after an option" "tcp-established restore" "'restore' is a command"
bad "cpuinfo" "cpuinfo dump" "'cpuinfo' is a command"
bad "two arguments" "images-dir /a /b" "unexpected '/b' after 'images-dir': one option per line"
bad "leading dashes" "--shell-job" "unexpected '--shell-job': write the option's long name without dashes"
bad "a short option" "-j" "unexpected '-j'"
bad "config in a config file" "config other.conf" "'config' is not allowed in a config file"
bad "no-default-config in a config file" "no-default-config" "'no-default-config' is not allowed in a config file"
bad "help in a config file" "help" "'help' is not allowed in a config file"
bad "version in a config file" "version" "'version' is not allowed in a config file"
bad "exec-cmd in a config file" "exec-cmd" "'exec-cmd' is not allowed in a config file"
bad "number out of range" "port 0" "invalid argument '0' for 'port': must be from 1 to 65535"
bad "not a number" "timeout ten" "invalid argument 'ten' for 'timeout': not a number"
bad "unknown enum word" "network-lock iptables2" \
	"invalid argument 'iptables2' for 'network-lock': expected one of: iptables nftables skip"
bad "bad size" "ghost-limit 1T" "invalid argument '1T' for 'ghost-limit'"
bad "empty argument" 'log-file ""' "option 'log-file' needs a non-empty argument"
bad "bad list syntax" "inherit-fd 3:pipe" "invalid argument '3:pipe' for 'inherit-fd': expected fd[N]:RESOURCE"
bad "negating a non-boolean" "no-timeout" "unknown option 'no-timeout'"

# The same kinds of error in the default files name them too.
printf 'shell-job\nbogus-option\n' >"$G"
"$CRIU" check --feature list >"$T/out" 2>"$T/err"
rc=$?
check "broken global file: exit 1" test "$rc" = 1
check "broken global file: named with its line" grep -qF "$G:2: unknown option 'bogus-option'" "$T/err"
check "broken global file: nothing run" test ! -s "$T/out"

mkdir -p "$HOME/.criu"
printf 'log-file "x\n' >"$HOME/.criu/default.conf"
"$CRIU" check --feature list --no-default-config >"$T/out" 2>"$T/err"
check "--no-default-config avoids a broken default file" test $? = 0
printf 'timeout 5\n' >"$T/ok.conf"
"$CRIU" check --feature list --config "$T/ok.conf" >"$T/out" 2>"$T/err"
check "--config avoids a broken default file" test $? = 0

# --help and --version win over everything, even a broken config file.
"$CRIU" --help >"$T/out" 2>"$T/err"
rc=$?
check "--help with a broken file: exit 0" test "$rc" = 0
check "--help with a broken file: the usage" grep -q '^Usage:' "$T/out"
check "--help with a broken file: no error" test ! -s "$T/err"
"$CRIU" dump -h --bogus-option >"$T/out" 2>"$T/err"
check "-h after the command, among bad options" test $? = 0
CRIU_CONFIG_FILE=$T/nonexistent "$CRIU" check -h >"$T/out" 2>"$T/err"
check "-h with a missing CRIU_CONFIG_FILE" test $? = 0
"$CRIU" --version >"$T/out" 2>"$T/err"
check "--version with a broken file" grep -q '^Version: ' "$T/out"
"$CRIU" -V check >"$T/out" 2>"$T/err"
check "-V with a broken file" grep -q '^Version: ' "$T/out"
