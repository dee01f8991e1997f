#!/usr/bin/python3
# crit decode --pretty of every CRIU 4.2 fixture image gives exactly the
# JSON CRIU's crit printed beside it (same keys in the same order, same
# values and JSON types).  Also, on a dozen images: crit show prints the
# same text, and the plain (non-pretty) decode is one line of valid JSON.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import critlib as c  # noqa: E402

c.need_fixtures("crit-decode")


def pretty(item):
    img, js, name = item
    rc, out, err = c.crit("decode", "--pretty", "-i", img)
    if rc != 0:
        return False, err.strip()
    got, why = c.load_json(out, "output")
    if why is None:
        with open(js, "rb") as f:
            want, why = c.load_json(f.read(), js)
    if why is None:
        why = c.json_diff(got, want)
    return why is None, why


def show_and_plain(item):
    img = item[0]
    rc1, pretty_out, _ = c.crit("decode", "--pretty", "-i", img)
    rc2, shown, _ = c.crit("show", img)
    rc3, plain, _ = c.crit("decode", "-i", img)
    if not (rc1 == rc2 == rc3 == 0 and pretty_out == shown):
        return False, "show differs from decode --pretty"
    if len(plain.splitlines()) != 1 or c.load_json(plain, "plain")[1]:
        return False, "plain decode is not one JSON line"
    return True, ""


items = c.fixture_images()
for item, (ok, why) in zip(items, c.parallel(pretty, items)):
    c.result(ok, "decode-pretty %s" % item[2], why)
few = items[::max(1, len(items) // 12)]
for item, (ok, why) in zip(few, c.parallel(show_and_plain, few)):
    c.result(ok, "show-and-plain %s" % item[2], why)
c.finish()
