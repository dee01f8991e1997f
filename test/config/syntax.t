#!/bin/bash
# Config file syntax: one option per line by its long name, the argument after
# whitespace (or NAME=VALUE), '#' comments also after an option, blank lines,
# double quotes for arguments with whitespace, \" inside quotes, other
# backslashes kept as written, no- prefixes.  Values are observed in the -v4
# report of 'criu check --feature list'.
. "$(dirname "$0")/../lib/lib.sh"

F=$T/test.conf
report() {
	"$CRIU" check --feature list -v4 --config "$F" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
has() { grep -qF -- "$1" "$T/err"; }

cat >"$F" <<'CONF'
# a comment line

   # an indented comment
tcp-established          # a comment after an option
	shell-job	# tabs around
timeout 15
ghost-limit=2M
log-pid
no-log-pid
action-script "/path with spaces/script.sh"   # quoted, then a comment
action-script "/a # not a comment"
external "mnt[m]:say \"hi\""
external "mnt[n]:back\slash\n\\kept"
root /plain#hash"quote
cpu-cap
cgroup-root=cpu:/x
tcp-clo
CONF
report
check "a file of every form is accepted" test "$rc" = 0
check "option alone" has "Option tcp-established = yes (from $F:4)"
check "comment after an option" bash -c "! grep -q 'comment after' '$T/err'"
check "tabs as whitespace" has "Option shell-job = yes (from $F:5)"
check "NAME ARGUMENT" has "Option timeout = 15 (from $F:6)"
check "NAME=ARGUMENT, size suffix" has "Option ghost-limit = 2097152 (from $F:7)"
check "no- switches off an earlier line" bash -c "! grep -q 'Option log-pid' '$T/err'"
check "quoted argument with spaces" has "Option action-script = /path with spaces/script.sh (from $F:10)"
check "'#' inside quotes is not a comment" has "Option action-script = /a # not a comment (from $F:11)"
check '\" inside quotes is a quote' has 'Option external = mnt[m]:say "hi" (from'
check "other backslashes stay as written" has 'Option external = mnt[n]:back\slash\n\\kept (from'
check "'#' and '\"' inside an unquoted word are literal" has "Option root = /plain#hash\"quote (from"
check "optional argument absent: its default value" has "Option cpu-cap = fpu,cpu,ins (from $F:15)"
check "NAME=VALUE for a list" has "Option cgroup-root = cpu:/x (from"
check "an unambiguous abbreviation" has "Option tcp-close = yes (from $F:17)"

# The word after an option whose argument is optional is its argument
# (on the command line it would have to be --verbosity=4).
printf 'verbosity 4\nmanage-cgroups full\n' >"$F"
"$CRIU" check --feature list --config "$F" >"$T/out" 2>"$T/err"
check "optional argument given after whitespace" has "Option verbosity = 4 (from $F:1)"
check "optional enum argument after whitespace" has "Option manage-cgroups = full (from $F:2)"

# CRLF line ends
printf 'shell-job\r\ntimeout 16\r\n' >"$F"
report
check "CRLF line ends" has "Option timeout = 16 (from $F:2)"

# An empty file, a file of comments only
: >"$F"
report
check "an empty file" test "$rc" = 0
printf '# nothing\n\n#\n' >"$F"
report
check "a file of comments" test "$rc" = 0

# The last line without a newline
printf 'timeout 17' >"$F"
report
check "last line without a newline" has "Option timeout = 17 (from $F:1)"

# Options that apply to other commands are accepted (as CRIU does), not refused
printf 'tcp-established\nrestore-detached\nlazy-pages\npage-server\n' >"$F"
report
check "options for other commands are accepted" test "$rc" = 0
check "lazy-pages and page-server are options here, not commands" has "Option page-server = yes"
