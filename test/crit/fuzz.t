#!/usr/bin/python3
# Random mutations of the CRIU 4.2 fixtures, fed to crit: it must never
# crash.  Every run either succeeds or ends with exactly one
# "crit: error: ..." line and status 1; an "internal error" (an exception
# crit did not expect) or an escaping exception is a failure.
#
#   images  bit flips, byte overwrites, cuts, insertions, deletions, bogus
#           entry sizes and swapped kind magics, through decode, decode
#           --pretty, show --nopl and info; what decodes is encoded back and
#           must decode to the same JSON again
#   JSON    keys dropped, renamed or added, values replaced by other JSON
#           types, huge or negative numbers, another kind's magic, through
#           encode
#
# Runs crit's main() in this process (start-up would cost more than the
# work); a few mutants also go through the real executable.  Seeded: set
# CRIT_FUZZ_SEED and CRIT_FUZZ_N to replay or to run longer.
import io
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import critlib as c  # noqa: E402

c.need_fixtures("crit-fuzz")
sys.path.insert(0, os.path.join(c.TOP, "lib"))
from pycriu import cli, kinds  # noqa: E402

SEED = int(os.environ.get("CRIT_FUZZ_SEED", "20261125"))
N_IMG = int(os.environ.get("CRIT_FUZZ_N", "400"))
N_JSON = max(1, N_IMG // 3)
rng = random.Random(SEED)


def run(argv, stdin=b""):
    """(status, stdout bytes, stderr text, escaped exception or None)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    sys.stdout, sys.stderr = out, err
    exc = None
    rc = None
    try:
        rc = cli.main(argv)
    except SystemExit as e:  # argparse
        rc = e.code
    except BaseException as e:  # noqa: B902 - that is what we look for
        exc = e
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
    out.flush()
    return rc, out.buffer.getvalue(), err.getvalue(), exc


def verdict(rc, err, exc):
    """None if the run behaved, else why not."""
    if exc is not None:
        return "exception escaped: %s: %s" % (type(exc).__name__, exc)
    if rc == 0:
        return None
    lines = err.splitlines()
    if rc != 1:
        return "exit status %r" % rc
    if len(lines) != 1 or not lines[0].startswith("crit: error: "):
        return "stderr is not one error line: %r" % err[:300]
    if "internal error" in lines[0]:
        return lines[0]
    return None


# ---------------------------------------------------------------- images
images = [img for img, _, _ in c.fixture_images()]
blobs = {}
for img in images:
    with open(img, "rb") as f:
        blobs[img] = f.read()
magics = sorted({k.magic for k in kinds.table().kinds if not k.is_raw})


def entry_offsets(data):
    """Offsets of the size words of the entries (best effort)."""
    pos = 8 if struct.unpack_from("<I", data, 0)[0] in (
        kinds.table().common, kinds.table().service) else 4
    offs = []
    while pos + 4 <= len(data) and len(offs) < 10000:
        offs.append(pos)
        pos += 4 + struct.unpack_from("<I", data, pos)[0]
    return offs


def mutate(data):
    data = bytearray(data)
    how = rng.choice(["flip", "byte", "cut", "insert", "delete", "size",
                      "magic", "multi"])
    n = len(data)
    if how == "flip" or how == "multi":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(n)
            data[i] ^= 1 << rng.randrange(8)
    if how == "byte" or how == "multi":
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(n)] = rng.choice([0, 0xff, 0x80, 0x7f,
                                                 rng.randrange(256)])
    if how == "cut":
        data = data[:rng.randrange(n)]
    elif how == "insert":
        i = rng.randrange(n + 1)
        data[i:i] = bytes(rng.randrange(256)
                          for _ in range(rng.randint(1, 16)))
    elif how == "delete":
        i = rng.randrange(n)
        del data[i:i + rng.randint(1, 16)]
    elif how == "size":
        offs = entry_offsets(bytes(data))
        if offs:
            o = rng.choice(offs)
            v = rng.choice([0, 1, 0xffffffff, 0x7fffffff,
                            rng.randrange(1 << 32), rng.randrange(64)])
            data[o:o + 4] = struct.pack("<I", v)
    elif how == "magic":
        o = 4 if struct.unpack_from("<I", data, 0)[0] == \
            kinds.table().common else 0
        data[o:o + 4] = struct.pack("<I", rng.choice(magics))
    return how, bytes(data)


stats = {}
bad = 0
with c.tmpdir() as tmp:
    path = os.path.join(tmp, "mutant.img")
    for i in range(N_IMG):
        src = rng.choice(images)
        how, data = mutate(blobs[src])
        with open(path, "wb") as f:
            f.write(data)
        stats[how] = stats.get(how, 0) + 1
        tag = "image mutant %d (%s of %s, seed %d)" % (
            i, how, os.path.relpath(src, c.FIXTURES), SEED)
        why = None
        for argv in (["decode", "-i", path], ["decode", "--pretty", "-i",
                                               path],
                     ["show", "--nopl", path], ["info", path]):
            rc, out, err, exc = run(argv)
            why = verdict(rc, err, exc)
            if why:
                why = "%s: %s" % (" ".join(argv[:2]), why)
                break
            if argv[1] == "--pretty" and rc == 0:
                # what decodes must encode, or fail cleanly; if it encodes,
                # it must decode to the same JSON
                rc2, raw, err2, exc2 = run(["encode"], stdin=out)
                why = verdict(rc2, err2, exc2)
                if why:
                    why = "encode of the decode: " + why
                    break
                if rc2 == 0:
                    again = os.path.join(tmp, "again.img")
                    with open(again, "wb") as f:
                        f.write(raw)
                    rc3, out3, err3, exc3 = run(["decode", "--pretty", "-i",
                                                 again])
                    why = verdict(rc3, err3, exc3)
                    if not why and rc3 != 0:
                        why = "re-decode failed: " + err3.strip()
                    if not why:
                        why = c.json_diff(json.loads(out3), json.loads(out))
                        if why:
                            why = "decode(encode(decode)) differs: " + why
                    if why:
                        break
        if why:
            bad += 1
            c.result(False, tag, why)

    # ------------------------------------------------------------ JSON
    docs = {}
    for img, js, _ in c.fixture_images():
        with open(js) as f:
            docs[js] = json.load(f)
    names = sorted(k.name for k in kinds.table().kinds)
    odd_values = [None, True, False, -1, 0, 1 << 64, -(1 << 63) - 1, 1.5,
                  "", "x", "0x", "0xzz", "1:2:3", "A | NOPE", [], [1], {},
                  {"a": 1}, "\udcff", "AAAA"]

    def walk(node, acc, path=()):
        acc.append((path, node))
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, acc, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, acc, path + (i,))
        return acc

    def jmutate(doc):
        doc = json.loads(json.dumps(doc))
        how = rng.choice(["value", "drop", "rename", "add", "magic"])
        if how == "magic":
            doc["magic"] = rng.choice(names + ["NOPE", 7, None])
            return how, doc
        spots = [(p, n) for p, n in walk(doc, []) if p]
        p, _ = rng.choice(spots)
        parent = doc
        for k in p[:-1]:
            parent = parent[k]
        key = p[-1]
        if how == "value":
            parent[key] = rng.choice(odd_values)
        elif how == "drop":
            del parent[key]
        elif how == "rename" and isinstance(parent, dict):
            parent["x" + key] = parent.pop(key)
        elif how == "add" and isinstance(parent, dict):
            parent["no_such_" + key] = 1
        elif isinstance(parent, list):
            parent.append(rng.choice(odd_values))
        return how, doc

    jpath = os.path.join(tmp, "mutant.json")
    for i in range(N_JSON):
        src = rng.choice(sorted(docs))
        how, doc = jmutate(docs[src])
        with open(jpath, "w") as f:
            json.dump(doc, f)
        stats["json-" + how] = stats.get("json-" + how, 0) + 1
        rc, _, err, exc = run(["encode", "-i", jpath, "-o",
                               os.path.join(tmp, "out.img")])
        why = verdict(rc, err, exc)
        if why:
            bad += 1
            c.result(False, "JSON mutant %d (%s of %s, seed %d)" % (
                i, how, os.path.relpath(src, c.FIXTURES), SEED), why)

    # ------------------------------------------------------------ x
    # one image of a checkpoint dir mutated, then every summary
    n_x = max(1, N_IMG // 10)
    xdir = os.path.join(tmp, "xdir")
    for i in range(n_x):
        src_dir = rng.choice(c.fixture_dirs())
        if os.path.isdir(xdir):
            for f in os.listdir(xdir):
                os.unlink(os.path.join(xdir, f))
        else:
            os.mkdir(xdir)
        victims = []
        for f in os.listdir(src_dir):
            if f.endswith(".img") and not f.startswith("pages-"):
                with open(os.path.join(src_dir, f), "rb") as fi, \
                        open(os.path.join(xdir, f), "wb") as fo:
                    fo.write(fi.read())
                victims.append(f)
        victim = rng.choice(sorted(victims))
        how, data = mutate(blobs[os.path.join(src_dir, victim)])
        with open(os.path.join(xdir, victim), "wb") as f:
            f.write(data)
        stats["x-" + how] = stats.get("x-" + how, 0) + 1
        for what in ("ps", "fds", "mems", "rss"):
            rc, _, err, exc = run(["x", xdir, what])
            why = verdict(rc, err, exc)
            if why:
                bad += 1
                c.result(False, "x mutant %d (%s of %s/%s, seed %d): x %s" % (
                    i, how, os.path.basename(src_dir), victim, SEED, what),
                    why)
                break

    # ------------------------------------------------------------ real process
    for i in range(8):
        src = rng.choice(images)
        how, data = mutate(blobs[src])
        with open(path, "wb") as f:
            f.write(data)
        rc, out, err = c.crit("decode", "--pretty", "-i", path)
        why = None
        if "Traceback" in err:
            why = "traceback"
        elif rc != 0 and (len(err.splitlines()) != 1 or
                          not err.startswith("crit: error: ")):
            why = "stderr: %r" % err[:200]
        if why:
            bad += 1
            c.result(False, "process mutant %d (%s of %s)" % (
                i, how, os.path.relpath(src, c.FIXTURES)), why)

c.result(bad == 0, "fuzz: %d image and %d JSON mutants, seed %d (%s)" % (
    N_IMG, N_JSON, SEED, ", ".join("%s %d" % kv for kv in sorted(
        stats.items()))), "%d mutants misbehaved" % bad)
c.finish()
