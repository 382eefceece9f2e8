# SPDX-License-Identifier: GPL-2.0-or-later
"""Private network namespaces joined by a veth pair, for the netlock tests.

Everything lives in namespaces this test makes (names unique per run) and is
removed on exit, also on SIGTERM/SIGALRM.  Addresses are 10.213.N.0/24 and
fd42:213:N::/64 on the veth pair only; no traffic leaves the pair.
Sockets are made inside a namespace with setns() around socket(): a socket
keeps the namespace it was made in, the test process itself stays put.
"""

import ctypes
import errno
import os
import select
import signal
import socket
import subprocess
import sys
import traceback

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

NETLOCK = os.environ.get("CRYO_NETLOCK", "")
failures = 0


def say(msg):
    print(msg, flush=True)


def check(cond, what):
    global failures
    if cond:
        say(f"ok: {what}")
    else:
        failures += 1
        say(f"FAIL: {what}")


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"setns: {os.strerror(e)}")


def run(cmd, timeout=10, check_rc=False):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, text=True)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stdout}")
    return p


class Netns:
    def __init__(self, name):
        self.name = name
        self.path = f"/run/netns/{name}"
        run(["ip", "netns", "add", name], check_rc=True)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        self.ip("link", "set", "lo", "up")

    def ip(self, *args):
        return run(["ip", "-n", self.name, *args], check_rc=True)

    def exec(self, *cmd, timeout=10):
        return run(["ip", "netns", "exec", self.name, *cmd], timeout=timeout)

    def socket(self, family=socket.AF_INET, type=socket.SOCK_STREAM):
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(self.fd)
            try:
                return socket.socket(family, type)
            finally:
                _setns(own)
        finally:
            os.close(own)

    def nft_tables(self):
        return self.exec("nft", "list", "tables").stdout

    def delete(self):
        os.close(self.fd)
        run(["ip", "netns", "del", self.name])


class Lab:
    """Two namespaces and a veth pair between them; cleaned up on any exit."""

    def __init__(self, tag, seconds=25):
        pid = os.getpid()
        self.n = 20 + pid % 200
        self.spaces = []
        signal.signal(signal.SIGTERM, self._die)
        signal.signal(signal.SIGALRM, self._die)
        signal.alarm(seconds)  # bounded: a hang becomes a failure, not a stuck test
        try:
            self._setup(pid, tag)
        except BaseException:
            self.close()
            raise

    def _setup(self, pid, tag):
        self.a = self._netns(f"nlk{pid}{tag}a")
        self.b = self._netns(f"nlk{pid}{tag}b")
        va, vb = f"nlk{pid}{tag}a"[:15], f"nlk{pid}{tag}b"[:15]
        run(["ip", "link", "add", va, "netns", self.a.name, "type", "veth",
             "peer", "name", vb, "netns", self.b.name], check_rc=True)
        self.a4, self.b4 = f"10.213.{self.n}.1", f"10.213.{self.n}.2"
        self.a6, self.b6 = f"fd42:213:{self.n}::1", f"fd42:213:{self.n}::2"
        for ns, dev, v4, v6 in ((self.a, va, self.a4, self.a6), (self.b, vb, self.b4, self.b6)):
            ns.ip("addr", "add", f"{v4}/24", "dev", dev)
            ns.ip("addr", "add", f"{v6}/64", "dev", dev, "nodad")
            ns.ip("link", "set", dev, "up")
        # The carrier comes up asynchronously: wait (bounded) for a first ping.
        for _ in range(20):
            if self.b.exec("ping", "-c1", "-W1", self.a4).returncode == 0:
                break
        else:
            raise RuntimeError("veth pair never came up")

    def _netns(self, name):
        ns = Netns(name)
        self.spaces.append(ns)
        return ns

    def _die(self, signum, frame):
        raise TimeoutError(f"test stopped by signal {signum}")

    def close(self):
        signal.alarm(0)
        for ns in self.spaces:
            ns.delete()
        self.spaces = []


def netlock(*args, netns=None):
    cmd = [NETLOCK, *args]
    if netns is not None:
        cmd = ["ip", "netns", "exec", netns.name, *cmd]
    return run(cmd)


def connect_nb(sock, addr):
    sock.setblocking(False)
    r = sock.connect_ex(addr)
    if r not in (0, errno.EINPROGRESS):
        raise OSError(r, f"connect {addr}: {os.strerror(r)}")


def connect_outcome(socks, seconds):
    """Wait up to seconds for non-blocking connects: 'connected', 'pending' or an errno name."""
    _, w, _ = select.select([], socks, [], seconds)
    out = []
    for s in socks:
        if s not in w:
            out.append("pending")
            continue
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        out.append("connected" if e == 0 else errno.errorcode.get(e, str(e)))
    return out


def wait_connected(sock, seconds):
    return connect_outcome([sock], seconds)[0]


def recv_within(sock, seconds, want=1):
    """Bytes that arrive within seconds (b'' if none)."""
    got = b""
    end_wait = seconds
    while len(got) < want:
        r, _, _ = select.select([sock], [], [], end_wait)
        if not r:
            break
        data = sock.recv(4096)
        if not data:
            break
        got += data
        end_wait = 0.5
    return got


def exchange(a, b, tag, seconds=5):
    """Data flows both ways between connected sockets a and b."""
    a.sendall(b"ping-" + tag)
    b.sendall(b"pong-" + tag)
    ok1 = recv_within(b, seconds, len(b"ping-" + tag)) == b"ping-" + tag
    ok2 = recv_within(a, seconds, len(b"pong-" + tag)) == b"pong-" + tag
    return ok1 and ok2


def so_error(sock):
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


def nodelay(*socks):
    for s in socks:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def run_test(tag, body):
    """body(lab) in a fresh Lab; any exception is a failure; always cleaned up."""
    global failures
    lab = None
    try:
        lab = Lab(tag)
        body(lab)
    except BaseException:
        traceback.print_exc(file=sys.stdout)
        failures += 1
    finally:
        if lab:
            lab.close()
    if failures:
        say(f"FAIL: {failures} checks failed")
        sys.exit(1)
    say("PASS")
    sys.exit(0)
