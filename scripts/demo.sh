#!/bin/sh
# make demo: what criu can do on this machine today.
# (The single-process checkpoint/restore work turns this into a live
# checkpoint and restore of a counter.)
set -eu
cd "$(dirname "$0")/.."
CRIU=./criu/criu
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "criu --version"
$CRIU --version
say "criu check"
$CRIU check
say "criu check --all"
$CRIU check --all || true

fx=../shared/fixtures/criu-4.2/sleep
if [ -d "$fx" ]; then
	say "lib/crit x $fx ps      # a checkpoint made by CRIU 4.2, read by our crit"
	lib/crit x "$fx" ps
	say "lib/crit show $fx/pstree.img"
	lib/crit show "$fx/pstree.img"
fi
