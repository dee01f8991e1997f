#!/usr/bin/python3
"""Round-trip through crit every image a C/R test run wrote.

    crit-roundtrip.py DIR...

For each DIR (the images of one dump), every image but the raw pages is
decoded to crit's JSON (pretty, as `crit show` prints it), encoded back and
compared byte for byte with the file criu wrote.  One PASS/FAIL line per
DIR.  Runs in one Python process: crit's start-up would cost more than the
work.
"""
import json
import os
import sys

top = os.environ.get("CRIU_TOP") or os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(top, "lib"))
import pycriu  # noqa: E402

for d in sys.argv[1:]:
    bad = []
    n = 0
    for name in sorted(os.listdir(d)):
        if not name.endswith(".img") and not name.startswith("stats-"):
            continue
        if name.startswith("pages-"):
            continue
        path = os.path.join(d, name)
        data = open(path, "rb").read()
        try:
            img = pycriu.images.loads(data, pretty=True)
            back = pycriu.images.dumps(json.loads(json.dumps(img)))
        except Exception as e:  # any failure is the test's finding
            bad.append("%s: %s" % (name, e))
            continue
        n += 1
        if back != data:
            bad.append("%s: re-encoded bytes differ" % name)
    label = os.path.basename(os.path.dirname(d.rstrip("/")))
    if bad:
        print("FAIL: crit round trip %s: %s" % (label, "; ".join(bad[:3])))
    elif n == 0:
        print("FAIL: crit round trip %s: no images" % label)
    else:
        print("PASS: crit round trip %s (%d images)" % (label, n))
