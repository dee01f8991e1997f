#!/bin/bash
# Config file sources: which files are read, in which order, and which wins.
#   1 $CRIU_SYSCONFDIR/criu/default.conf  2 $HOME/.criu/default.conf
#   3 $CRIU_CONFIG_FILE  4 --config FILE  5 the command line
# Effective values are observed in the -v4 report ("Option NAME = VALUE (from WHERE)"),
# printed by 'criu check --feature list', which probes nothing.
. "$(dirname "$0")/../lib/lib.sh"

G=$CRIU_SYSCONFDIR/criu/default.conf
U=$HOME/.criu/default.conf
mkdir -p "$CRIU_SYSCONFDIR/criu" "$HOME/.criu"

# report ARGS...: run criu check --feature list -v4 ARGS, keep stderr in $T/err
report() {
	"$CRIU" check --feature list -v4 "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
has() { grep -qF -- "$1" "$T/err"; }
opt_from() { has "Option $1 = $2 (from $3)"; }

# The use case configs were made for: an operator's lines change an unchanged command.
printf 'tcp-established\nshell-job\n' >"$G"
report
check "global file is read" opt_from tcp-established yes "$G:1"
check "global file, second line" opt_from shell-job yes "$G:2"
check "exit 0 with a good config" test "$rc" = 0

# Each later source overrides the earlier ones.
printf 'timeout 5\nshell-job\n' >"$G"
printf 'timeout 6\n' >"$U"
report
check "user file overrides global" opt_from timeout 6 "$U:1"

printf 'timeout 7\n' >"$T/env.conf"
CRIU_CONFIG_FILE=$T/env.conf report
check "CRIU_CONFIG_FILE overrides user file" opt_from timeout 7 "$T/env.conf:1"
check "CRIU_CONFIG_FILE keeps the default files" opt_from shell-job yes "$G:2"

printf 'timeout 8\n' >"$T/cli.conf"
CRIU_CONFIG_FILE=$T/env.conf report --config "$T/cli.conf"
check "--config overrides CRIU_CONFIG_FILE" opt_from timeout 8 "$T/cli.conf:1"
check "--config skips the default files" bash -c "! grep -q 'Option shell-job' '$T/err'"
check "--config: default files reported as skipped" has "Config file $G: skipped"

CRIU_CONFIG_FILE=$T/env.conf report --config="$T/cli.conf" --timeout 9
check "the command line overrides every file" opt_from timeout 9 "command line"

report --no-default-config
check "--no-default-config skips the global file" has "Config file $G: skipped"
check "--no-default-config skips the user file" has "Config file $U: skipped"
check "--no-default-config: nothing from them" bash -c "! grep -q 'Option timeout' '$T/err'"
CRIU_CONFIG_FILE=$T/env.conf report --no-default-config
check "--no-default-config still reads CRIU_CONFIG_FILE" opt_from timeout 7 "$T/env.conf:1"

# Two --config files are both read, in order.
printf 'timeout 11\naction-script /b\n' >"$T/two.conf"
printf 'action-script /a\n' >"$T/cli.conf"
report --config "$T/cli.conf" --config "$T/two.conf"
check "two --config files: the later wins" opt_from timeout 11 "$T/two.conf:1"
check "two --config files: lists accumulate" \
	bash -c "grep -q 'Option action-script = /a' '$T/err' && grep -q 'Option action-script = /b' '$T/err'"

# A later source switches off what an earlier one switched on.
printf 'shell-job\ndisplay-stats\n' >"$G"
printf 'no-shell-job\n' >"$U"
report
check "no- in the user file switches off the global yes" bash -c "! grep -q 'Option shell-job' '$T/err'"
check "other global options stay" opt_from display-stats yes "$G:2"
report --no-display-stats
check "--no-X on the command line switches off a file's X" bash -c "! grep -q 'Option display-stats' '$T/err'"
printf 'no-shell-job\n' >"$G"
printf 'shell-job\n' >"$U"
report
check "yes in the user file overrides the global no" opt_from shell-job yes "$U:1"

# List options accumulate across sources, in order.
printf 'external mnt[a]:b\n' >"$G"
printf 'external mnt[c]:d\n' >"$U"
report --external 'mnt[e]:f'
grep 'Option external' "$T/err" | sed 's/^([0-9.]*) //' >"$T/ext"
printf '%s\n' "Option external = mnt[a]:b (from $G:1)" "Option external = mnt[c]:d (from $U:1)" \
	"Option external = mnt[e]:f (from command line)" >"$T/ext.want"
check "lists accumulate across sources in order" cmp -s "$T/ext" "$T/ext.want"

# Leave-running in a file, leave-stopped on the command line: the later source wins.
printf 'leave-running\n' >"$G"
: >"$U"
report -s
check "a later source overrides a contradicting option" \
	bash -c "grep -q 'Option leave-stopped = yes' '$T/err' && ! grep -q 'Option leave-running' '$T/err'"
printf 'leave-running\nleave-stopped\n' >"$G"
report
check "contradiction inside one file fails" test "$rc" = 1
check "contradiction names both options and lines" \
	has "--leave-running (from $G:1) and --leave-stopped (from $G:2) contradict each other"
: >"$G"

# Absent default files are fine; named files must exist.
rm -f "$G" "$U"
report
check "absent default files are not an error" test "$rc" = 0
report --config "$T/nonexistent.conf"
check "a missing --config file fails" test "$rc" = 1
check "a missing --config file is named" has "can't read config file $T/nonexistent.conf (from --config)"
CRIU_CONFIG_FILE=$T/nonexistent.conf report
check "a missing CRIU_CONFIG_FILE fails" test "$rc" = 1
check "a missing CRIU_CONFIG_FILE is named" has "$T/nonexistent.conf (from \$CRIU_CONFIG_FILE)"
report --config "$T"
check "a directory as --config fails" test "$rc" = 1

# An unreadable default file is an error, not silently skipped (root reads anything: use a directory).
mkdir -p "$G"
report
check "a default file that cannot be read fails" test "$rc" = 1
rmdir "$G"

# $HOME decides where the user file is.
mkdir -p "$T/other/.criu"
printf 'timeout 12\n' >"$T/other/.criu/default.conf"
HOME=$T/other report
check "the user file is under \$HOME" opt_from timeout 12 "$T/other/.criu/default.conf:1"
env -u HOME "$CRIU" check --feature list -v4 >"$T/out" 2>"$T/err"
check "without \$HOME the user file is skipped" has 'skipped ($HOME is not set)'

# --config=FILE works like --config FILE; abbreviations as getopt allows.
printf 'timeout 13\n' >"$T/eq.conf"
report --config="$T/eq.conf"
check "--config=FILE" opt_from timeout 13 "$T/eq.conf:1"
report --conf "$T/eq.conf"
check "--conf FILE (abbreviation)" opt_from timeout 13 "$T/eq.conf:1"
