#!/usr/bin/python3
# crit's failures: each is one line on stderr ("crit: error: ..." naming the
# file at fault), a non-zero exit, nothing on stdout and never a Python
# traceback.  Covers bad images, bad JSON and bad directories.
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import critlib as c  # noqa: E402

c.need_fixtures("crit-errors")
FIX = c.FIXTURES


def expect_error(name, args, mention=None, stdin=None, contains=None):
    rc, out, err = c.crit(*args, stdin=stdin)
    lines = err.splitlines()
    why = None
    if rc == 0:
        why = "exit status 0"
    elif "Traceback" in err:
        why = "traceback: %s" % err.strip().splitlines()[-1]
    elif len(lines) != 1 or not lines[0].startswith("crit: error: "):
        why = "stderr is not one 'crit: error:' line: %r" % err
    elif "internal error" in err:
        why = "crit did not expect this: %s" % lines[0]
    elif mention and mention not in lines[0]:
        why = "message does not name %s: %s" % (mention, lines[0])
    elif contains and contains not in lines[0]:
        why = "message lacks %r: %s" % (contains, lines[0])
    elif out:
        why = "something on stdout: %r" % out[:80]
    c.result(why is None, name, why)


with c.tmpdir() as tmp:
    def path(name):
        return os.path.join(tmp, name)

    def write(name, data):
        with open(path(name), "wb") as f:
            f.write(data)
        return path(name)

    core = os.path.join(FIX, "sleep", "core-6626.img")
    with open(core, "rb") as f:
        core_bytes = f.read()
    with open(os.path.join(FIX, "sleep", "core-6626.json")) as f:
        core_json = json.load(f)

    # ---- images
    missing = path("no-such.img")
    expect_error("decode missing file", ["decode", "-i", missing], missing)
    expect_error("show missing file", ["show", missing], missing)
    expect_error("info missing file", ["info", missing], missing)
    empty = write("empty.img", b"")
    expect_error("decode empty file", ["decode", "-i", empty], empty, contains="empty")
    expect_error("info empty file", ["info", empty], empty)
    bad = write("bad-magic.img", b"\x19\x43\x56\x54\x01\x02\x03\x04")
    expect_error("decode unknown kind magic", ["decode", "-i", bad], bad, contains="magic")
    junk = write("junk.img", b"hello, world\n")
    expect_error("decode not an image", ["decode", "-i", junk], junk, contains="magic")
    pages = os.path.join(FIX, "sleep", "pages-1.img")
    expect_error("decode raw pages image", ["decode", "-i", pages], pages, contains="raw")
    short = write("short.img", b"\x19\x43")
    expect_error("decode 2-byte file", ["decode", "-i", short], short)
    cut = write("cut.img", core_bytes[:len(core_bytes) // 2])
    expect_error("decode truncated entry", ["decode", "-i", cut], cut, contains="truncated")
    expect_error("info truncated entry", ["info", cut], cut, contains="truncated")
    cutsize = write("cutsize.img", core_bytes[:10])
    expect_error("decode truncated size", ["decode", "-i", cutsize], cutsize, contains="truncated")
    garbage = write("garbage.img", core_bytes[:8] + b"\x05\x00\x00\x00\xff\xff\xff\xff\xff")
    expect_error("decode undecodable entry", ["decode", "-i", garbage], garbage)
    expect_error("decode from stdin", ["decode"], "<stdin>", stdin=b"xx")
    expect_error("decode into missing dir",
                 ["decode", "-i", core, "-o", path("no/dir/out.json")], "no/dir")

    # ---- JSON
    def jfile(name, obj):
        return write(name, json.dumps(obj).encode())

    out = path("out.img")
    j = jfile("unknown-magic.json", {"magic": "NO_SUCH_KIND", "entries": []})
    expect_error("encode unknown magic", ["encode", "-i", j, "-o", out], j, contains="NO_SUCH_KIND")
    e = json.loads(json.dumps(core_json))
    e["entries"][0]["no_such_field"] = 1
    j = jfile("unknown-field.json", e)
    expect_error("encode unknown field", ["encode", "-i", j, "-o", out], j, contains="no_such_field")
    e = json.loads(json.dumps(core_json))
    e["entries"][0]["tc"]["task_state"] = "Flying"
    j = jfile("bad-value.json", e)
    expect_error("encode bad dict value", ["encode", "-i", j, "-o", out], j, contains="task_state")
    e = json.loads(json.dumps(core_json))
    del e["entries"][0]["tc"]["exit_code"]
    j = jfile("missing-required.json", e)
    expect_error("encode missing required field", ["encode", "-i", j, "-o", out], j, contains="exit_code")
    e = json.loads(json.dumps(core_json))
    e["entries"][0]["mtype"] = 3.5
    j = jfile("wrong-type.json", e)
    expect_error("encode wrong type", ["encode", "-i", j, "-o", out], j, contains="mtype")
    e = json.loads(json.dumps(core_json))
    e["entries"][0]["tc"]["exit_code"] = 1.5
    j = jfile("fraction.json", e)
    expect_error("encode a fraction into an integer field", ["encode", "-i", j, "-o", out], j,
                 contains="exit_code: expected a whole number, got 1.5")
    e = json.loads(json.dumps(core_json))
    e["entries"][0]["tc"]["exit_code"] = 1 << 40
    j = jfile("out-of-range.json", e)
    expect_error("encode out of range", ["encode", "-i", j, "-o", out], j, contains="exit_code")
    j = jfile("extra-here.json", {"magic": "PSTREE", "entries": [
        {"pid": 1, "ppid": 0, "pgid": 1, "sid": 1, "extra": "AAAA\n"}]})
    expect_error("encode extra on a kind without payload", ["encode", "-i", j, "-o", out], j, contains="extra")
    j = jfile("bad-b64.json", {"magic": "PIPES_DATA", "entries": [
        {"pipe_id": 1, "bytes": 3, "extra": "A"}]})
    expect_error("encode bad base64", ["encode", "-i", j, "-o", out], j)
    j = jfile("len-mismatch.json", {"magic": "PIPES_DATA", "entries": [
        {"pipe_id": 1, "bytes": 30, "extra": "AAAA\n"}]})
    expect_error("encode payload length mismatch", ["encode", "-i", j, "-o", out], j, contains="bytes")
    j = jfile("no-extra.json", {"magic": "PIPES_DATA", "entries": [
        {"pipe_id": 1, "bytes": 3}]})
    expect_error("encode payload missing", ["encode", "-i", j, "-o", out], j, contains="extra")
    j = write("not.json", b"{\"magic\": ")
    expect_error("encode truncated JSON", ["encode", "-i", j, "-o", out], j, contains="JSON")
    expect_error("encode an image", ["encode", "-i", core, "-o", out], core, contains="JSON")
    j = jfile("list.json", [1, 2])
    expect_error("encode a JSON list", ["encode", "-i", j, "-o", out], j)
    c.result(not os.path.exists(out), "failed encode leaves no output file",
             "%s was created" % out)

    # ---- x
    expect_error("x missing dir", ["x", path("nodir"), "ps"], path("nodir"))
    os.mkdir(path("emptydir"))
    expect_error("x dir without images", ["x", path("emptydir"), "fds"], "pstree.img")
    os.mkdir(path("halfdir"))
    with open(os.path.join(FIX, "sleep", "pstree.img"), "rb") as f:
        write("halfdir/pstree.img", f.read())
    expect_error("x dir without core", ["x", path("halfdir"), "ps"], "core-")

    # ---- a full standard output (> /dev/full): one error line, not a crash
    if os.path.exists("/dev/full"):
        for args in (["decode", "-i", core], ["show", core], ["info", core],
                     ["x", os.path.join(FIX, "sleep"), "ps"]):
            with open("/dev/full", "wb") as full:
                p = subprocess.run([c.CRIT] + args, stdout=full, stderr=subprocess.PIPE)
            err = p.stderr.decode("utf-8", "replace")
            c.result(p.returncode == 1 and
                     err == "crit: error: cannot write to standard output: No space left on device\n",
                     "%s into a full stdout" % args[0], "rc %d, %r" % (p.returncode, err))
    else:
        c.skip("full stdout", "no /dev/full")

    # ---- command line: argparse's usage + one error line, status 2
    rc, out, err = c.crit("decode", "--no-such-option")
    c.result(rc == 2 and "Traceback" not in err and
             err.splitlines()[-1].startswith("crit: error:"),
             "bad option", "rc %d, %r" % (rc, err))
    rc, out, err = c.crit()
    c.result(rc != 0 and "Traceback" not in err and
             err.splitlines()[-1] == "crit: error: too few arguments",
             "no command", "rc %d, %r" % (rc, err))
c.finish()
