"""Where crit finds the image schema, and the message classes it defines.

The source tree holds images/*.proto and images/kinds.def; `make` turns
each proto into a flat Python module $BUILD/py/<name>_pb2.py (BUILD is
"build" under the top of the tree unless the environment says otherwise).
Modules are imported only when a message of theirs is needed, which keeps a
decode to the two or three modules its image uses.

Message names are the .proto names (e.g. "pagemap_entry"); which module
defines a message is learned from the top-level "message" lines of the
.proto files, so nothing here lists the schema by hand.
"""

import glob
import importlib
import os
import re
import sys

from .errors import CritError
from . import convert

_TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))


def top_dir():
    """The top of the source tree (lib/pycriu/ is two levels below it)."""
    return os.environ.get("CRIT_TOP", _TOP)


def proto_dir():
    return os.path.join(top_dir(), "images")


def py_dir():
    build = os.environ.get("BUILD") or "build"
    if not os.path.isabs(build):
        build = os.path.join(top_dir(), build)
    return os.path.join(build, "py")


_MESSAGE_LINE = re.compile(r"^message\s+(\w+)", re.M)
_index = None
_classes = {}
_ready = False


def _module_name(proto_path):
    stem = os.path.basename(proto_path)[:-len(".proto")]
    return re.sub(r"[^0-9A-Za-z_]", "_", stem) + "_pb2"


def _message_index():
    global _index
    if _index is None:
        _index = {}
        for path in sorted(glob.glob(os.path.join(proto_dir(), "*.proto"))):
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise CritError("cannot read %s: %s" % (path, e.strerror))
            for name in _MESSAGE_LINE.findall(text):
                _index.setdefault(name, _module_name(path))
    return _index


def _import(module):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise CritError("cannot load the generated schema module %s from %s "
                        "(%s); run make first" % (module, py_dir(), e))


def _setup():
    global _ready
    if _ready:
        return
    d = py_dir()
    if not os.path.isdir(d):
        raise CritError("generated schema modules not found in %s; "
                        "run make first" % d)
    if d not in sys.path:
        sys.path.insert(0, d)
    opts = _import("opts_pb2")
    convert.use_options_extension(opts.criu)
    _ready = True


def message_class(name):
    """The generated class of the message called name in the .proto files."""
    cls = _classes.get(name)
    if cls is not None:
        return cls
    _setup()
    module = _message_index().get(name)
    if module is None:
        raise CritError("message %s is not defined in %s/*.proto" %
                        (name, proto_dir()))
    cls = getattr(_import(module), name, None)
    if cls is None:
        raise CritError("module %s has no message %s; rebuild with make" %
                        (module, name))
    _classes[name] = cls
    return cls
