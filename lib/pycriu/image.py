"""Reading and writing whole image files (CRIU image format v1.1).

An image file is:

    [COMMON or SERVICE magic]  KIND magic  { size  message  [payload] }

all numbers 32-bit little-endian; size is the length of the message that
follows.  inventory.img alone has no first magic; the service magic heads
the files that are not part of a checkpoint proper (stats-*).  Which kind
has which magic, prefix and messages is read from images/kinds.def
(kinds.py).  Two kinds are shaped differently:

  * PAGEMAP: the first entry is a pagemap_head, the others pagemap_entry
    (any kind whose table row names a head message works the same way);
  * GHOST_FILE (extra=@ghost): one ghost_file_entry; if it says "chunks",
    pairs of ghost_chunk_entry + len bytes of data follow, otherwise the
    rest of the file is the data, shown as "extra" of the first entry.

The JSON form is {"magic": KIND, "entries": [entry, ...]}; see convert.py
for the entries and payloads.py for their "extra" data.
"""

import contextlib
import os
import struct
import sys
import warnings

from .errors import CritError
from . import convert, kinds, payloads, schema

_U32 = struct.Struct("<I")


class UnknownMagic(CritError):
    """The file does not start with the magic of a kind crit knows."""

    def __init__(self, message, magic):
        super().__init__(message)
        self.magic = magic


class _Ctx:
    """Helpers the payload codecs use to handle their own messages (given
    to them rather than imported, as this module imports theirs)."""

    @staticmethod
    def parse(name, raw):
        return parse_message(name, raw)

    @staticmethod
    def build(name, d, where):
        return convert.dict_to_message(d, schema.message_class(name)(), where)

    @staticmethod
    def serialize(msg, where):
        return serialize(msg, where)


@contextlib.contextmanager
def quiet_native_stderr():
    """Send file descriptor 2 to /dev/null for a while.

    The C++ protobuf library logs to descriptor 2 when a string field holds
    bytes that are not UTF-8; crit shows such strings anyway (with \\udcXX
    escapes) and reports its own errors through sys.stderr, which is kept
    on the real stream."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
    except OSError:
        os.close(saved)
        yield
        return
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# While load() runs: the list the warnings module records into.
_parse_warnings = []


def parse_message(name, raw):
    msg = schema.message_class(name)()
    try:
        msg.ParseFromString(raw)
    except Exception as e:  # DecodeError and the like
        raise CritError("cannot parse %s: %s" % (name, e)) from None
    # The protobuf runtime only warns when a message stops early
    # ("Unexpected end-group tag"): for crit that is a damaged entry.
    if _parse_warnings and _parse_warnings[0]:
        w = _parse_warnings[0]
        why = str(w[0].message)
        del w[:]
        raise CritError("cannot parse %s: %s" % (name, why))
    return msg


def serialize(msg, where):
    missing = msg.FindInitializationErrors()
    if missing:
        raise CritError("%s: missing required field%s %s" %
                        (where, "s" if len(missing) > 1 else "",
                         ", ".join(missing)))
    try:
        return msg.SerializeToString()
    except Exception as e:
        raise CritError("%s: cannot encode: %s" % (where, e)) from None


# ---------------------------------------------------------------- reading
def read_kind(data):
    """(kind, offset of the first entry) of the image in data."""
    if len(data) == 0:
        raise CritError("empty file, not an image")
    if len(data) < 4:
        raise CritError("file too short for an image magic (%d bytes)" %
                        len(data))
    (first,) = _U32.unpack_from(data, 0)
    pos = 4
    table = kinds.table()
    if first in (table.common, table.service):
        if len(data) < 8:
            raise CritError("image truncated after its first magic")
        (magic,) = _U32.unpack_from(data, 4)
        pos = 8
    else:
        magic = first
    kind = table.by_magic.get(magic)
    if kind is None or kind.is_raw:
        if pos == 4:
            raise UnknownMagic("unknown magic 0x%x: not a CRIU image (or a "
                               "raw data image such as pages-N.img, which "
                               "crit does not decode)" % magic, magic)
        raise UnknownMagic("unknown image magic 0x%x" % magic, magic)
    return kind, pos


def _is_ghost(kind):
    return kind.extra == ("handler", "ghost")


def _ghost_entries(kind, data, pos, pretty, no_payload):
    out = []
    if pos >= len(data):
        return out
    raw, pos = _one_entry(data, pos, "entry 0")
    head = _parse_entry(kind.head, raw, 0)
    hd = convert.message_to_dict(head, pretty)
    out.append(hd)
    if not head.chunks:
        if not no_payload:
            hd["extra"] = payloads.b64(data[pos:])
        return out
    i = 1
    while pos < len(data):
        raw, pos = _one_entry(data, pos, "entry %d" % i)
        chunk = _parse_entry(kind.entry, raw, i)
        d = convert.message_to_dict(chunk, pretty)
        body, pos = payloads.take(data, pos, chunk.len,
                                  "entry %d data" % i)
        if not no_payload:
            d["extra"] = payloads.b64(body)
        out.append(d)
        i += 1
    return out


def _parse_entry(name, raw, i):
    try:
        return parse_message(name, raw)
    except CritError as e:
        raise CritError("entry %d: %s" % (i, e)) from None


def _one_entry(data, pos, what):
    n = len(data)
    if n - pos < 4:
        raise CritError("%s: size truncated (%d bytes left)" % (what, n - pos))
    (size,) = _U32.unpack_from(data, pos)
    pos += 4
    if size > n - pos:
        raise CritError("%s truncated: %d bytes expected, %d left" %
                        (what, size, n - pos))
    return data[pos:pos + size], pos + size


def load(data, pretty=False, no_payload=False):
    """The JSON-ready dict of the image held in data (bytes)."""
    with quiet_native_stderr(), warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        _parse_warnings[:] = [w]
        try:
            return _load(data, pretty, no_payload)
        finally:
            _parse_warnings[:] = []


def _load(data, pretty, no_payload):
    kind, pos = read_kind(data)
    if _is_ghost(kind):
        entries = _ghost_entries(kind, data, pos, pretty, no_payload)
        return {"magic": kind.name, "entries": entries}
    codec = payloads.codec_for(kind)
    ctx = _Ctx()
    entries = []
    i = 0
    n = len(data)
    while pos < n:
        what = "entry %d" % i
        raw, pos = _one_entry(data, pos, what)
        name = kind.head if (i == 0 and kind.head) else kind.entry
        msg = _parse_entry(name, raw, i)
        d = convert.message_to_dict(msg, pretty)
        if codec is not None:
            try:
                value, pos, size = codec.read(data, pos, msg, ctx)
            except CritError as e:
                raise CritError("%s: %s" % (what, e)) from None
            if no_payload:
                value = "... <%s>" % payloads.human_size(size)
            d["extra"] = value
        entries.append(d)
        i += 1
    return {"magic": kind.name, "entries": entries}


def count(data):
    """{"magic": KIND, "count": N}: what crit info prints.

    N counts the entries a decode shows, less the head entry of kinds that
    have one (a pagemap's count is its number of page ranges)."""
    img = load(data, no_payload=True)
    kind = kinds.table().by_name[img["magic"]]
    n = len(img["entries"])
    if kind.head and not _is_ghost(kind):
        n = max(n - 1, 0)
    return {"magic": img["magic"], "count": n}


# ---------------------------------------------------------------- writing
def dump(img):
    """The bytes of the image described by img (as load returns it)."""
    with quiet_native_stderr():
        return _dump(img)


def _dump(img):
    if not isinstance(img, dict):
        raise CritError('expected a JSON object {"magic": ..., "entries": '
                        '[...]}')
    extra_keys = set(img) - {"magic", "entries"}
    if extra_keys:
        raise CritError("unknown top-level key%s: %s" %
                        ("s" if len(extra_keys) > 1 else "",
                         ", ".join(sorted(extra_keys))))
    name = img.get("magic")
    entries = img.get("entries")
    if not isinstance(name, str):
        raise CritError('missing "magic" (the image kind, e.g. "CORE")')
    if not isinstance(entries, list):
        raise CritError('missing "entries" list')
    table = kinds.table()
    kind = table.by_name.get(name)
    if kind is None or kind.is_raw:
        raise CritError("unknown magic %r" % name)
    out = []
    if kind.prefix is not None:
        out.append(_U32.pack(kind.prefix))
    out.append(_U32.pack(kind.magic))
    if _is_ghost(kind):
        _dump_ghost(kind, entries, out)
    else:
        _dump_entries(kind, entries, out)
    return b"".join(out)


def _entry_dict(e, where):
    if not isinstance(e, dict):
        raise CritError("%s: expected an object" % where)
    e = dict(e)
    return e, e.pop("extra", None)


def _pack(name, d, where):
    msg = convert.dict_to_message(d, schema.message_class(name)(), where)
    body = serialize(msg, where)
    return msg, _U32.pack(len(body)) + body


def _dump_entries(kind, entries, out):
    codec = payloads.codec_for(kind)
    ctx = _Ctx()
    for i, e in enumerate(entries):
        where = "entries[%d]" % i
        d, extra = _entry_dict(e, where)
        if extra is not None and codec is None:
            raise CritError("%s: %s entries carry no \"extra\" data" %
                            (where, kind.name))
        name = kind.head if (i == 0 and kind.head) else kind.entry
        msg, packed = _pack(name, d, where)
        out.append(packed)
        if codec is not None:
            # no "extra" is no data, which the codec checks against msg
            value = codec.empty if extra is None else extra
            out.append(codec.write(value, msg, where + ".extra", ctx))


def _dump_ghost(kind, entries, out):
    if not entries:
        return
    d, extra = _entry_dict(entries[0], "entries[0]")
    head, packed = _pack(kind.head, d, "entries[0]")
    out.append(packed)
    if not head.chunks:
        if len(entries) > 1:
            raise CritError("entries[1]: a ghost file without chunks has "
                            "one entry")
        if extra is not None:
            out.append(payloads.unb64(extra, "entries[0].extra"))
        return
    if extra is not None:
        raise CritError("entries[0]: the data of a chunked ghost file goes "
                        "with its chunks")
    for i in range(1, len(entries)):
        where = "entries[%d]" % i
        d, extra = _entry_dict(entries[i], where)
        chunk, packed = _pack(kind.entry, d, where)
        out.append(packed)
        body = payloads.unb64(extra if extra is not None else "",
                              where + ".extra")
        if len(body) != chunk.len:
            raise CritError("%s: %d bytes of data, len says %d" %
                            (where, len(body), chunk.len))
        out.append(body)
