"""crit x DIR ps|fds|mems|rss: short text summaries of a checkpoint.

Each summary walks the process tree of pstree.img and, per task, reads the
images it needs (decoded without --pretty, so numbers are numbers).  The
layout of every line is the one crit has always printed, trailing blanks
included, because scripts read it:

  ps    PID, PGID, SID (7 columns each) and the command, indented 4 per
        level of the tree
  fds   each descriptor ("%7d: what"), then cwd and root
  mems  the exe file, then one line per VMA: range, rwx, and what it maps
  rss   each pagemap range next to the VMAs it covers ("~" for a VMA
        already shown on the line above)

What a descriptor or mapping refers to is found in files.img (or, for old
checkpoints, in the per-kind images reg-files.img, pipes.img, unixsk.img).
"""

import os

from .errors import CritError
from . import image, kinds

# VMA status bits (criu's VMA_* values, see convert.FLAG_MAPS["mmap.status"])
_VMA_AREA_REGULAR = 1 << 0
_VMA_AREA_STACK = 1 << 1
_VMA_AREA_VSYSCALL = 1 << 2
_VMA_AREA_VDSO = 1 << 3
_VMA_FILE_PRIVATE = 1 << 6
_VMA_FILE_SHARED = 1 << 7
_VMA_ANON_SHARED = 1 << 8
_VMA_AREA_SYSVIPC = 1 << 10
_VMA_AREA_SOCKET = 1 << 11
_MAP_GROWSDOWN = 0x100
_PAGE_SHIFT = 12


class ImageDir:
    """The images of one checkpoint directory, each decoded once."""

    def __init__(self, path):
        if not os.path.isdir(path):
            raise CritError("%s: not a directory" % path)
        self.path = path
        self._cache = {}

    def path_of(self, kind, ident=None):
        return os.path.join(self.path,
                            kinds.table().by_name[kind].file_name(ident))

    def entries(self, kind, ident=None, optional=False):
        """The entries of the kind's image (for id ident), as dicts."""
        path = self.path_of(kind, ident)
        if path in self._cache:
            return self._cache[path]
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            if optional:
                self._cache[path] = None
                return None
            raise CritError("cannot read %s: %s" % (path, e.strerror))
        try:
            img = image.load(data)
        except CritError as e:
            raise CritError("%s: %s" % (path, e)) from None
        if img["magic"] != kind:
            raise CritError("%s: a %s image, %s expected" %
                            (path, img["magic"], kind))
        self._cache[path] = img["entries"]
        return img["entries"]

    def first(self, kind, ident=None):
        ents = self.entries(kind, ident)
        if not ents:
            raise CritError("%s: no entry" % self.path_of(kind, ident))
        return ents[0]


def _task_id(p, what):
    """A task's pid/pgid/sid, from the old field or the ns_ list."""
    if what in p:
        return p[what]
    ns = p.get("ns_" + what)
    if ns:
        return ns[0]
    raise CritError("pstree entry without %s" % what)


def _tasks(d):
    return [(_task_id(p, "pid"), p) for p in d.entries("PSTREE")]


class FileNames:
    """What a file id refers to, as the fds/mems/rss summaries name it."""

    # type in fdinfo -> (field in a files.img entry, separate kind, namer)
    def __init__(self, d):
        self.d = d
        self._files = None
        self._cache = {}
        self._types = {
            "REG": ("reg", "REG_FILES", self._reg),
            "PIPE": ("pipe", "PIPES", self._pipe),
            "UNIXSK": ("usk", "UNIXSK", self._unix),
        }

    @staticmethod
    def _reg(e):
        return e and e.get("name") or "unknown path"

    @staticmethod
    def _pipe(e):
        return "pipe[%d]" % e["pipe_id"] if e else "pipe[?]"

    @staticmethod
    def _unix(e):
        if not e:
            return "unix[?]"
        name = " %s" % e["name"] if e.get("name") else ""
        return "unix[%d (%d)%s]" % (e["ino"], e["peer"], name)

    def _files_entries(self):
        if self._files is None:
            try:
                self._files = self.d.entries("FILES", optional=True) or []
            except CritError:
                self._files = []
        return self._files

    def _lookup(self, field, kind, fid):
        files = self._files_entries()
        for f in files:
            if f.get("id") == fid:
                return f.get(field)
        for f in self.d.entries(kind, optional=True) or []:
            if f.get("id") == fid:
                return f
        return None

    def describe(self, ftype, fid):
        key = (ftype, fid)
        s = self._cache.get(key)
        if s is None:
            t = self._types.get(ftype)
            if t is None:
                s = "%s.%d" % (ftype, fid)
            else:
                field, kind, namer = t
                s = namer(self._lookup(field, kind, fid))
            self._cache[key] = s
        return s


def ps(d):
    tasks = {}
    order = []
    for pid, p in _tasks(d):
        core = d.first("CORE", pid)
        comm = core.get("tc", {}).get("comm", "")
        tasks[pid] = (p, comm, [])
        order.append(pid)
    roots = []
    for pid in order:
        p = tasks[pid][0]
        parent = tasks.get(p.get("ppid", 0))
        if p.get("ppid", 0) == 0 or parent is None:
            roots.append(pid)
        else:
            parent[2].append(pid)
    out = ["%7s%7s%7s   %s" % ("PID", "PGID", "SID", "COMM")]

    seen = set()

    def show(pid, depth):
        if pid in seen:  # a damaged tree with a loop
            return
        seen.add(pid)
        p, comm, kids = tasks[pid]
        out.append("%7d%7d%7d   %s%s" % (pid, _task_id(p, "pgid"),
                                         _task_id(p, "sid"), "    " * depth,
                                         comm))
        for k in kids:
            show(k, depth + 1)

    for r in roots:
        show(r, 0)
    for pid in order:  # tasks a damaged tree leaves out of reach
        show(pid, 0)
    return out


def fds(d):
    names = FileNames(d)
    out = []
    for pid, _ in _tasks(d):
        files_id = d.first("IDS", pid).get("files_id")
        out.append("%d" % pid)
        for fd in d.entries("FDINFO", files_id):
            out.append("\t%7d: %s" % (fd["fd"], names.describe(fd["type"],
                                                                fd["id"])))
        fs = d.first("FS", pid)
        out.append("\t%7s: %s" % ("cwd", names.describe("REG", fs["cwd_id"])))
        out.append("\t%7s: %s" % ("root",
                                  names.describe("REG", fs["root_id"])))
    return out


class _ShmIds:
    """Small numbers for shared-memory ids, in order of first sight."""

    def __init__(self):
        self._ids = {}

    def get(self, key):
        if key not in self._ids:
            self._ids[key] = len(self._ids) + 1
        return self._ids[key]


def _vma_what(vma, names, shm):
    st = vma.get("status", 0)
    if st & _VMA_AREA_SYSVIPC:
        what = " ips[%x]" % shm.get(vma.get("shmid"))
    elif st & _VMA_ANON_SHARED:
        what = " shmem[%x]" % shm.get(vma.get("shmid"))
    elif st & _VMA_AREA_SOCKET:
        what = " packet[%x]" % shm.get(vma.get("shmid"))
    elif st & (_VMA_FILE_PRIVATE | _VMA_FILE_SHARED):
        what = " " + names.describe("REG", vma.get("shmid"))
        if vma.get("pgoff"):
            what += " + %#x" % vma["pgoff"]
        if st & _VMA_FILE_SHARED:
            what += " (s)"
    elif st & _VMA_AREA_STACK:
        what = " [stack]"
    elif st & _VMA_AREA_VSYSCALL:
        what = " [vsyscall]"
    elif st & _VMA_AREA_VDSO:
        what = " [vdso]"
    elif vma.get("flags", 0) & _MAP_GROWSDOWN:
        what = " [stack?]"
    else:
        what = ""
    if not st & _VMA_AREA_REGULAR:
        what += " *"
    return what


def mems(d):
    names = FileNames(d)
    shm = _ShmIds()
    out = []
    for pid, _ in _tasks(d):
        mm = d.first("MM", pid)
        out.append("%d" % pid)
        out.append("\t%-36s    %s" % ("exe", names.describe(
            "REG", mm.get("exe_file_id"))))
        for vma in mm.get("vmas", []):
            prot = vma.get("prot", 0)
            rwx = ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + \
                ("x" if prot & 4 else "-")
            span = "%08x-%08x" % (vma["start"], vma["end"])
            out.append("\t%-36s%s%s" % (span, rwx, _vma_what(vma, names, shm)))
    return out


def rss(d):
    names = FileNames(d)
    out = []
    for pid, _ in _tasks(d):
        vmas = d.first("MM", pid).get("vmas", [])
        pms = d.entries("PAGEMAP", pid)
        out.append("%d" % pid)
        vi = 0
        shown = -1
        for pm in pms[1:]:
            addr = pm["vaddr"]
            npages = pm["nr_pages"]
            left = "\t%x / %-8d" % (addr, npages)
            while vi < len(vmas) and vmas[vi]["end"] <= addr:
                vi += 1
            end = addr + (npages << _PAGE_SHIFT)
            right = ""
            while vi < len(vmas) and vmas[vi]["start"] < end:
                vma = vmas[vi]
                if vi == shown:
                    right += " ~"
                else:
                    right += " %08x / %-8d" % (
                        vma["start"], (vma["end"] - vma["start"]) >> _PAGE_SHIFT)
                    if vma.get("status", 0) & (_VMA_FILE_PRIVATE |
                                               _VMA_FILE_SHARED):
                        right += " " + names.describe("REG", vma.get("shmid"))
                    shown = vi
                right += "\n\t%23s" % ""
                vi += 1
            vi -= 1
            out.append("%-24s%s" % (left, right))
    return out


SUMMARIES = {"ps": ps, "fds": fds, "mems": mems, "rss": rss}


def explore(path, what):
    """The lines of summary what ("ps", "fds", "mems" or "rss") of path."""
    try:
        return SUMMARIES[what](ImageDir(path))
    except (KeyError, TypeError) as e:
        raise CritError("%s: images lack what the %s summary needs (%s)" %
                        (path, what, e)) from None
