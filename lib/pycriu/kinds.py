"""The table of image kinds, read from images/kinds.def.

kinds.def is shared with the C side of the project (see its header comment
for the format): every kind's name, magic, file name pattern, messages and
layout flags live there and nowhere else.  This module parses it once per
run into Kind objects, indexed by name and by magic.
"""

import os
import re

from .errors import CritError
from . import schema


class Kind:
    """One row of kinds.def."""

    def __init__(self, name, magic, pattern, head, entry, flags, prefix):
        self.name = name
        self.magic = magic
        self.pattern = pattern        # printf-like file name, or None
        self.head = head              # message of the first entry, or None
        self.entry = entry            # message of the entries, or None
        self.flags = flags            # {flag: value or True}
        self.is_raw = "raw" in flags
        self.alias_of = flags.get("alias")
        # the word written before the kind magic: None for "nocommon"
        self.prefix = prefix
        extra = flags.get("extra")
        # payload after each entry: ("fields", [F, ...]) or ("handler", H)
        if extra is None:
            self.extra = None
        elif extra.startswith("@"):
            self.extra = ("handler", extra[1:])
        else:
            self.extra = ("fields", extra.split("+"))

    def file_name(self, ident=None):
        """The file name of this kind in an images dir, for id ident."""
        if self.pattern is None:
            raise CritError("image kind %s has no fixed file name" % self.name)
        if ident is None:
            return self.pattern
        return re.sub(r"%l?[uxds]", lambda m: ("%x" if m.group(0).endswith(
            "x") else "%s") % ident, self.pattern, count=1)

    def matches_file(self, path):
        if self.pattern is None:
            return False
        rx = re.escape(self.pattern)
        rx = re.sub(r"%l?[ud]", r"[0-9]+", rx)
        rx = rx.replace("%x", "[0-9a-f]+").replace("%s", ".+")
        return re.fullmatch(rx, os.path.basename(path)) is not None


class Table:
    def __init__(self):
        self.common = None
        self.service = None
        self.kinds = []
        self.by_name = {}
        self.by_magic = {}


def _parse(path):
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise CritError("cannot read the kinds table %s: %s" %
                        (path, e.strerror)) from None
    t = Table()
    rows = []
    for no, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()

        def bad(why):
            return CritError("%s:%d: %s" % (path, no, why))

        try:
            if words[0] in ("@COMMON", "@SERVICE"):
                if len(words) != 2:
                    raise bad("expected: %s MAGIC" % words[0])
                value = int(words[1], 16)
                if words[0] == "@COMMON":
                    t.common = value
                else:
                    t.service = value
                continue
            if len(words) != 6:
                raise bad("expected 6 fields, found %d" % len(words))
            name, magic, pattern, head, entry, flagtext = words
            flags = {}
            if flagtext != "-":
                for fl in flagtext.split(","):
                    key, eq, value = fl.partition("=")
                    flags[key] = value if eq else True
            rows.append((name, int(magic, 16),
                         None if pattern == "-" else pattern,
                         None if head == "-" else head,
                         None if entry == "-" else entry, flags))
        except ValueError:
            raise bad("bad number") from None
    if t.common is None or t.service is None:
        raise CritError("%s: @COMMON or @SERVICE line missing" % path)
    for name, magic, pattern, head, entry, flags in rows:
        if "nocommon" in flags or "raw" in flags:
            prefix = None
        elif "service" in flags:
            prefix = t.service
        else:
            prefix = t.common
        k = Kind(name, magic, pattern, head, entry, flags, prefix)
        t.kinds.append(k)
        t.by_name[name] = k
    # A magic names the kind that is not an alias of another.
    for k in t.kinds:
        if not k.is_raw and k.alias_of is None:
            t.by_magic.setdefault(k.magic, k)
    return t


_table = None


def table():
    global _table
    if _table is None:
        _table = _parse(os.path.join(schema.proto_dir(), "kinds.def"))
    return _table


def raw_kind_of(path):
    """The raw kind whose file name pattern matches path, or None."""
    for k in table().kinds:
        if k.is_raw and k.matches_file(path):
            return k
    return None
