"""Raw data that follows some entries inside an image file.

Most image entries are a size and a protobuf message.  A few kinds put
bytes right after the message whose length the message itself gives (the
contents of a pipe, the queues of a TCP socket, ...).  crit shows them under
the key "extra" of the entry:

Which kinds have a payload, and its length, come from the "extra=" flag of
their row in images/kinds.def:

  extra=F[+G]   F (+ G) bytes: base64 text; TCP_STREAM's two queues are
                shown apart, as {"inq": b64, "outq": b64}
  extra=@ipc_shm  size bytes, padded to 4: base64
  extra=@ipc_sem  nsems u16 values, padded to 8 bytes: a list of numbers
  extra=@ipc_msg  qnum times (u32 size, ipc_msg, msize bytes padded to 8):
                  [msg, b64, msg, b64, ...]
  extra=@ghost    handled in image.py (its layout depends on the first entry)

base64 text is what Python's base64.encodebytes writes (a newline after
every 76 characters and at the end).

Each codec's read(data, pos, msg, ctx) takes the bytes after the message at
data[pos:] and returns (value for "extra", new offset, size of the data
shown by show --nopl); write(value, msg, where, ctx) returns the bytes to
append after the message.  ctx parses and builds the helper messages.  A short buffer
or a value that does not match the lengths in the message is a CritError.
"""

import base64
import binascii
import struct

from .errors import CritError
from . import convert


def b64(raw):
    return base64.encodebytes(raw).decode("ascii")


def unb64(text, where):
    if not isinstance(text, str):
        raise CritError("%s: expected base64 text" % where)
    try:
        return base64.decodebytes(text.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error, ValueError) as e:
        raise CritError("%s: bad base64 text: %s" % (where, e)) from None


def round_up(n, to):
    return (n + to - 1) // to * to


def take(data, pos, n, what):
    """data[pos:pos+n], or a CritError naming what was cut short."""
    end = pos + n
    if end > len(data):
        raise CritError("%s truncated: %d bytes expected, %d left" %
                        (what, n, len(data) - pos))
    return data[pos:end], end


class Blob:
    """Bytes whose length is a function of the message, maybe padded."""

    empty = ""

    def __init__(self, length, align=1):
        self.length = length
        self.align = align

    def read(self, data, pos, msg, ctx):
        n = self.length(msg)
        raw, end = take(data, pos, n, "payload")
        pad = round_up(n, self.align) - n
        if pad:
            _, end = take(data, end, pad, "payload padding")
        return b64(raw), end, n

    def write(self, value, msg, where, ctx):
        raw = unb64(value, where)
        n = self.length(msg)
        if len(raw) != n:
            raise CritError("%s: %d bytes of data, but the entry says %d" %
                            (where, len(raw), n))
        return raw + b"\0" * (round_up(n, self.align) - n)


class Semaphores:
    """The values of a SysV semaphore set, u16 each, padded to 8 bytes."""

    empty = []

    def read(self, data, pos, msg, ctx):
        n = 2 * msg.nsems
        raw, end = take(data, pos, n, "semaphore values")
        _, end = take(data, end, round_up(n, 8) - n, "semaphore padding")
        return list(struct.unpack("=%dH" % msg.nsems, raw)), end, n

    def write(self, value, msg, where, ctx):
        if not isinstance(value, list) or len(value) != msg.nsems:
            raise CritError("%s: expected a list of %d semaphore values" %
                            (where, msg.nsems))
        try:
            raw = struct.pack("=%dH" % len(value), *value)
        except struct.error as e:
            raise CritError("%s: %s" % (where, e)) from None
        return raw + b"\0" * (round_up(len(raw), 8) - len(raw))


class MessageQueue:
    """The messages of a SysV queue: each a sized ipc_msg then its text."""

    empty = []

    def read(self, data, pos, msg, ctx):
        out = []
        total = 0
        for i in range(msg.qnum):
            raw, pos = take(data, pos, 4, "message %d size" % i)
            (n,) = struct.unpack("<I", raw)
            raw, pos = take(data, pos, n, "message %d" % i)
            m = ctx.parse("ipc_msg", raw)
            text, pos = take(data, pos, m.msize, "message %d text" % i)
            _, pos = take(data, pos, round_up(m.msize, 8) - m.msize,
                          "message %d padding" % i)
            total += n + m.msize
            out.append(convert.message_to_dict(m))
            out.append(b64(text))
        return out, pos, total

    def write(self, value, msg, where, ctx):
        if not isinstance(value, list) or len(value) != 2 * msg.qnum:
            raise CritError("%s: expected [message, text, ...] pairs for "
                            "the %d messages of qnum" % (where, msg.qnum))
        chunks = []
        for i in range(0, len(value), 2):
            m = ctx.build("ipc_msg", value[i], "%s[%d]" % (where, i))
            body = ctx.serialize(m, "%s[%d]" % (where, i))
            text = unb64(value[i + 1], "%s[%d]" % (where, i + 1))
            if len(text) < m.msize:
                raise CritError("%s[%d]: %d bytes of text, msize says %d" %
                                (where, i + 1, len(text), m.msize))
            chunks.append(struct.pack("<I", len(body)))
            chunks.append(body)
            chunks.append(text[:m.msize])
            chunks.append(b"\0" * (round_up(m.msize, 8) - m.msize))
        return b"".join(chunks)


class SplitBlob:
    """Bytes whose parts (one per length field) are shown under own keys."""

    def __init__(self, fields, keys):
        self.fields = fields
        self.keys = keys
        self.empty = {k: "" for k in keys}

    def read(self, data, pos, msg, ctx):
        out = {}
        total = 0
        for field, key in zip(self.fields, self.keys):
            n = getattr(msg, field)
            raw, pos = take(data, pos, n, key)
            out[key] = b64(raw)
            total += n
        return out, pos, total

    def write(self, value, msg, where, ctx):
        if not isinstance(value, dict) or set(value) != set(self.keys):
            raise CritError("%s: expected an object with keys %s" %
                            (where, ", ".join(self.keys)))
        chunks = []
        for field, key in zip(self.fields, self.keys):
            raw = unb64(value[key], "%s.%s" % (where, key))
            if len(raw) != getattr(msg, field):
                raise CritError("%s.%s: %d bytes of data, but %s says %d" %
                                (where, key, len(raw), field,
                                 getattr(msg, field)))
            chunks.append(raw)
        return b"".join(chunks)


# crit has always shown the two queues of a TCP socket apart; every other
# "extra=F+G" payload is one piece of base64.
_SPLIT_KEYS = {"TCP_STREAM": ("inq", "outq")}

_HANDLERS = {
    "ipc_shm": Blob(lambda m: m.size, 4),
    "ipc_sem": Semaphores(),
    "ipc_msg": MessageQueue(),
}


def _sum_of(fields):
    return lambda m: sum(getattr(m, f) for f in fields)


_codecs = {}


def codec_for(kind):
    """The payload codec of kind (from its extra= flag), or None."""
    if kind.extra is None:
        return None
    c = _codecs.get(kind.name)
    if c is None:
        how, what = kind.extra
        if how == "handler":
            c = _HANDLERS.get(what)
            if c is None:
                raise CritError("kind %s: no payload handler @%s in crit" %
                                (kind.name, what))
        elif kind.name in _SPLIT_KEYS:
            c = SplitBlob(what, _SPLIT_KEYS[kind.name])
        else:
            c = Blob(_sum_of(what))
        _codecs[kind.name] = c
    return c


def human_size(n):
    """Sizes as crit show --nopl writes them: 0B, 12KB, 1.5MB."""
    for unit in ("", "K", "M", "G", "T", "P", "E", "Z"):
        if n < 1024.0:
            if int(n) == n:
                return "%d%sB" % (n, unit)
            return "%.1f%sB" % (n, unit)
        n /= 1024.0
    return "%.1fYB" % n
