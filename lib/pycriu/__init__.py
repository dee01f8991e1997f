"""pycriu: reading and writing CRIU images from Python.

  pycriu.image     whole image files <-> {"magic": ..., "entries": [...]}
  pycriu.convert   one protobuf message <-> dict
  pycriu.payloads  the raw data after some entries
  pycriu.kinds     the kinds table (images/kinds.def)
  pycriu.schema    where the .proto files and generated modules are
  pycriu.explore   the summaries of `crit x`
  pycriu.cli       the crit command line
"""
