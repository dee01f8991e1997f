"""The file-object API of CRIU's pycriu.images, over pycriu.image.

Python scripts written for CRIU's bindings do

    import pycriu
    img = pycriu.images.load(open("core-1.img", "rb"))
    print(img["entries"][0]["tc"]["comm"])

and that works here too: load/loads turn an image into the dict crit
decode prints, dump/dumps turn such a dict back into bytes, info counts the
entries.  Failures raise CritError (pycriu.errors); a file that does not
start with a known magic raises MagicException, a CritError with the magic
in .magic, as CRIU's does.
"""

from .errors import CritError
from .image import UnknownMagic as MagicException
from . import image

__all__ = ["load", "loads", "dump", "dumps", "info", "CritError",
           "MagicException"]


def loads(data, pretty=False, no_payload=False):
    """The dict of the image in data (bytes)."""
    return image.load(bytes(data), pretty, no_payload)


def load(f, pretty=False, no_payload=False):
    """The dict of the image read from the binary file object f."""
    return loads(f.read(), pretty, no_payload)


def dumps(img):
    """The bytes of the image described by img."""
    return image.dump(img)


def dump(img, f):
    """Write the image described by img to the binary file object f."""
    f.write(dumps(img))


def info(f):
    """{"magic": KIND, "count": entries} of the image in file object f."""
    return image.count(f.read())
