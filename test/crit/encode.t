#!/usr/bin/python3
# crit encode gives back the very bytes of every CRIU 4.2 fixture image:
#   - from the JSON CRIU's crit printed beside it (pretty form), written
#     to a file with -o,
#   - from our own plain (non-pretty) decode of the image, through pipes.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import critlib as c  # noqa: E402

c.need_fixtures("crit-encode")


def check(item, tmp):
    img, js, name = item
    res = []
    with open(img, "rb") as f:
        want = f.read()
    out_path = os.path.join(tmp, name.replace("/", "_"))
    rc, _, err = c.crit("encode", "-i", js, "-o", out_path)
    if rc != 0:
        res.append((False, "encode-json %s" % name, err.strip()))
    else:
        with open(out_path, "rb") as f:
            got = f.read()
        res.append((got == want, "encode-json %s" % name,
                    "bytes differ (%d vs %d bytes)" % (len(got), len(want))))
    rc, plain, err = c.crit("decode", "-i", img)
    if rc == 0:
        rc, got, err = c.crit("encode", stdin=plain)
    if rc != 0:
        res.append((False, "decode-encode %s" % name, err.strip()))
    else:
        res.append((got == want, "decode-encode %s" % name,
                    "bytes differ (%d vs %d bytes)" % (len(got), len(want))))
    return res


with c.tmpdir() as tmp:
    for res in c.parallel(lambda it: check(it, tmp), c.fixture_images()):
        for ok, name, why in res:
            c.result(ok, name, why)
c.finish()
