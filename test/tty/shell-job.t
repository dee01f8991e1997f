#!/usr/bin/python3
# Shell jobs on a terminal (--shell-job).  CI has no terminal, so the test
# makes its own: an interactive bash on a pty runs a read/echo loop as a
# job (its own group, the foreground, fds 0-2 on the pty).  The dump is
# refused without -j (naming --shell-job) and the job runs on; with -j it
# dumps; restore without -j, or with -j but no terminal, is refused; with
# -j on a new pty the loop comes back on that pty: it reads what is typed
# there (through /dev/tty) and answers there (fd 1), in the foreground.
# Then the same for a session leader whose fds are on an outside pty, not
# its controlling terminal (refused by the terminal kind rather than by the
# session check), and for one that controls it (as under script -c or sshd:
# it comes back a session leader without a controlling terminal).
import fcntl
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time

TOP = os.environ.get("CRIU_TOP") or os.path.abspath(os.path.join(os.path.dirname(sys.argv[0]), "../.."))
CRIU = os.environ.get("CRIU") or os.path.join(TOP, "criu/criu")
T = tempfile.mkdtemp(prefix="criu-test.")
ENV = dict(os.environ, HOME=os.path.join(T, "home"), CRIU_SYSCONFDIR=os.path.join(T, "etc"))
ENV.pop("CRIU_CONFIG_FILE", None)
os.makedirs(ENV["HOME"])
os.makedirs(ENV["CRIU_SYSCONFDIR"])
# (the words are split so that the terminal's echo of the command never matches)
LOOP = "x=pid y=got; echo \"$x:$$\"; while read -r l; do echo \"$y:$l\"; done"
# the job (a tree: a sleeping child with its fd 1 on the terminal too)
# reads through /dev/tty (fd 3) and answers on its fd 1
JOB_LOOP = ("exec 3</dev/tty; sleep 1000 & x=pid y=got; echo \"$x:$$\"; "
            "while read -r l <&3; do echo \"$y:$l\"; done")
pids = []  # killed at the end, whatever happens


def result(ok, name, why=""):
    print(("PASS: %s" % name) if ok else ("FAIL: %s: %s" % (name, why)), flush=True)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def stat_fields(pid):
    """pgrp, session, tty_nr, tpgid of pid"""
    with open("/proc/%d/stat" % pid) as f:
        f = f.read().rsplit(")", 1)[1].split()
    return int(f[2]), int(f[3]), int(f[4]), int(f[5])


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def wait_until(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


class Term:
    """A pty whose master we hold: what is written out, what is typed in."""

    def __init__(self):
        self.master, self.slave = pty.openpty()
        self.out = b""

    def read_until(self, what, secs=5):
        end = time.time() + secs
        while what.encode() not in self.out:
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:
                    return None
        i = self.out.index(what.encode())
        line = self.out[i:].split(b"\n", 1)[0].decode(errors="replace").strip()
        self.out = self.out[i + len(what):]
        return line

    def type(self, text):
        os.write(self.master, text.encode())

    def rdev(self):
        return os.fstat(self.slave).st_rdev

    def close(self):
        os.close(self.master)
        os.close(self.slave)


def on_terminal(term, ctty=True):
    """preexec_fn: a session of its own; the pty as controlling terminal"""

    def setup():
        os.setsid()
        if ctty:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    return dict(stdin=term.slave, stdout=term.slave, stderr=term.slave, preexec_fn=setup, env=ENV)


def criu(*args, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("env", ENV)
    return subprocess.run([CRIU] + list(args), timeout=30, **kw)


def tty_nr(rdev):
    return (os.major(rdev) << 8) | (os.minor(rdev) & 0xFF) | ((os.minor(rdev) & ~0xFF) << 12)


def restore_on_new_pty(name, img, job, with_dev_tty=False):
    """criu restore -j run on a new pty: the job comes back there"""
    term = Term()
    p = subprocess.Popen([CRIU, "restore", "-j", "-D", img, "-v4", "-o", "restore.log"], **on_terminal(term))
    pids.append(p.pid)
    try:
        if not wait_until(lambda: alive(job) or p.poll() is not None, 10) or not alive(job):
            return result(False, name, "not restored: %s" % grep_err(img, "restore.log"))
        term.type("after\n")
        got = term.read_until("got:", 5)
        if got != "got:after":
            return result(False, name, "typed 'after' on the new pty, read back %r" % got)
        pgrp, sid, nr, tpgid = stat_fields(job)
        if sid != p.pid:
            return result(False, name, "in session %d, not criu's %d" % (sid, p.pid))
        if nr != tty_nr(term.rdev()):
            return result(False, name, "controlling terminal %#x, not the new pty %#x" % (nr, tty_nr(term.rdev())))
        if tpgid != pgrp:
            return result(False, name, "foreground group of the pty is %d, not the job's %d" % (tpgid, pgrp))
        # fd 1: bash's read <&3 holds /dev/tty at fd 0 while it waits
        fd1 = os.readlink("/proc/%d/fd/1" % job)
        if fd1 != os.ttyname(term.slave):
            return result(False, name, "fd 1 is %s, not %s" % (fd1, os.ttyname(term.slave)))
        if with_dev_tty and len(children(job)) != 1:
            return result(False, name, "the job's child is not back: %r" % children(job))
        if with_dev_tty and os.readlink("/proc/%d/fd/3" % job) != "/dev/tty":
            return result(False, name, "fd 3 is %s, not /dev/tty" % os.readlink("/proc/%d/fd/3" % job))
        result(True, name)
    finally:
        for k in children(job):
            kill(k)
        kill(job)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            kill(p.pid)
        term.close()


def grep_err(d, log):
    try:
        with open(os.path.join(d, log)) as f:
            errs = [l.strip() for l in f if "Error" in l]
        return errs[0] if errs else "no error in %s" % log
    except OSError:
        return "no %s" % log


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def reap_gone(pid, secs=5):
    return wait_until(lambda: not alive(pid), secs)


def refused_restores(img, job):
    r = criu("restore", "-D", img, "-d", "-o", "r1.log")
    result(r.returncode != 0 and b"--shell-job" in r.stderr and not alive(job),
           "restore without -j is refused naming --shell-job",
           "rc %d, stderr %r" % (r.returncode, r.stderr[-200:]))
    # no terminal at all: stdin /dev/null and no controlling terminal
    r = criu("restore", "-j", "-D", img, "-d", "-o", "r2.log", preexec_fn=os.setsid)
    result(r.returncode != 0 and b"no terminal" in r.stderr and not alive(job),
           "restore -j without a terminal is refused",
           "rc %d, stderr %r" % (r.returncode, r.stderr[-200:]))


def shell_job():
    img = os.path.join(T, "img")
    os.makedirs(img)
    term = Term()
    sh = subprocess.Popen(["bash", "--norc", "--noprofile", "-i"], **on_terminal(term))
    pids.append(sh.pid)
    try:
        term.type("PS1='$ '; bash -c '%s'\n" % JOB_LOOP)
        line = term.read_until("pid:", 10)
        if not line:
            return result(False, "shell job", "the job did not start: %r" % term.out[-200:])
        job = int(line[4:])
        pids.append(job)
        kids = children(job)
        pids.extend(kids)
        if len(kids) != 1:
            return result(False, "shell job", "the job has children %r, not one sleep" % kids)
        term.type("before\n")
        got = term.read_until("got:")
        if got != "got:before":
            return result(False, "shell job", "the job does not answer before the dump: %r" % got)
        pgrp, sid, nr, tpgid = stat_fields(job)
        if not (pgrp == job and tpgid == job and sid == sh.pid and nr == tty_nr(term.rdev())):
            return result(False, "shell job", "not a foreground job on the pty: %r" % ((pgrp, sid, nr, tpgid),))

        r = criu("dump", "-t", str(job), "-D", img, "-o", "dump0.log")
        ok = r.returncode != 0 and b"--shell-job" in r.stderr and alive(job)
        if ok:
            term.type("still\n")
            ok = term.read_until("got:") == "got:still"
        result(ok, "dump of a job on its terminal without -j is refused naming --shell-job; the job runs on",
               "rc %d, stderr %r" % (r.returncode, r.stderr[-200:]))

        r = criu("dump", "-j", "-t", str(job), "-D", img, "-v4", "-o", "dump.log")
        if r.returncode != 0:
            return result(False, "dump -j of a shell job", grep_err(img, "dump.log"))
        if not reap_gone(job):
            return result(False, "dump -j of a shell job", "the job still runs after the dump")
        result(True, "dump -j of a shell job")
        refused_restores(img, job)
        restore_on_new_pty("restore -j on a new pty: the job reads (through /dev/tty) and writes there, in the "
                           "foreground", img, job, with_dev_tty=True)
    finally:
        kill(sh.pid)
        sh.wait()
        term.close()


def leader_on_outside_pty(ctty):
    """a session leader whose fds are on a pty of someone else's (script -c, sshd)"""
    img = os.path.join(T, "img-leader-%d" % ctty)
    os.makedirs(img)
    term = Term()
    name = "session leader on an outside pty%s" % (" it controls" if ctty else "")
    # dash, not bash: bash makes the pty its controlling terminal on its own
    # the one with a controlling terminal reads through /dev/tty: it has
    # none after restore, so its /dev/tty becomes criu's terminal
    loop = LOOP.replace("read -r l;", "read -r l <&3;") if ctty else LOOP
    p = subprocess.Popen(["sh", "-c", ("exec 3</dev/tty; " if ctty else "") + loop], **on_terminal(term, ctty=ctty))
    pids.append(p.pid)
    try:
        line = term.read_until("pid:", 10)
        if not line:
            return result(False, name, "did not start")
        r = criu("dump", "-t", str(p.pid), "-D", img, "-o", "dump0.log")
        ok = r.returncode != 0 and b"--shell-job" in r.stderr
        # without a controlling terminal, the terminal kind is the one to refuse
        ok = ok and (ctty or b"outside the dumped tree" in r.stderr)
        result(ok and alive(p.pid), name + ": dump without -j is refused naming --shell-job",
               "rc %d, stderr %r" % (r.returncode, r.stderr[-200:]))
        r = criu("dump", "-j", "-t", str(p.pid), "-D", img, "-v4", "-o", "dump.log")
        if r.returncode != 0:
            return result(False, name + ": dump -j", grep_err(img, "dump.log"))
        p.wait(timeout=5)
        t2 = Term()
        q = subprocess.Popen([CRIU, "restore", "-j", "-D", img, "-v4", "-o", "restore.log"], **on_terminal(t2))
        pids.append(q.pid)
        try:
            if not wait_until(lambda: alive(p.pid) or q.poll() is not None, 10) or not alive(p.pid):
                return result(False, name + ": restore -j", grep_err(img, "restore.log"))
            t2.type("hi\n")
            got = t2.read_until("got:")
            result(got == "got:hi", name + ": restore -j, the loop works on criu's pty", "read back %r" % got)
        finally:
            kill(p.pid)
            q.wait(timeout=5)
            t2.close()
    finally:
        kill(p.pid)
        term.close()


if not os.access(CRIU, os.X_OK) or not shutil.which("bash"):
    print("SKIP: shell jobs: no criu or bash")
    sys.exit(0)
try:
    shell_job()
    leader_on_outside_pty(False)
    leader_on_outside_pty(True)
finally:
    for p in pids:
        kill(p)
    shutil.rmtree(T, ignore_errors=True)
