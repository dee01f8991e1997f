#!/usr/bin/python3
# What the fixtures do not cover: every kind of images/kinds.def, the data
# after entries of each payload kind, ghost files, and the pretty forms of
# device numbers, IPv6 addresses and unix socket names.
#
# Images are built here by hand (struct + the generated protobuf classes),
# then crit must decode them to the expected JSON and encode that JSON back
# to the same bytes.
import base64
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import critlib as c  # noqa: E402

c.need_fixtures("crit-payloads")
sys.path.insert(0, os.path.join(c.TOP, "lib"))
from pycriu import image, kinds, schema  # noqa: E402

table = kinds.table()


def msg(mname, /, **fields):
    m = schema.message_class(mname)()
    for k, v in fields.items():
        if isinstance(v, dict):
            getattr(m, k).CopyFrom(msg_from(getattr(m, k), v))
        elif isinstance(v, list):
            getattr(m, k).extend(v)
        else:
            setattr(m, k, v)
    return m


def msg_from(m, d):
    m = type(m)()
    for k, v in d.items():
        setattr(m, k, v)
    return m


def entry(m):
    body = m.SerializeToString()
    return struct.pack("<I", len(body)) + body


def header(kind):
    k = table.by_name[kind]
    return (struct.pack("<I", k.prefix) if k.prefix is not None else b"") + \
        struct.pack("<I", k.magic)


def b64(raw):
    return base64.encodebytes(raw).decode()


jobs = []


def roundtrip(name, raw, want_json, pretty=False):
    """Check later: decode(raw) == want_json, encode(want_json) == raw."""
    jobs.append((name, raw, want_json, pretty))


def run_roundtrip(job):
    name, raw, want_json, pretty = job
    res = []
    args = ["decode"] + (["--pretty"] if pretty else [])
    rc, out, err = c.crit(*args, stdin=raw)
    if rc != 0:
        res.append((False, "%s decode" % name, err))
    else:
        got, why = c.load_json(out, "output")
        why = why or c.json_diff(got, want_json)
        res.append((why is None, "%s decode" % name, why))
    rc, enc, err = c.crit("encode", stdin=json.dumps(want_json).encode())
    res.append((rc == 0 and enc == raw, "%s encode" % name,
                err or "bytes differ: %r vs %r" % (enc[:64], raw[:64])))
    return res


# ---- the kinds table: every kind's messages exist, empty images round-trip
for k in table.kinds:
    if k.is_raw:
        continue
    try:
        for m in (k.head, k.entry):
            if m:
                schema.message_class(m)
        ok, why = True, ""
    except Exception as e:  # CritError
        ok, why = False, str(e)
    c.result(ok, "kind %s messages" % k.name, why)
    if k.alias_of is None and ok:
        # in this process: one crit run per kind would be slow
        empty = {"magic": k.name, "entries": []}
        try:
            ok = image.load(header(k.name)) == empty and \
                image.dump(empty) == header(k.name)
            why = "differs"
        except Exception as e:
            ok, why = False, str(e)
        c.result(ok, "empty %s image" % k.name, why)

# ---- payloads
data = b"hello, pipe\n" * 10
raw = header("PIPES_DATA") + entry(msg("pipe_data_entry", pipe_id=7,
                                       bytes=len(data), size=65536)) + data
roundtrip("PIPES_DATA", raw, {"magic": "PIPES_DATA", "entries": [
    {"pipe_id": 7, "bytes": len(data), "size": 65536, "extra": b64(data)}]})

raw = header("FIFO_DATA") + entry(msg("pipe_data_entry", pipe_id=8,
                                      bytes=3)) + b"abc" + \
    entry(msg("pipe_data_entry", pipe_id=9, bytes=0))
roundtrip("FIFO_DATA", raw, {"magic": "FIFO_DATA", "entries": [
    {"pipe_id": 8, "bytes": 3, "extra": "YWJj\n"},
    {"pipe_id": 9, "bytes": 0, "extra": ""}]})

raw = header("SK_QUEUES") + entry(msg("sk_packet_entry", id_for=3,
                                      length=5)) + b"\x00\x01\x02\x03\x04"
roundtrip("SK_QUEUES", raw, {"magic": "SK_QUEUES", "entries": [
    {"id_for": 3, "length": 5, "extra": "AAECAwQ=\n"}]})

ts = dict(inq_len=4, inq_seq=1, outq_len=2, outq_seq=2, opt_mask=0,
          snd_wscale=0, mss_clamp=0)
raw = header("TCP_STREAM") + entry(msg("tcp_stream_entry", **ts)) + \
    b"INQ!" + b"ou"
want = dict(ts)
want["extra"] = {"inq": "SU5RIQ==\n", "outq": "b3U=\n"}
roundtrip("TCP_STREAM", raw, {"magic": "TCP_STREAM", "entries": [want]})

raw = header("BPFMAP_DATA") + entry(msg(
    "bpfmap_data_entry", map_id=1, keys_bytes=4, values_bytes=8,
    count=1)) + bytes(range(12))
roundtrip("BPFMAP_DATA", raw, {"magic": "BPFMAP_DATA", "entries": [
    {"map_id": 1, "keys_bytes": 4, "values_bytes": 8, "count": 1,
     "extra": b64(bytes(range(12)))}]})

desc = dict(key=1, uid=0, gid=0, cuid=0, cgid=0, mode=0o600, id=5)
raw = header("IPCNS_SHM") + entry(msg("ipc_shm_entry", desc=desc, size=6)) \
    + b"shmem!" + b"\0\0"
roundtrip("IPCNS_SHM", raw, {"magic": "IPCNS_SHM", "entries": [
    {"desc": desc, "size": 6, "extra": "c2htZW0h\n"}]})

raw = header("IPCNS_SEM") + entry(msg("ipc_sem_entry", desc=desc, nsems=3)) \
    + struct.pack("=3H", 1, 2, 65535) + b"\0\0"
roundtrip("IPCNS_SEM", raw, {"magic": "IPCNS_SEM", "entries": [
    {"desc": desc, "nsems": 3, "extra": [1, 2, 65535]}]})

m1 = msg("ipc_msg", mtype=1, msize=5)
m2 = msg("ipc_msg", mtype=2, msize=8)
raw = header("IPCNS_MSG") + entry(msg("ipc_msg_entry", desc=desc,
                                      qbytes=100, qnum=2)) + \
    entry(m1) + b"first" + b"\0\0\0" + entry(m2) + b"second!!"
roundtrip("IPCNS_MSG", raw, {"magic": "IPCNS_MSG", "entries": [
    {"desc": desc, "qbytes": 100, "qnum": 2, "extra": [
        {"mtype": 1, "msize": 5}, "Zmlyc3Q=\n",
        {"mtype": 2, "msize": 8}, "c2Vjb25kISE=\n"]}]})

# ---- ghost files: contents to the end, or chunks
gf = dict(uid=0, gid=0, mode=0o100644, dev=(8 << 20) | 1, ino=42,
          rdev=os.makedev(1, 3))
raw = header("GHOST_FILE") + entry(msg("ghost_file_entry", **gf)) + \
    b"ghost data"
want = dict(gf)
want["extra"] = "Z2hvc3QgZGF0YQ==\n"
roundtrip("GHOST_FILE whole", raw, {"magic": "GHOST_FILE", "entries": [want]})
want_pretty = dict(want, dev="8:1", rdev="1:3", mode=0o100644)
roundtrip("GHOST_FILE whole pretty", raw,
          {"magic": "GHOST_FILE", "entries": [want_pretty]}, pretty=True)

raw = header("GHOST_FILE") + entry(msg("ghost_file_entry", chunks=True,
                                       size=8192, **gf)) + \
    entry(msg("ghost_chunk_entry", len=3, off=0)) + b"abc" + \
    entry(msg("ghost_chunk_entry", len=2, off=4096)) + b"de"
roundtrip("GHOST_FILE chunks", raw, {"magic": "GHOST_FILE", "entries": [
    dict(gf, chunks=True, size=8192),
    {"len": 3, "off": 0, "extra": "YWJj\n"},
    {"len": 2, "off": 4096, "extra": "ZGU=\n"}]})

for res in c.parallel(run_roundtrip, jobs):
    for r in res:
        c.result(*r)

# ---- show --nopl and info on payload kinds
with c.tmpdir() as tmp:
    img = os.path.join(tmp, "pipes-data.img")
    with open(img, "wb") as f:
        f.write(header("PIPES_DATA") + entry(msg(
            "pipe_data_entry", pipe_id=7, bytes=1536)) + b"x" * 1536 +
            entry(msg("pipe_data_entry", pipe_id=8, bytes=2)) + b"yy")
    rc, out, err = c.crit("show", "--nopl", img)
    got = json.loads(out) if rc == 0 else None
    c.result(got is not None and
             [e["extra"] for e in got["entries"]] == ["... <1.5KB>",
                                                     "... <2B>"],
             "show --nopl", err or repr(got))
    rc, out, err = c.crit("info", img)
    c.result(rc == 0 and json.loads(out) == {"magic": "PIPES_DATA",
                                             "count": 2},
             "info counts entries, not payloads", err or out)

# ---- pretty forms: IPv6 addresses, unix names, flags with unknown bits
words = list(struct.unpack("=4I", bytes.fromhex(
    "20010db8000000000000000000000001")))
isk = dict(id=1, ino=2, family=10, type=1, proto=6, state=10, src_port=80,
           dst_port=0, flags=2, backlog=5)
m = msg("inet_sk_entry", src_addr=words, dst_addr=[0, 0, 0, 0], **isk)
m.fown.SetInParent()
for k in ("uid", "euid", "signum", "pid_type", "pid"):
    setattr(m.fown, k, 0)
m.opts.SetInParent()
m.opts.so_sndbuf = 1
m.opts.so_rcvbuf = 2
m.opts.so_snd_tmo_sec = m.opts.so_snd_tmo_usec = 0
m.opts.so_rcv_tmo_sec = m.opts.so_rcv_tmo_usec = 0
raw = header("INETSK") + entry(m)
rc, out, err = c.crit("decode", "--pretty", stdin=raw)
got = json.loads(out)["entries"][0] if rc == 0 else {}
c.result(got.get("src_addr") == ["2001:db8::1"] and
         got.get("dst_addr") == ["::"] and got.get("family") == "INET6" and
         got.get("state") == "LISTEN" and got.get("proto") == "TCP",
         "pretty inet6 socket", err or repr(got))
rc, enc, err = c.crit("encode", stdin=out)
c.result(rc == 0 and enc == raw, "pretty inet6 socket encodes back",
         err or "bytes differ")

usk = msg("unix_sk_entry", id=1, ino=2, type=1, state=10, flags=0,
          uflags=0, backlog=0, peer=0, name=b"/tmp/s\xffock\n")
usk.fown.SetInParent()
for k in ("uid", "euid", "signum", "pid_type", "pid"):
    setattr(usk.fown, k, 0)
usk.opts.SetInParent()
for k in ("so_sndbuf", "so_rcvbuf", "so_snd_tmo_sec", "so_snd_tmo_usec",
          "so_rcv_tmo_sec", "so_rcv_tmo_usec"):
    setattr(usk.opts, k, 0)
raw = header("UNIXSK") + entry(usk)
rc, out, err = c.crit("decode", stdin=raw)
got = json.loads(out)["entries"][0] if rc == 0 else {}
c.result(got.get("name") == "/tmp/s=FFock\n", "unix name as quoted-printable",
         err or repr(got.get("name")))
rc, enc, err = c.crit("encode", stdin=out)
c.result(rc == 0 and enc == raw, "unix name encodes back", err or "differs")

pm = msg("pagemap_entry", vaddr=0x1000, nr_pages=1, compat_nr_pages=0,
         flags=0x4 | 0x40)
raw = header("PAGEMAP") + entry(msg("pagemap_head", pages_id=3)) + entry(pm)
rc, out, err = c.crit("decode", "--pretty", stdin=raw)
got = json.loads(out)["entries"] if rc == 0 else []
c.result(len(got) == 2 and got[1].get("flags") == "PE_PRESENT | 0x40" and
         got[1].get("vaddr") == "0x1000",
         "pretty flags keep unknown bits", err or repr(got))
rc, enc, err = c.crit("encode", stdin=out)
c.result(rc == 0 and enc == raw, "flags with unknown bits encode back",
         err or "differs")

# ---- the pycriu.images API of CRIU's bindings
import io  # noqa: E402
import pycriu  # noqa: E402

core = os.path.join(c.FIXTURES, "sleep", "core-6626.img")
with open(core, "rb") as f:
    core_bytes = f.read()
with open(core, "rb") as f:
    img = pycriu.images.load(f)
out = io.BytesIO()
pycriu.images.dump(img, out)
c.result(out.getvalue() == core_bytes and
         img["entries"][0]["tc"]["comm"] == "sleep",
         "pycriu.images load and dump", "differs")
try:
    pycriu.images.loads(b"not an image")
    c.result(False, "pycriu.images.MagicException", "no exception")
except pycriu.images.MagicException as e:
    c.result(e.magic == struct.unpack("<I", b"not ")[0],
             "pycriu.images.MagicException", hex(e.magic))
c.finish()
