"""Protobuf message <-> JSON-ready dict, the way crit has always shown images.

The dict of a message holds only the fields that are present (proto2
presence), in field-number order, under their .proto names.  Values:

  * integers are JSON numbers, booleans JSON booleans, strings strings;
  * enums are the name of their value;
  * bytes are base64 text as Python's base64.encodebytes writes it (a
    newline after every 76 characters and at the end), except fields with
    the option (criu).conv = "unix_name", which use quoted-printable text;
  * sub-messages are nested dicts, repeated fields lists.

With "pretty" on, integer fields also honour the custom options of
images/opts.proto:

  * (criu).hex: "0x1f" text; a sub-message reached through a hex field
    shows all its integers in hex too;
  * (criu).dev: "major:minor", from the kernel's dev_t encoding (20 minor
    bits), or from the C library's one when (criu).odev is set too;
  * (criu).flags = "MAP": the names of the set bits joined by " | ", with
    bits the map does not know appended as one hex number ("" for zero);
    a map name crit does not know shows the number in hex;
  * (criu).dict = "TABLE": a name for the value where the table has one;
  * (criu).ipadd on a repeated field: one IPv4 (1 word) or IPv6 (4 words)
    address in text, as a one-element list.

The reverse direction accepts both forms, so the output of decode with or
without --pretty encodes back to the same bytes.  Unlike old crit it
refuses keys that are not fields of the message instead of dropping them.
"""

import base64
import binascii
import ipaddress
import os
import quopri
import struct

from google.protobuf.descriptor import FieldDescriptor as FD

from .errors import CritError

_INT_TYPES = frozenset((
    FD.TYPE_INT32, FD.TYPE_INT64, FD.TYPE_UINT32, FD.TYPE_UINT64,
    FD.TYPE_SINT32, FD.TYPE_SINT64, FD.TYPE_FIXED32, FD.TYPE_FIXED64,
    FD.TYPE_SFIXED32, FD.TYPE_SFIXED64,
))

# ---------------------------------------------------------------- tables
# Bit names for (criu).flags, by map name.  A value prints as the names of
# its set bits in ascending bit order, which is how these lists are sorted.
FLAG_MAPS = {
    "mmap.prot": [
        ("PROT_READ", 0x1),
        ("PROT_WRITE", 0x2),
        ("PROT_EXEC", 0x4),
    ],
    "mmap.flags": [
        ("MAP_SHARED", 0x1),
        ("MAP_PRIVATE", 0x2),
        ("MAP_DROPPABLE", 0x8),
        ("MAP_ANON", 0x20),
        ("MAP_GROWSDOWN", 0x100),
    ],
    # criu's own VMA_* status bits (criu/include/image.h)
    "mmap.status": [
        ("VMA_AREA_REGULAR", 1 << 0),
        ("VMA_AREA_STACK", 1 << 1),
        ("VMA_AREA_VSYSCALL", 1 << 2),
        ("VMA_AREA_VDSO", 1 << 3),
        ("VMA_AREA_HEAP", 1 << 5),
        ("VMA_FILE_PRIVATE", 1 << 6),
        ("VMA_FILE_SHARED", 1 << 7),
        ("VMA_ANON_SHARED", 1 << 8),
        ("VMA_ANON_PRIVATE", 1 << 9),
        ("VMA_AREA_SYSVIPC", 1 << 10),
        ("VMA_AREA_SOCKET", 1 << 11),
        ("VMA_AREA_VVAR", 1 << 12),
        ("VMA_AREA_AIORING", 1 << 13),
        ("VMA_AREA_MEMFD", 1 << 14),
        ("VMA_AREA_SHSTK", 1 << 15),
        ("VMA_AREA_UPROBES", 1 << 17),
        ("VMA_UNSUPP", 1 << 31),
    ],
    # open(2) flags of a file, x86 values
    "rfile.flags": [
        ("O_WRONLY", 0o1),
        ("O_RDWR", 0o2),
        ("O_CREAT", 0o100),
        ("O_EXCL", 0o200),
        ("O_NOCTTY", 0o400),
        ("O_TRUNC", 0o1000),
        ("O_APPEND", 0o2000),
        ("O_NONBLOCK", 0o4000),
        ("O_DSYNC", 0o10000),
        ("FASYNC", 0o20000),
        ("O_DIRECT", 0o40000),
        ("O_LARGEFILE", 0o100000),
        ("O_DIRECTORY", 0o200000),
        ("O_NOFOLLOW", 0o400000),
        ("O_NOATIME", 0o1000000),
        ("O_CLOEXEC", 0o2000000),
    ],
    "pmap.flags": [
        ("PE_PARENT", 1 << 0),
        ("PE_LAZY", 1 << 1),
        ("PE_PRESENT", 1 << 2),
    ],
    "seals.flags": [
        ("F_SEAL_SEAL", 0x1),
        ("F_SEAL_SHRINK", 0x2),
        ("F_SEAL_GROW", 0x4),
        ("F_SEAL_WRITE", 0x8),
        ("F_SEAL_FUTURE_WRITE", 0x10),
    ],
}

# Names for (criu).dict = "TABLE", then by field name, then by value.
DICT_MAPS = {
    "gen": {
        "task_state": {1: "Alive", 2: "Dead", 3: "Stopped", 6: "Zombie"},
    },
    "sk": {
        "family": {1: "UNIX", 2: "INET", 10: "INET6", 16: "NETLINK",
                   17: "PACKET"},
        "type": {1: "STREAM", 2: "DGRAM", 3: "RAW", 5: "SEQPACKET",
                 10: "PACKET"},
        "state": {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV",
                  4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
                  7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK",
                  10: "LISTEN"},
        "proto": {0: "IP", 6: "TCP", 17: "UDP", 136: "UDPLITE"},
    },
}

_FLAG_NAMES = {m: dict(bits) for m, bits in FLAG_MAPS.items()}
_FLAG_ALL = {m: sum(v for _, v in bits) for m, bits in FLAG_MAPS.items()}
_DICT_REVERSE = {
    t: {f: {name: num for num, name in vals.items()}
        for f, vals in fields.items()}
    for t, fields in DICT_MAPS.items()
}

KERN_MINORBITS = 20

# ---------------------------------------------------------------- options
_criu_ext = None


def use_options_extension(ext):
    """Tell the converter which extension carries (criu) options (opts_pb2.criu)."""
    global _criu_ext
    _criu_ext = ext
    _opts_cache.clear()


class FieldOpts:
    """The (criu) options of one field, read once."""

    __slots__ = ("hex", "flags", "dev", "odev", "ipadd", "dict", "conv",
                 "plain")

    def __init__(self, o=None):
        self.hex = bool(o and o.hex)
        self.flags = o.flags if o else ""
        self.dev = bool(o and o.dev)
        self.odev = bool(o and o.odev)
        self.ipadd = bool(o and o.ipadd)
        self.dict = o.dict if o else ""
        self.conv = o.conv if o else ""
        self.plain = not (self.hex or self.flags or self.dev or self.ipadd or
                          self.dict or self.conv)


_NO_OPTS = FieldOpts()
_opts_cache = {}


def field_opts(fd):
    o = _opts_cache.get(fd)
    if o is None:
        o = _NO_OPTS
        if fd.has_options and _criu_ext is not None:
            fo = fd.GetOptions()
            if fo.HasExtension(_criu_ext):
                o = FieldOpts(fo.Extensions[_criu_ext])
        _opts_cache[fd] = o
    return o


# ---------------------------------------------------------------- to dict
def flags_to_text(value, mapname):
    names = []
    for name, bit in FLAG_MAPS[mapname]:
        if value & bit:
            names.append(name)
    rest = value & ~_FLAG_ALL[mapname]
    if rest:
        names.append("0x%x" % rest)
    return " | ".join(names)


def dev_to_text(value, old_style):
    if old_style:
        return "%d:%d" % (os.major(value), os.minor(value))
    return "%d:%d" % (value >> KERN_MINORBITS,
                      value & ((1 << KERN_MINORBITS) - 1))


def bytes_to_text(value, conv):
    if conv == "unix_name":
        return quopri.encodestring(value).decode("ascii")
    return base64.encodebytes(value).decode("ascii")


def _pretty_int(fd, o, value, hexed):
    if hexed or o.hex:
        return "0x%x" % value
    if o.dev:
        return dev_to_text(value, o.odev)
    if o.flags:
        if o.flags in FLAG_MAPS:
            return flags_to_text(value, o.flags)
        return "0x%x" % value
    if o.dict:
        return DICT_MAPS.get(o.dict, {}).get(fd.name, {}).get(value, value)
    return value


def _ip_words_to_text(words):
    raw = b"".join(struct.pack("=I", w) for w in words)
    if len(words) == 1:
        return ipaddress.IPv4Address(raw).compressed
    return ipaddress.IPv6Address(raw).compressed


def _string(value):
    # A proto2 string field holding bytes that are not UTF-8 comes back
    # from the C++ backend as bytes; keep them visible rather than fail.
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def _scalar(fd, o, value, pretty, hexed):
    t = fd.type
    if t in _INT_TYPES:
        if pretty and (hexed or not o.plain):
            return _pretty_int(fd, o, value, hexed)
        return value
    if t == FD.TYPE_ENUM:
        ev = fd.enum_type.values_by_number.get(value)
        return ev.name if ev is not None else value
    if t == FD.TYPE_BYTES:
        return bytes_to_text(value, o.conv)
    if t == FD.TYPE_STRING:
        return _string(value)
    if t == FD.TYPE_BOOL:
        return value
    raise CritError("field %s has a type crit cannot show (%d)" %
                    (fd.full_name, t))


def message_to_dict(msg, pretty=False, hexed=False):
    """The dict crit shows for msg (see the module comment)."""
    out = {}
    for fd, value in msg.ListFields():
        o = field_opts(fd)
        sub_hex = hexed or o.hex
        if fd.label == FD.LABEL_REPEATED:
            if fd.type == FD.TYPE_MESSAGE:
                out[fd.name] = [message_to_dict(v, pretty, sub_hex)
                                for v in value]
            elif pretty and o.ipadd and len(value) in (1, 4):
                out[fd.name] = [_ip_words_to_text(value)]
            elif fd.type in _INT_TYPES and not (pretty and (sub_hex or
                                                            not o.plain)):
                out[fd.name] = list(value)
            else:
                out[fd.name] = [_scalar(fd, o, v, pretty, sub_hex)
                                for v in value]
        elif fd.type == FD.TYPE_MESSAGE:
            out[fd.name] = message_to_dict(value, pretty, sub_hex)
        else:
            out[fd.name] = _scalar(fd, o, value, pretty, sub_hex)
    return out


# ---------------------------------------------------------------- from dict
def _where(path):
    return path or "(top)"


def flags_from_text(text, mapname, path):
    total = 0
    if text.strip() == "":
        return 0
    names = _FLAG_NAMES[mapname]
    for part in text.split("|"):
        part = part.strip()
        if part in names:
            total |= names[part]
            continue
        try:
            total |= int(part, 0)
        except ValueError:
            raise CritError("%s: unknown flag %r for %s" %
                            (_where(path), part, mapname)) from None
    return total


def dev_from_text(text, old_style, path):
    try:
        major, minor = (int(x) for x in text.split(":"))
        if old_style:
            return os.makedev(major, minor)
        if minor >= (1 << KERN_MINORBITS) or major < 0 or minor < 0:
            raise ValueError
        return (major << KERN_MINORBITS) | minor
    except (ValueError, OverflowError):
        raise CritError("%s: %r is not a device number (major:minor)" %
                        (_where(path), text)) from None


def bytes_from_text(text, conv, path):
    if not isinstance(text, str):
        raise CritError("%s: expected a string, got %s" %
                        (_where(path), _json_type(text)))
    try:
        raw = text.encode("ascii")
        if conv == "unix_name":
            return quopri.decodestring(raw)
        return base64.decodebytes(raw)
    except (UnicodeEncodeError, binascii.Error, ValueError) as e:
        raise CritError("%s: bad %s text: %s" %
                        (_where(path), "quoted-printable" if conv else
                         "base64", e)) from None


def _json_type(v):
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    if v is None:
        return "null"
    return type(v).__name__


def _int_from_json(fd, o, value, path):
    if isinstance(value, bool):
        raise CritError("%s: expected a number, got a boolean" % _where(path))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CritError("%s: expected a whole number, got %r" %
                        (_where(path), value))
    if not isinstance(value, str):
        raise CritError("%s: expected a number, got %s" %
                        (_where(path), _json_type(value)))
    if o.dev:
        return dev_from_text(value, o.odev, path)
    if o.flags and o.flags in FLAG_MAPS:
        return flags_from_text(value, o.flags, path)
    if o.dict:
        num = _DICT_REVERSE.get(o.dict, {}).get(fd.name, {}).get(value)
        if num is not None:
            return num
    try:
        return int(value, 0)
    except ValueError:
        raise CritError("%s: %r is not a number" %
                        (_where(path), value)) from None


def _lookup(mapping, key):
    """mapping.get(key) for descriptor maps, which refuse some keys (a
    string that is not valid Unicode, a number out of range)."""
    try:
        return mapping.get(key)
    except (UnicodeError, TypeError, ValueError, OverflowError):
        return None


def _scalar_from_json(fd, o, value, path):
    t = fd.type
    if t in _INT_TYPES:
        return _int_from_json(fd, o, value, path)
    if t == FD.TYPE_ENUM:
        if isinstance(value, str):
            ev = _lookup(fd.enum_type.values_by_name, value)
        elif isinstance(value, int) and not isinstance(value, bool):
            ev = _lookup(fd.enum_type.values_by_number, value)
        else:
            ev = None
        if ev is None:
            raise CritError("%s: %r is not a value of enum %s" %
                            (_where(path), value, fd.enum_type.name))
        return ev.number
    if t == FD.TYPE_BYTES:
        return bytes_from_text(value, o.conv, path)
    if t == FD.TYPE_STRING:
        if not isinstance(value, str):
            raise CritError("%s: expected a string, got %s" %
                            (_where(path), _json_type(value)))
        return value
    if t == FD.TYPE_BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise CritError("%s: expected true or false, got %s" %
                        (_where(path), _json_type(value)))
    raise CritError("%s: field type %d is not supported" % (_where(path), t))


def _ip_words_from_text(text, path):
    try:
        packed = ipaddress.ip_address(text).packed
    except ValueError:
        raise CritError("%s: %r is not an IP address" %
                        (_where(path), text)) from None
    return [struct.unpack("=I", packed[i:i + 4])[0]
            for i in range(0, len(packed), 4)]


def _set(msg, fd, value, path):
    try:
        setattr(msg, fd.name, value)
    except (ValueError, TypeError) as e:
        raise CritError("%s: %s" % (_where(path), e)) from None


def _extend(container, values, path):
    try:
        container.extend(values)
    except (ValueError, TypeError) as e:
        raise CritError("%s: %s" % (_where(path), e)) from None


def dict_to_message(d, msg, path=""):
    """Fill msg from d (as message_to_dict makes it, pretty or not)."""
    if not isinstance(d, dict):
        raise CritError("%s: expected an object for %s, got %s" %
                        (_where(path), msg.DESCRIPTOR.name, _json_type(d)))
    fields = msg.DESCRIPTOR.fields_by_name
    for key, value in d.items():
        fd = _lookup(fields, key)
        fpath = "%s.%s" % (path, key) if path else key
        if fd is None:
            raise CritError("%s: unknown field %r in %s" %
                            (_where(path), key, msg.DESCRIPTOR.name))
        o = field_opts(fd)
        if fd.label == FD.LABEL_REPEATED:
            if not isinstance(value, list):
                raise CritError("%s: expected a list, got %s" %
                                (fpath, _json_type(value)))
            container = getattr(msg, key)
            if fd.type == FD.TYPE_MESSAGE:
                for i, v in enumerate(value):
                    dict_to_message(v, container.add(), "%s[%d]" % (fpath, i))
            elif o.ipadd and value and isinstance(value[0], str):
                if len(value) != 1:
                    raise CritError("%s: expected one address" % fpath)
                _extend(container, _ip_words_from_text(value[0], fpath),
                        fpath)
            else:
                _extend(container,
                        [_scalar_from_json(fd, o, v, "%s[%d]" % (fpath, i))
                         for i, v in enumerate(value)], fpath)
        elif fd.type == FD.TYPE_MESSAGE:
            sub = getattr(msg, key)
            sub.SetInParent()
            dict_to_message(value, sub, fpath)
        else:
            _set(msg, fd, _scalar_from_json(fd, o, value, fpath), fpath)
    return msg
