#!/bin/bash
# The man page's list of commands and options is the option table's: the
# generated block of Documentation/criu.8.md equals `criu --help-markdown`.
. "$(dirname "$0")/../lib/lib.sh"

if "$CRIU_TOP/Documentation/gen-man-options.sh" --check "$CRIU" 2>"$T/err"; then
	pass "criu.8.md lists the options of the table"
else
	fail "criu.8.md is stale: run Documentation/gen-man-options.sh: $(head -3 "$T/err" | tr '\n' ' ')"
fi
# Every option of `criu --help` is in the page.
"$CRIU" --help | grep -oE -- '^  (-[a-zA-Z], |    )--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' >"$T/opts"
missing=
while read -r o; do
	grep -qF -- "$o" "$CRIU_TOP/Documentation/criu.8.md" || missing="$missing $o"
done <"$T/opts"
check "every --help option is in criu.8.md${missing:+ (missing:$missing)}" test -z "$missing"
check "config.md documents CRIU_SYSCONFDIR" grep -q CRIU_SYSCONFDIR "$CRIU_TOP/Documentation/config.md"
