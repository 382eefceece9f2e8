# SPDX-License-Identifier: GPL-2.0-or-later
"""Lock single TCP connections of a tree in the "host" namespace: the locked
4-tuples (IPv4 through a dual-stack socket, so as IPv4-mapped addresses, and
IPv6) go silent in both directions without a reset, while other connections
on the same host, to the same listener, keep working; unlock restores them."""

import socket
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
import nettest as t  # noqa: E402


def accept_for(lst, client):
    s, _ = lst.accept()
    want = client.getsockname()[:2]
    if s.getpeername()[:2] != want and s.getpeername()[0] != f"::ffff:{want[0]}":
        raise RuntimeError(f"accepted {s.getpeername()}, expected {want}")
    return s


def endpoint(addr):
    host, port = addr[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def main(lab):
    host, peer = lab.a, lab.b
    table = f"cryo-lock-conns-{lab.n}"

    # A dual-stack listener: IPv4 clients appear as ::ffff:a.b.c.d on the host side.
    lst = host.socket(socket.AF_INET6)
    lst.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    lst.bind(("::", 0))
    lst.listen(8)
    port = lst.getsockname()[1]

    def connect(family, addr):
        c = peer.socket(family)
        c.settimeout(5)
        c.connect((addr, port))
        s = accept_for(lst, c)
        t.nodelay(c, s)
        return c, s

    locked4 = connect(socket.AF_INET, lab.a4)
    other4 = connect(socket.AF_INET, lab.a4)
    locked6 = connect(socket.AF_INET6, lab.a6)
    other6 = connect(socket.AF_INET6, lab.a6)
    pairs = {"locked4": locked4, "other4": other4, "locked6": locked6, "other6": other6}
    for name, (c, s) in pairs.items():
        t.check(t.exchange(c, s, name.encode()), f"{name} carries data before the lock")

    conns = [f"{endpoint(s.getsockname())},{endpoint(s.getpeername())}"
             for _, s in (locked4, locked6)]
    t.say(f"locking {conns}")
    r = t.netlock("lock-conns", "--table", table, *conns, netns=host)
    t.check(r.returncode == 0, f"lock-conns succeeds ({r.stdout.strip()})")
    r = t.netlock("exists", "--netns", host.path, "--table", table)
    t.check(r.returncode == 0, "netlink read-back sees the table")
    t.check(f"table inet {table}" in host.nft_tables(), "nft list tables sees the table")

    for name in ("locked4", "locked6"):
        c, s = pairs[name]
        c.sendall(b"to-host-" + name.encode())
        s.sendall(b"to-peer-" + name.encode())
    for name in ("other4", "other6"):
        c, s = pairs[name]
        t.check(t.exchange(c, s, b"during"), f"{name} keeps working while the others are locked")
    fresh4 = connect(socket.AF_INET, lab.a4)
    fresh6 = connect(socket.AF_INET6, lab.a6)
    t.check(t.exchange(*fresh4, b"fresh") and t.exchange(*fresh6, b"fresh"),
            "new connections to the same listener work while locked")
    for name in ("locked4", "locked6"):
        c, s = pairs[name]
        t.check(t.recv_within(s, 1.0) == b"", f"{name}: data to the host does not arrive while locked")
        t.check(t.recv_within(c, 0.2) == b"", f"{name}: data from the host does not arrive while locked")
        t.check(t.so_error(c) == 0 and t.so_error(s) == 0, f"{name}: no reset on either side")
    listing = host.exec("nft", "list", "table", "inet", table).stdout
    dropped = [ln for ln in listing.splitlines() if "drop" in ln and "counter packets 0 " not in ln]
    t.check(len(dropped) >= 2, f"nft shows the connection rules counting drops ({len(dropped)} rules hit)")
    t.check(f"ip saddr {lab.b4} ip daddr {lab.a4}" in listing, "the IPv4-mapped connection is matched as IPv4")

    r = t.netlock("unlock", "--table", table, netns=host)
    t.check(r.returncode == 0, f"unlock succeeds ({r.stdout.strip()})")
    r = t.netlock("exists", "--netns", host.path, "--table", table)
    t.check(r.returncode == 1, "netlink read-back: table gone")
    t.check(f"table inet {table}" not in host.nft_tables(), "nft list tables: table gone")

    for name in ("locked4", "locked6"):
        c, s = pairs[name]
        want = b"to-host-" + name.encode()
        t.check(t.recv_within(s, 12, len(want)) == want, f"{name}: held data reaches the host after unlock")
        want = b"to-peer-" + name.encode()
        t.check(t.recv_within(c, 12, len(want)) == want, f"{name}: held data reaches the peer after unlock")
        t.check(t.exchange(c, s, b"after"), f"{name} carries data after unlock")


t.run_test("c", main)
