#!/bin/bash
# The images criu writes for a task's files, as crit sees them: a sample
# task (built by the files unit test: regular files, O_APPEND, CLOEXEC, a
# directory, deleted files, /dev/null, /dev/zero, /dev/urandom, dup'ed fds)
# is dumped; crit must decode every image, show the fields CRIU writes, and
# encode each back to the same bytes.
. "$(dirname "$0")/../lib/lib.sh"
DRIVER=${FILES_DRIVER:-$CRIU_TOP/${BUILD:-build}/test/unit/files}
PY=/usr/bin/python3

if [ ! -x "$DRIVER" ]; then
	skip "files images: $DRIVER is not built"
	exit 0
fi
if ! "$DRIVER" --dump "$T/img" >"$T/driver.log" 2>&1; then
	fail "files images: the sample dump failed: $(tail -1 "$T/driver.log")"
	exit 0
fi

for img in "$T"/img/*.img; do
	n=$(basename "$img")
	if ! "$CRIT" decode -i "$img" -o "$T/$n.json" 2>"$T/err"; then
		fail "crit decodes $n: $(head -1 "$T/err")"
		continue
	fi
	"$CRIT" decode --pretty -i "$img" -o "$T/$n.pretty" 2>"$T/err" || fail "crit decodes $n --pretty: $(head -1 "$T/err")"
	if "$CRIT" encode -i "$T/$n.json" -o "$T/$n.back" 2>"$T/err" && cmp -s "$img" "$T/$n.back"; then
		pass "crit round trip of $n"
	else
		fail "crit round trip of $n"
	fi
done

"$PY" - "$T" <<'PYEOF'
import glob, json, os, sys

t = sys.argv[1]
def load(name):
    with open(os.path.join(t, name + ".pretty")) as f:
        return json.load(f)["entries"]

def check(name, cond, why=""):
    print(("PASS: " if cond else "FAIL: ") + name + ("" if cond else ": " + why))

files = {e["id"]: e for e in load("files.img")}
fdinfo = {e["fd"]: e for e in load("fdinfo-2.img")}
reg = lambda fd: files[fdinfo[fd]["id"]]["reg"]
base = os.path.dirname(reg(1)["name"])

check("files: every entry is REG with a reg part", all(e["type"] == "REG" and e["reg"]["id"] == e["id"] for e in files.values()))
check("fdinfo: fds 0-11 and 20", sorted(fdinfo) == list(range(12)) + [20], str(sorted(fdinfo)))
check("fdinfo: dup'ed fds share a file", fdinfo[1]["id"] == fdinfo[2]["id"] and fdinfo[3]["id"] == fdinfo[20]["id"])
check("fdinfo: separate opens do not", fdinfo[3]["id"] != fdinfo[9]["id"])
check("fdinfo: close-on-exec in fdinfo flags", fdinfo[4]["flags"] == 1 and fdinfo[20]["flags"] == 1 and fdinfo[3]["flags"] == 0)
check("files: /dev/null as CRIU writes it", reg(0)["name"] == "/dev/null" and reg(0)["mode"] == 8630
      and reg(0)["flags"] == "O_LARGEFILE" and "size" not in reg(0), json.dumps(reg(0)))
check("files: write-only file", reg(1)["flags"] == "O_WRONLY | O_LARGEFILE" and reg(1)["pos"] == 3 and reg(1)["size"] == 3, json.dumps(reg(1)))
check("files: O_APPEND log file has no size", "O_APPEND" in reg(4)["flags"] and "size" not in reg(4), json.dumps(reg(4)))
check("files: no O_CLOEXEC in file flags", all("O_CLOEXEC" not in e["reg"]["flags"] for e in files.values()))
check("files: directory", reg(5)["name"] == base + "/dir" and reg(5)["mode"] & 0o170000 == 0o040000)
check("files: devices", reg(7)["name"] == "/dev/zero" and reg(8)["name"] == "/dev/urandom")
check("files: deleted file keeps its name", reg(6)["name"] == base + "/del" and reg(6)["pos"] == 10)

remaps = load("remap-fpath.img")
ghost_of = {r["orig_id"]: r["remap_id"] for r in remaps}
check("remap: ghosts of both opens of del and of big", all(r["remap_type"] == "GHOST" for r in remaps)
      and ghost_of[fdinfo[6]["id"]] == ghost_of[fdinfo[11]["id"]] != ghost_of[fdinfo[10]["id"]], json.dumps(remaps))
g = load("ghost-file-%x.img" % ghost_of[fdinfo[6]["id"]])
check("ghost: small file whole", len(g) == 1 and "chunks" not in g[0] and ":" in g[0]["dev"], json.dumps(g)[:300])
g = load("ghost-file-%x.img" % ghost_of[fdinfo[10]["id"]])
check("ghost: sparse file in chunks", g[0].get("chunks") and g[0]["size"] == 20000 and len(g) == 3
      and [c["off"] for c in g[1:]] == [0, 16384], json.dumps([{k: v for k, v in c.items() if k != "extra"} for c in g]))

fs = load(os.path.basename(glob.glob(os.path.join(t, "img", "fs-*.img"))[0]))[0]
check("fs: cwd, root and umask", files[fs["cwd_id"]]["reg"]["name"] == base + "/dir"
      and files[fs["root_id"]]["reg"]["name"] == "/" and fs["umask"] == 0o27, json.dumps(fs))
PYEOF
