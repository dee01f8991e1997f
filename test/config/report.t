#!/bin/bash
# At -v4 criu says which config files it read, which default ones were absent
# or skipped, and every option that differs from its default with where it
# came from.  At the default level it says nothing of that.
. "$(dirname "$0")/../lib/lib.sh"

G=$CRIU_SYSCONFDIR/criu/default.conf
U=$HOME/.criu/default.conf
mkdir -p "$CRIU_SYSCONFDIR/criu"
printf 'tcp-established\n' >"$G"

"$CRIU" check --feature list -v4 >"$T/out" 2>"$T/err"
check "read file listed" grep -qF "Config file $G: read" "$T/err"
check "absent default file listed" grep -qF "Config file $U: absent" "$T/err"
check "options listed with their origin" grep -qF "Option tcp-established = yes (from $G:1)" "$T/err"
check "command-line options listed" grep -qF "Option verbosity = 4 (from command line)" "$T/err"
check "defaults are not listed" bash -c "! grep -q 'Option timeout' '$T/err'"

printf 'timeout 3\n' >"$T/c.conf"
CRIU_CONFIG_FILE=$T/c.conf "$CRIU" check --feature list --verbosity=4 --no-default-config >"$T/out" 2>"$T/err"
check "skipped default file listed" grep -qF "Config file $G: skipped" "$T/err"
check "CRIU_CONFIG_FILE listed" grep -qF "Config file $T/c.conf: read" "$T/err"

"$CRIU" check --feature list -v3 >"$T/out" 2>"$T/err"
check "not at -v3" bash -c "! grep -q 'Config file\\|Option ' '$T/err'"
"$CRIU" check --feature list >"$T/out" 2>"$T/err"
check "not at the default level" bash -c "! grep -q 'Config file\\|Option ' '$T/err'"

# The report goes to the log file when there is one (-o, in the work dir).
mkdir "$T/w"
"$CRIU" check --feature list -v4 -W "$T/w" -o check.log >"$T/out" 2>"$T/err"
check "report in the log file" grep -qF "Config file $G: read" "$T/w/check.log"
check "nothing of it on stderr" bash -c "! grep -q 'Config file' '$T/err'"

# For a command that is not built yet the report comes before the refusal.
"$CRIU" lazy-pages -v4 >"$T/out" 2>"$T/err"
check "report before 'not supported yet'" \
	bash -c "grep -n 'Config file' '$T/err' | head -1 | grep -q '^1:' && grep -q 'not supported yet' '$T/err'"
