"""Helpers shared by the crit tests (test/crit/*.t, run by test/run-all.sh).

Finds the tree, crit and the CRIU 4.2 fixtures, runs crit, compares JSON
strictly and prints the PASS/FAIL/SKIP lines the runner counts.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

TOP = os.environ.get("CRIU_TOP") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CRIT = os.environ.get("CRIT") or os.path.join(TOP, "lib", "crit")
FIXTURES = os.environ.get("CRIU_FIXTURES") or os.path.join(
    TOP, "..", "shared", "fixtures", "criu-4.2")

failures = 0


def result(ok, name, why=""):
    global failures
    if ok:
        print("PASS: %s" % name)
    else:
        failures += 1
        why = " | ".join(str(why).strip().splitlines()[-3:])
        print("FAIL: %s: %s" % (name, why))
    sys.stdout.flush()


def skip(name, why):
    print("SKIP: %s: %s" % (name, why))


def finish():
    sys.exit(1 if failures else 0)


def need_fixtures(test):
    """Exit with a SKIP line when the fixtures or the schema are missing."""
    if not os.path.isdir(FIXTURES):
        skip(test, "no fixtures at %s" % FIXTURES)
        sys.exit(0)
    build = os.environ.get("BUILD") or "build"
    if not os.path.isabs(build):
        build = os.path.join(TOP, build)
    if not glob.glob(os.path.join(build, "py", "*_pb2.py")):
        skip(test, "no generated schema modules (run make)")
        sys.exit(0)


def fixture_images():
    """(image path, json path, short name) of every fixture with a .json."""
    out = []
    for js in sorted(glob.glob(os.path.join(FIXTURES, "*", "*.json"))):
        base = js[:-len(".json")]
        img = base + ".img" if os.path.exists(base + ".img") else base
        if os.path.exists(img):
            out.append((img, js, os.path.relpath(img, FIXTURES)))
    return out


def fixture_dirs():
    return sorted(d for d in glob.glob(os.path.join(FIXTURES, "*"))
                  if os.path.isdir(os.path.join(d, "crit-x")))


# Let crit cache its compiled modules (__pycache__ is git-ignored): without
# that, each of the hundreds of runs here recompiles them.
_ENV = dict(os.environ)
_ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def crit(*args, stdin=None):
    """(exit status, stdout bytes, stderr text) of crit ARGS."""
    p = subprocess.run([CRIT] + list(args), input=stdin, env=_ENV,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="crit-test.")


def json_diff(a, b, path="$"):
    """None if a and b are the same JSON (types, values, key order), else
    where they first differ."""
    if type(a) is not type(b):
        return "%s: %s %r vs %s %r" % (path, type(a).__name__, a,
                                       type(b).__name__, b)
    if isinstance(a, dict):
        ka, kb = list(a), list(b)
        if ka != kb:
            return "%s: keys %s vs %s" % (path, ka, kb)
        for k in ka:
            d = json_diff(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d vs %d items" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = json_diff(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if a != b:
        return "%s: %r vs %r" % (path, a, b)
    return None


def load_json(raw, what):
    try:
        return json.loads(raw), None
    except ValueError as e:
        return None, "%s is not JSON: %s" % (what, e)


def parallel(fn, items):
    """[fn(item) for item in items], run on all CPUs (crit is one process
    per call, mostly start-up time), results in order."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
        return list(ex.map(fn, items))
