#!/usr/bin/python3
# crit info on every CRIU 4.2 fixture image prints the kind and the number
# of entries, as CRIU's crit does: {"magic": KIND, "count": N} with an
# indent of 4, where a pagemap's count leaves out its head entry.
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import critlib as c  # noqa: E402

c.need_fixtures("crit-info")


def check(item):
    img, js, name = item
    with open(js, "rb") as f:
        want = json.loads(f.read())
    n = len(want["entries"])
    if want["magic"] == "PAGEMAP":
        n -= 1
    text = json.dumps({"magic": want["magic"], "count": n}, indent=4) + "\n"
    rc, out, err = c.crit("info", img)
    if rc != 0:
        return False, err.strip()
    got = out.decode("utf-8", "replace")
    return got == text, "printed %r, expected %r" % (got, text)


items = c.fixture_images()
for item, (ok, why) in zip(items, c.parallel(check, items)):
    c.result(ok, "info %s" % item[2], why)
c.finish()
