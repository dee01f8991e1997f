#!/usr/bin/python3
# crit x DIR ps|fds|mems|rss on every CRIU 4.2 fixture directory prints
# exactly (byte for byte, trailing blanks included) what CRIU's crit
# printed into DIR/crit-x/WHAT.txt.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import critlib as c  # noqa: E402

c.need_fixtures("crit-x")
items = [(d, what) for d in c.fixture_dirs()
         for what in ("ps", "fds", "mems", "rss")
         if os.path.exists(os.path.join(d, "crit-x", what + ".txt"))]


def check(item):
    d, what = item
    with open(os.path.join(d, "crit-x", what + ".txt"), "rb") as f:
        want = f.read()
    rc, out, err = c.crit("x", d, what)
    if rc != 0:
        return False, err.strip()
    if out == want:
        return True, ""
    got_lines, want_lines = out.split(b"\n"), want.split(b"\n")
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        if g != w:
            return False, "line %d: %r, expected %r" % (i + 1, g, w)
    return False, "%d lines, expected %d" % (len(got_lines), len(want_lines))


for (d, what), (ok, why) in zip(items, c.parallel(check, items)):
    c.result(ok, "x %s %s" % (os.path.basename(d), what), why)
c.finish()
