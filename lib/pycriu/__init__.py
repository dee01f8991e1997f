"""pycriu: reading and writing CRIU images from Python.

  pycriu.images    CRIU's pycriu.images API: load(f), dump(img, f), info(f)
  pycriu.image     whole image files <-> {"magic": ..., "entries": [...]}
  pycriu.convert   one protobuf message <-> dict
  pycriu.payloads  the raw data after some entries
  pycriu.kinds     the kinds table (images/kinds.def)
  pycriu.schema    where the .proto files and generated modules are
  pycriu.explore   the summaries of `crit x`
  pycriu.cli       the crit command line

The generated schema modules are found through the source tree this
package sits in (see schema.py), so use it from there: put lib/ on
sys.path.
"""

from . import images  # pycriu.images.load(f), as in CRIU

__all__ = ["images"]
