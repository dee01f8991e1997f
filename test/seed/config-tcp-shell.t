#!/usr/bin/python3
# The configuration-file scenario (../shared/seeds/criu-configuration-files.txt),
# end to end: a TCP echo server and a client exchanging numbered pings over
# 127.0.0.1, each started from an interactive shell on a pty of its own, so
# each holds its terminal.  The global config file is a temporary one
# ($CRIU_SYSCONFDIR/criu/default.conf); the criu command never changes:
#   1. no config: the dump fails and suggests --tcp-established;
#   2. "tcp-established" in the config: it fails and suggests --shell-job;
#   3. "shell-job" added: it succeeds, and "criu restore" typed in the same
#      shell brings the process back; the pings go on on the same
#      connection, without a gap or a repeat (both ends log every number).
# First the client is dumped, then (a new pair) the server.
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.environ.get("CRIU_TOP") or os.path.abspath(os.path.join(os.path.dirname(sys.argv[0]), "../.."))
CRIU = os.environ.get("CRIU") or os.path.join(TOP, "criu/criu")
T = tempfile.mkdtemp(prefix="criu-test.")
ENV = dict(os.environ, HOME=os.path.join(T, "home"), CRIU_SYSCONFDIR=os.path.join(T, "etc"))
ENV.pop("CRIU_CONFIG_FILE", None)
os.makedirs(ENV["HOME"])
os.makedirs(os.path.join(ENV["CRIU_SYSCONFDIR"], "criu"))
CONF = os.path.join(ENV["CRIU_SYSCONFDIR"], "criu", "default.conf")
pids = []

# The tcp-howto pair: "server PORTFILE LOG" or "client PORT LOG".  Each
# writes its pid first, then one number per ping it saw, and prints
# "PP n -> n" on its terminal as the original does.
HOWTO = r'''
import os, socket, sys, time
mode, arg, log = sys.argv[1], sys.argv[2], open(sys.argv[3], "a", buffering=1)
log.write("pid %d\n" % os.getpid())
if mode == "server":
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    with open(arg + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(arg + ".tmp", arg)
    s, _ = ls.accept()
    f = s.makefile("rb")
    for line in f:
        n = int(line.split()[1])
        log.write("%d\n" % n)
        s.sendall(line)
    log.write("eof\n")
else:
    s = socket.create_connection(("127.0.0.1", int(arg)))
    f = s.makefile("rb")
    n = 0
    while True:
        n += 1
        s.sendall(b"PP %d\n" % n)
        line = f.readline()
        if not line:
            log.write("eof\n")
            break
        got = int(line.split()[1])
        print("PP %d -> %d" % (n, got), flush=True)
        log.write("%d\n" % got)
        time.sleep(0.02)
'''


def result(ok, name, why=""):
    print(("PASS: %s" % name) if ok else ("FAIL: %s: %s" % (name, why)), flush=True)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_until(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


class Shell:
    """An interactive bash on a pty of its own; what it prints is drained."""

    def __init__(self):
        self.master, slave = pty.openpty()
        self.out = b""
        self.lock = threading.Lock()

        def setup():
            os.setsid()
            import fcntl
            import termios
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.p = subprocess.Popen(["bash", "--norc", "--noprofile", "-i"], stdin=slave, stdout=slave,
                                  stderr=slave, preexec_fn=setup, env=ENV, cwd=T)
        os.close(slave)
        pids.append(self.p.pid)
        threading.Thread(target=self.drain, daemon=True).start()

    def drain(self):
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 1)
                if r:
                    d = os.read(self.master, 65536)
                    if not d:
                        return
                    with self.lock:
                        self.out = (self.out + d)[-65536:]
            except OSError:
                return

    def type(self, text):
        os.write(self.master, text.encode())

    def close(self):
        kill(self.p.pid)
        self.p.wait()


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def numbers(log):
    try:
        with open(log) as f:
            lines = f.read().split("\n")
    except OSError:
        return None, []
    pid = int(lines[0].split()[1]) if lines and lines[0].startswith("pid ") else None
    return pid, [l for l in lines[1:] if l]


def count(log):
    return len([l for l in numbers(log)[1] if l.isdigit()])


def criu(*args):
    return subprocess.run([CRIU] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=ENV, timeout=60)


def err_line(r):
    for l in r.stderr.decode(errors="replace").splitlines():
        if "Error" in l:
            return l.strip()
    return "rc %d, no error line" % r.returncode


def grep_err(d, log):
    try:
        with open(os.path.join(d, log)) as f:
            errs = [l.strip() for l in f if "Error" in l]
        return errs[0] if errs else "no error in " + log
    except OSError:
        return "no " + log


def unlock_leftovers(port):
    """A failed case may leave its connection locked: remove our rules for @port."""
    for tool in ("iptables", "ip6tables"):
        r = subprocess.run([tool, "-S"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for rule in r.stdout.decode().splitlines():
            if "0xc114" in rule and (" --sport %d " % port in rule or " --dport %d " % port in rule):
                subprocess.run([tool, "-w"] + rule.replace("-A", "-D", 1).split(), stderr=subprocess.DEVNULL)


def scenario(who):
    name = "seed (%s dumped)" % who
    d = os.path.join(T, who)
    os.makedirs(d)
    slog, clog, portfile = os.path.join(d, "server.log"), os.path.join(d, "client.log"), os.path.join(d, "port")
    howto = os.path.join(T, "tcp-howto.py")
    if os.path.exists(CONF):
        os.unlink(CONF)
    srv, cli = Shell(), Shell()
    port = 0
    try:
        srv.type("/usr/bin/python3 %s server %s %s\n" % (howto, portfile, slog))
        if not wait_until(lambda: os.path.exists(portfile), 10):
            return result(False, name, "the server did not start")
        port = int(open(portfile).read())
        cli.type("/usr/bin/python3 %s client %d %s\n" % (howto, port, clog))
        if not wait_until(lambda: count(clog) >= 10, 10):
            return result(False, name, "no pings")
        target_log, shell = (clog, cli) if who == "client" else (slog, srv)
        pid = numbers(target_log)[0]
        pids.append(pid)

        # 1. no config
        img = os.path.join(d, "img1")
        os.makedirs(img)
        r = criu("dump", "-t", str(pid), "-D", img, "-o", "dump.log")
        ok = r.returncode != 0 and b"consider using --tcp-established" in r.stderr and alive(pid)
        result(ok, name + ": 1. without a config the dump fails and suggests --tcp-established", err_line(r))
        if not ok:
            return

        # 2. tcp-established in the config
        with open(CONF, "w") as f:
            f.write("tcp-established\n")
        img = os.path.join(d, "img2")
        os.makedirs(img)
        r = criu("dump", "-t", str(pid), "-D", img, "-o", "dump.log")
        ok = r.returncode != 0 and b"--shell-job" in r.stderr and b"--tcp-established" not in r.stderr
        ok = ok and alive(pid)
        n0 = count(target_log)
        ok = ok and wait_until(lambda: count(target_log) >= n0 + 5, 5)
        result(ok, name + ": 2. with tcp-established in the config it fails and suggests --shell-job; "
               "the pings go on", err_line(r))
        if not ok:
            return

        # 3. shell-job added: dump, then restore from the same shell
        with open(CONF, "a") as f:
            f.write("shell-job\n")
        img = os.path.join(d, "img3")
        os.makedirs(img)
        r = criu("dump", "-t", str(pid), "-D", img, "-v4", "-o", "dump.log")
        if r.returncode != 0:
            terminal = b"terminal" in r.stderr and b"not supported yet" in r.stderr
            if terminal:
                print("SKIP: %s: 3. dump with shell-job: terminals are not dumped yet (the TTY kind): %s"
                      % (name, err_line(r)), flush=True)
                return
            return result(False, name + ": 3. with shell-job added the dump succeeds", grep_err(img, "dump.log"))
        if not wait_until(lambda: not alive(pid), 5):
            return result(False, name + ": 3. with shell-job added the dump succeeds", "the task still runs")
        result(True, name + ": 3. with shell-job added the dump succeeds")
        before = count(target_log)
        time.sleep(0.5)  # the other end waits, held off by the network lock
        shell.type("%s restore -D %s -v4 -o restore.log\n" % (CRIU, img))
        if not wait_until(lambda: alive(pid), 10):
            return result(False, name + ": restore brings it back", grep_err(img, "restore.log"))
        grew = wait_until(lambda: count(clog) >= before + 30 and count(slog) >= before + 30, 15)
        bad = []
        for log in (clog, slog):
            nums = numbers(log)[1]
            if "eof" in nums:
                bad.append("%s saw the connection end" % os.path.basename(log))
            seq = [int(x) for x in nums if x.isdigit()]
            if seq != list(range(1, len(seq) + 1)):
                gaps = [(a, b) for a, b in zip(seq, seq[1:]) if b != a + 1]
                bad.append("%s is not 1, 2, 3...: %s" % (os.path.basename(log), gaps[:3]))
        if not grew:
            bad.append("the pings stopped at %d/%d" % (count(clog), count(slog)))
        result(not bad, name + ": restore brings it back, the pings go on without a gap or a repeat",
               "; ".join(bad))
    finally:
        for s in (cli, srv):
            s.close()
        for p in pids:
            kill(p)
        if port:
            unlock_leftovers(port)


if os.getuid() != 0:
    print("SKIP: seed: needs root (TCP_REPAIR)")
    sys.exit(0)
with open(os.path.join(T, "tcp-howto.py"), "w") as f:
    f.write(HOWTO)
try:
    scenario("client")
    scenario("server")
finally:
    for p in pids:
        kill(p)
    shutil.rmtree(T, ignore_errors=True)
