"""The crit command line: decode, encode, show, info, x.

The commands, options and output are those of CRIU's crit, so scripts
written for it keep working:

  crit decode [-i IN] [-o OUT] [--pretty]   image -> JSON (stdin/stdout)
  crit encode [-i IN] [-o OUT]              JSON -> image (stdin/stdout)
  crit show IN [--nopl]                     decode --pretty to stdout
  crit info IN                              {"magic": ..., "count": N}
  crit x DIR ps|fds|mems|rss                summaries of a checkpoint

Every failure is one line on stderr, "crit: error: ...", naming the file,
and exit status 1 (2 for a bad command line, from argparse).  Set
CRIT_DEBUG=1 to get a Python traceback for failures crit did not expect.
"""

import argparse
import json
import os
import sys

from .errors import CritError
from . import explore, image, kinds, schema


def _version():
    try:
        with open(os.path.join(schema.top_dir(), "VERSION")) as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def _read_input(path):
    """(bytes, name for messages) of -i PATH, or of stdin."""
    if path is None or path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    try:
        with open(path, "rb") as f:
            return f.read(), path
    except OSError as e:
        raise CritError("cannot open %s: %s" % (path, e.strerror)) from None


def _write_output(path, payload):
    """Write str or bytes to -o PATH (created only now), or to stdout."""
    if path is None or path == "-":
        try:
            if isinstance(payload, str):
                sys.stdout.write(payload)
                sys.stdout.flush()
            else:
                sys.stdout.buffer.write(payload)
                sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise CritError("cannot write to standard output: %s" %
                            e.strerror) from None
        return
    try:
        if isinstance(payload, str):
            with open(path, "w", encoding="utf-8") as f:
                f.write(payload)
        else:
            with open(path, "wb") as f:
                f.write(payload)
    except OSError as e:
        raise CritError("cannot write %s: %s" % (path, e.strerror)) from None


def _image_error(err, name):
    """The error to report for image file name failing with err."""
    if isinstance(err, image.UnknownMagic):
        raw = kinds.raw_kind_of(name)
        if raw is not None:
            return CritError("%s: a raw %s image (plain data, no magic and "
                             "no entries): crit does not decode it" %
                             (name, raw.name))
    return CritError("%s: %s" % (name, err))


def cmd_decode(opts):
    data, name = _read_input(opts.input)
    try:
        img = image.load(data, opts.pretty, opts.nopl)
    except CritError as e:
        raise _image_error(e, name) from None
    text = json.dumps(img, indent=4 if opts.pretty else None)
    out = getattr(opts, "out", None)
    # Like crit always did: a newline ends the JSON on stdout, not in a file.
    if out is None or out == "-":
        text += "\n"
    _write_output(out, text)


def cmd_encode(opts):
    data, name = _read_input(opts.input)
    try:
        img = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CritError("%s: not JSON text (an image? encode expects the "
                        "JSON that decode prints)" % name) from None
    except ValueError as e:
        raise CritError("%s: not valid JSON: %s" % (name, e)) from None
    except RecursionError:
        raise CritError("%s: JSON nested too deeply" % name) from None
    try:
        raw = image.dump(img)
    except CritError as e:
        raise CritError("%s: %s" % (name, e)) from None
    _write_output(opts.out, raw)


def cmd_info(opts):
    data, name = _read_input(opts.input)
    try:
        res = image.count(data)
    except CritError as e:
        raise _image_error(e, name) from None
    _write_output(None, json.dumps(res, indent=4) + "\n")


def cmd_x(opts):
    lines = explore.explore(opts.dir, opts.what)
    _write_output(None, "".join(line + "\n" for line in lines))


def build_parser():
    p = argparse.ArgumentParser(
        prog="crit", description="CRiu Image Tool",
        formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(
        help="Use crit CMD --help for command-specific help")

    d = sub.add_parser("decode",
                       help="convert criu image from binary type to json")
    d.add_argument("--pretty", action="store_true",
                   help="Multiline with indents and some numerical fields "
                   "in field-specific format")
    d.add_argument("-i", "--in", dest="input",
                   help="criu image in binary format to be decoded "
                   "(stdin by default)")
    d.add_argument("-o", "--out",
                   help="where to put criu image in json format "
                   "(stdout by default)")
    d.set_defaults(func=cmd_decode, nopl=False)

    e = sub.add_parser("encode",
                       help="convert criu image from json type to binary")
    e.add_argument("-i", "--in", dest="input",
                   help="criu image in json format to be encoded "
                   "(stdin by default)")
    e.add_argument("-o", "--out",
                   help="where to put criu image in binary format "
                   "(stdout by default)")
    e.set_defaults(func=cmd_encode)

    i = sub.add_parser("info", help="show info about image")
    i.add_argument("input", metavar="in")
    i.set_defaults(func=cmd_info)

    x = sub.add_parser("x", help="explore image dir")
    x.add_argument("dir")
    x.add_argument("what", choices=["ps", "fds", "mems", "rss"])
    x.set_defaults(func=cmd_x)

    s = sub.add_parser("show",
                       help="convert criu image from binary to "
                       "human-readable json")
    s.add_argument("input", metavar="in")
    s.add_argument("--nopl", action="store_true",
                   help="do not show entry payload (if exists)")
    s.set_defaults(func=cmd_decode, pretty=True, out=None)
    return p


def _fail(msg):
    sys.stderr.write("crit: error: %s\n" % msg)
    return 1


def main(argv=None):
    parser = build_parser()
    opts = parser.parse_args(argv)
    if not hasattr(opts, "func"):
        sys.stderr.write(parser.format_usage())
        return _fail("too few arguments")
    try:
        opts.func(opts)
    except CritError as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (crit show ... | head): not an error.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return 0
    except MemoryError:
        return _fail("out of memory")
    except Exception as e:  # a bug in crit: still one line, unless asked
        if os.environ.get("CRIT_DEBUG"):
            raise
        return _fail("internal error: %s: %s (CRIT_DEBUG=1 shows where)" %
                     (type(e).__name__, e))
    return 0
