#!/bin/bash
# --help/-h lists the commands and every option of the table, grouped, exit 0;
# --version/-V prints "Version: X" (and GitID); both win over anything else.
. "$(dirname "$0")/../lib/lib.sh"

run() {
	"$CRIU" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

run --help
check "--help exits 0" test "$rc" = 0
check "--help prints nothing on stderr" test ! -s "$T/err"
check "--help starts with the usage" grep -q '^Usage:' "$T/out"
cp "$T/out" "$T/help"
for cmd in dump pre-dump restore check page-server lazy-pages service swrk dedup "cpuinfo dump" "cpuinfo check"; do
	check "--help lists '$cmd'" grep -qE "^  $cmd +[a-z]" "$T/help"
done
for group in "Common options" "Logging" "Configuration files" "Dump and pre-dump" "Restore" "Dump and restore" \
	"Check" "Page server, lazy pages, service" "Other"; do
	check "--help group '$group'" grep -qx "$group:" "$T/help"
done

# Every option the table has (as --help-markdown lists them) is in --help, one line each.
run --help-markdown
check "--help-markdown exits 0" test "$rc" = 0
grep -o '^- `[^`]*`' "$T/out" | grep -oE -- '--[a-z0-9-]+' | sort -u >"$T/md-opts"
grep -oE -- '^  (-[a-zA-Z], )?    --[a-z0-9-]+|^  -[a-zA-Z], --[a-z0-9-]+' "$T/help" | grep -oE -- '--[a-z0-9-]+' |
	sort -u >"$T/help-opts"
check "the table has many options" test "$(wc -l <"$T/md-opts")" -gt 80
check "--help lists every option of the table" cmp -s "$T/md-opts" "$T/help-opts"
for o in --images-dir --work-dir --log-file --verbosity --log-pid --config --no-default-config --pidfile \
	--display-stats --action-script --version --help --prev-images-dir --unprivileged --tree --leave-running \
	--leave-stopped --shell-job --file-locks --tcp-established --tcp-close --skip-in-flight --ext-unix-sk \
	--link-remap --ghost-limit --file-validation --external --freeze-cgroup --manage-cgroups --cgroup-root \
	--timeout --page-server --address --port --track-mem --pre-dump-mode --lazy-pages --auto-dedup \
	--network-lock --cpu-cap --evasive-devices --force-irmap --allow-uprobes --enable-fs --restore-detached \
	--restore-sibling --root --inherit-fd --join-ns --veth-pair --extra --experimental --all --feature \
	--daemon --status-fd --ps-socket --tls --tls-cacert --tls-cacrl --tls-cert --tls-key; do
	grep -qx -- "$o" "$T/help-opts" || fail "--help lists $o"
done
pass "--help lists every option of the contract"
check "short and long on one line" grep -qE '^  -D, --images-dir DIR +directory' "$T/help"
check "optional argument shown" grep -qE '^  -v, --verbosity\[=N\]' "$T/help"
check "unbuilt options are marked" grep -qE '^      --lazy-pages +\* ' "$T/help"
check "built options are not marked" grep -qE '^      --feature NAME +check only' "$T/help"

run -h
check "-h exits 0" test "$rc" = 0
check "-h prints the same help" cmp -s "$T/out" "$T/help"
run dump --frobnicate -t 0 --help
check "--help wins over bad options" test "$rc" = 0
check "--help wins over bad options: same text" cmp -s "$T/out" "$T/help"
run --version -h
check "-h wins over --version" grep -q '^Usage:' "$T/out"
run dump -- --help
check "--help after -- is not an option" test "$rc" = 1

want=$(cat "$CRIU_TOP/VERSION")
run --version
check "--version exits 0" test "$rc" = 0
check "--version prints Version: $want" grep -qx "Version: $want" "$T/out"
check "--version prints the GitID" bash -c "sed -n 2p '$T/out' | grep -qE '^GitID: [0-9a-f]+'"
check "--version prints nothing else" test "$(wc -l <"$T/out")" -le 2
run -V
check "-V exits 0" test "$rc" = 0
check "-V prints the version" grep -qx "Version: $want" "$T/out"
run restore --bogus -V
check "-V wins over bad options" test "$rc" = 0

# Output that cannot be written (a full disk) fails, once, on stderr.
if [ -w /dev/full ]; then
	for a in --help -V --help-markdown; do
		"$CRIU" "$a" >/dev/full 2>"$T/err"
		rc=$?
		check "$a into a full stdout exits 1" test "$rc" = 1
		check "$a into a full stdout says so" grep -q "can't write to standard output: No space left on device" "$T/err"
	done
else
	skip "full stdout: no writable /dev/full"
fi
