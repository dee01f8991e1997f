#!/usr/bin/python3
# Decode every image of the CRIU 4.2 fixtures with our schemas
# (build/py/*_pb2.py) and the kind table (images/kinds.def), and check:
#   - every entry parses and leaves no unknown field,
#   - serializing it again gives the very bytes that were read (field
#     numbers, types and packing are all CRIU's),
#   - the fields present are the ones CRIU's crit printed in the JSON
#     beside the image, by name (so names match numbers).
# One PASS/FAIL line per fixture file.
import glob
import importlib
import json
import os
import struct
import sys

top = os.environ.get("CRIU_TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
build = os.environ.get("BUILD", "build")
if not os.path.isabs(build):
    build = os.path.join(top, build)
pydir = os.path.join(build, "py")
fixtures = os.environ.get("CRIU_FIXTURES") or os.path.join(
    top, "..", "shared", "fixtures", "criu-4.2")

if not os.path.isdir(fixtures):
    print("SKIP: protos-roundtrip: no fixtures at %s" % fixtures)
    sys.exit(0)
if not glob.glob(os.path.join(pydir, "*_pb2.py")):
    print("SKIP: protos-roundtrip: no generated modules in %s (run make)" % pydir)
    sys.exit(0)
sys.path.insert(0, pydir)

# message name -> class, from every generated module
messages = {}
for path in sorted(glob.glob(os.path.join(pydir, "*_pb2.py"))):
    mod = importlib.import_module(os.path.basename(path)[:-3])
    for name, desc in mod.DESCRIPTOR.message_types_by_name.items():
        messages[name] = getattr(mod, name)
import opts_pb2  # noqa: E402  (generated, found through sys.path)

# kinds.def
specials = {}
kinds = {}  # magic -> kind dict (aliases skipped)
table_errors = []
names = {}
with open(os.path.join(top, "images", "kinds.def")) as f:
    for lineno, line in enumerate(f, 1):
        line = line.split("#", 1)[0].split()
        if not line:
            continue
        if line[0].startswith("@"):
            specials[line[0][1:]] = int(line[1], 16)
            continue
        if len(line) != 6:
            table_errors.append("line %d: %d fields" % (lineno, len(line)))
            continue
        name, magic, pattern, head, entry, flags = line
        flags = [] if flags == "-" else flags.split(",")
        k = dict(name=name, magic=int(magic, 16), head=head, entry=entry,
                 flags=flags)
        if name in names:
            table_errors.append("line %d: %s twice" % (lineno, name))
        names[name] = k
        for m in (head, entry):
            if m != "-" and m not in messages:
                table_errors.append("line %d: no message %s" % (lineno, m))
        if "raw" in flags or any(x.startswith("alias=") for x in flags):
            continue
        if k["magic"] in kinds:
            table_errors.append("line %d: magic of %s already used by %s" %
                                (lineno, name, kinds[k["magic"]]["name"]))
        kinds[k["magic"]] = k
for k in names.values():
    for fl in k["flags"]:
        if fl.startswith("alias="):
            a = names.get(fl[6:])
            if not a or a["magic"] != k["magic"]:
                table_errors.append("%s: bad alias %s" % (k["name"], fl))
if set(specials) != {"COMMON", "SERVICE"}:
    table_errors.append("@COMMON/@SERVICE lines missing")
if table_errors:
    print("FAIL: protos-roundtrip: kinds.def: " + "; ".join(table_errors))
else:
    print("PASS: protos-roundtrip: kinds.def")

def extra_len(k, msg):
    for fl in k["flags"]:
        if fl.startswith("extra="):
            spec = fl[6:]
            if spec.startswith("@"):
                raise ValueError("handler %s not covered by this test" % spec)
            return sum(getattr(msg, fld) for fld in spec.split("+"))
    return 0

def unknown(msg):
    """Path of the first unknown field inside msg, or None."""
    if msg.UnknownFields() and len(msg.UnknownFields()):
        return msg.DESCRIPTOR.name
    for fd, val in msg.ListFields():
        if fd.type != fd.TYPE_MESSAGE:
            continue
        for sub in (val if fd.label == fd.LABEL_REPEATED else [val]):
            u = unknown(sub)
            if u:
                return msg.DESCRIPTOR.name + "." + fd.name + ">" + u
    return None

def criu_opts(fd):
    o = fd.GetOptions()
    return o.Extensions[opts_pb2.criu] if o.HasExtension(opts_pb2.criu) else None

def same_names(msg, js, path, hexed=False):
    """Compare the fields present in msg with the keys of CRIU's JSON, and
    check that a number crit printed as a string has a (criu) option that
    makes it one, and a number printed as a number has none."""
    if not isinstance(js, dict):
        return "%s: JSON is not an object" % path
    ours = [fd.name for fd, _ in msg.ListFields()]
    theirs = [k for k in js.keys() if k != "extra"]
    if ours != theirs:
        return "%s: fields %s, CRIU's crit shows %s" % (path, ours, theirs)
    for fd, val in msg.ListFields():
        o = criu_opts(fd)
        h = hexed or bool(o and o.hex)
        where = path + "." + fd.name
        if fd.type == fd.TYPE_MESSAGE:
            subs = val if fd.label == fd.LABEL_REPEATED else [val]
            jss = js[fd.name] if fd.label == fd.LABEL_REPEATED else [js[fd.name]]
            for i, (sub, j) in enumerate(zip(subs, jss)):
                r = same_names(sub, j, "%s[%d]" % (where, i), h)
                if r:
                    return r
            continue
        if fd.type in (fd.TYPE_ENUM, fd.TYPE_STRING, fd.TYPE_BYTES):
            continue
        j = js[fd.name]
        if fd.label == fd.LABEL_REPEATED:
            if not j:
                continue
            j = j[0]
        shaped = h or bool(o and (o.flags or o.dict or o.dev or o.ipadd or o.conv))
        if isinstance(j, str) and not shaped:
            return "%s: crit shows %r, our schema has no option for it" % (where, j)
        if not isinstance(j, str) and shaped:
            return "%s: crit shows %r, our schema has an option on it" % (where, j)
    return None

def check(path):
    data = open(path, "rb").read()
    pos = 0
    first, = struct.unpack_from("<I", data, pos)
    pos += 4
    if first in (specials["COMMON"], specials["SERVICE"]):
        magic, = struct.unpack_from("<I", data, pos)
        pos += 4
        want_lead = "service" if first == specials["SERVICE"] else "common"
    else:
        magic = first
        want_lead = "none"
    k = kinds.get(magic)
    if not k:
        return "unknown magic 0x%08x" % magic
    lead = "none" if "nocommon" in k["flags"] else \
        "service" if "service" in k["flags"] else "common"
    if lead != want_lead:
        return "%s: leading magic is %s, kinds.def says %s" % (k["name"], want_lead, lead)

    jpath = path[:-4] + ".json" if path.endswith(".img") else path + ".json"
    js = json.load(open(jpath)) if os.path.exists(jpath) else None
    if js and js["magic"] != k["name"]:
        return "kind %s, CRIU's crit says %s" % (k["name"], js["magic"])

    n = 0
    while pos < len(data):
        if pos + 4 > len(data):
            return "truncated size word at %d" % pos
        size, = struct.unpack_from("<I", data, pos)
        pos += 4
        raw = data[pos:pos + size]
        if len(raw) != size:
            return "entry %d truncated" % n
        pos += size
        mname = k["head"] if n == 0 and k["head"] != "-" else k["entry"]
        msg = messages[mname]()
        msg.ParseFromString(raw)
        u = unknown(msg)
        if u:
            return "entry %d: unknown field in %s" % (n, u)
        if msg.SerializeToString() != raw:
            return "entry %d (%s): re-serialized bytes differ" % (n, mname)
        if js:
            r = same_names(msg, js["entries"][n], "entry %d" % n)
            if r:
                return r
        pos += extra_len(k, msg)
        n += 1
    if pos != len(data):
        return "extra payload runs past the end of the file"
    if js and len(js["entries"]) != n:
        return "%d entries, CRIU's crit shows %d" % (n, len(js["entries"]))
    return None

# The checks must be able to fail: an entry with a field our schema lacks
# (number 99, varint 1) has to be caught.
probe = messages["pstree_entry"](pid=1, ppid=0, pgid=1, sid=1)
probe.ParseFromString(probe.SerializeToString() + bytes([99 << 3 & 0xff | 0x80, 99 >> 4, 1]))
if unknown(probe):
    print("PASS: protos-roundtrip: unknown fields are detected")
else:
    print("FAIL: protos-roundtrip: an unknown field went unnoticed")

files = sorted(p for p in glob.glob(os.path.join(fixtures, "*", "*"))
               if os.path.isfile(p) and not p.endswith(".json")
               and not os.path.basename(p).startswith("pages-"))
for p in files:
    name = "protos-roundtrip: " + os.path.relpath(p, fixtures)
    try:
        why = check(p)
    except Exception as e:  # a parse error is a failure, not a crash
        why = "%s: %s" % (type(e).__name__, e)
    print("FAIL: %s: %s" % (name, why) if why else "PASS: " + name)
