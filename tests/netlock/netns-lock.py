# SPDX-License-Identifier: GPL-2.0-or-later
"""Lock a tree's network namespace: nothing gets in or out (no RST either),
loopback included; after unlock everything flows again, queued data arrives,
and the table is gone (netlink read-back, cross-checked with nft)."""

import socket
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
import nettest as t  # noqa: E402

def main(lab):
    tree, peer = lab.a, lab.b
    table = f"cryo-lock-test-{lab.n}"

    lst = tree.socket()
    lst.bind((lab.a4, 0))
    lst.listen(8)
    port = lst.getsockname()[1]
    lo_lst = tree.socket()
    lo_lst.bind(("127.0.0.1", 0))
    lo_lst.listen(8)
    lo_port = lo_lst.getsockname()[1]
    probe = tree.socket()
    probe.bind((lab.a4, 0))
    closed_port = probe.getsockname()[1]  # bound, never listening: a SYN gets RST
    udp_srv = tree.socket(type=socket.SOCK_DGRAM)
    udp_srv.bind((lab.a4, 0))
    udp_cli = peer.socket(type=socket.SOCK_DGRAM)

    # Before the lock: everything works, and a closed port answers RST at once.
    c1 = peer.socket()
    c1.settimeout(5)
    c1.connect((lab.a4, port))
    s1, _ = lst.accept()
    t.nodelay(c1, s1)
    t.check(t.exchange(c1, s1, b"before"), "established connection carries data before the lock")
    c = peer.socket()
    t.connect_nb(c, (lab.a4, closed_port))
    t.check(t.wait_connected(c, 3) == "ECONNREFUSED", "closed port refuses before the lock (the RST we must not see later)")
    c = tree.socket()
    t.connect_nb(c, ("127.0.0.1", lo_port))
    t.check(t.wait_connected(c, 3) == "connected", "loopback connect works before the lock")
    lo_lst.accept()[0].close()
    udp_cli.sendto(b"udp-before", (lab.a4, udp_srv.getsockname()[1]))
    t.check(t.recv_within(udp_srv, 3) == b"udp-before", "UDP arrives before the lock")
    t.check(peer.exec("ping", "-c1", "-W2", lab.a4).returncode == 0, "ping answers before the lock")

    # Lock.
    r = t.netlock("lock", "--netns", tree.path, "--table", table)
    t.check(r.returncode == 0, f"lock succeeds ({r.stdout.strip()})")
    r = t.netlock("exists", "--netns", tree.path, "--table", table)
    t.check(r.returncode == 0, "netlink read-back sees the table")
    t.check(f"table inet {table}" in tree.nft_tables(), "nft list tables in the tree sees the table")
    t.check(table not in peer.nft_tables(), "the peer's namespace has no lock table")

    c1.sendall(b"while-locked")
    s1.sendall(b"reply-locked")
    c2 = peer.socket()
    t.connect_nb(c2, (lab.a4, port))
    c3 = peer.socket()
    t.connect_nb(c3, (lab.a4, closed_port))
    c4 = tree.socket()
    t.connect_nb(c4, ("127.0.0.1", lo_port))
    udp_cli.sendto(b"udp-locked", (lab.a4, udp_srv.getsockname()[1]))
    t.check(peer.exec("ping", "-c1", "-W1", lab.a4).returncode != 0, "ping gets no answer while locked")
    out = t.connect_outcome([c2, c3, c4], 2)
    t.check(out[0] == "pending", f"connect to the listener times out while locked (got {out[0]})")
    t.check(out[1] == "pending", f"connect to a closed port gets no RST while locked (got {out[1]})")
    t.check(out[2] == "pending", f"loopback connect inside the tree is held too (got {out[2]})")
    t.check(t.recv_within(s1, 0.5) == b"", "data sent to the tree does not arrive while locked")
    t.check(t.recv_within(c1, 0.2) == b"", "data sent by the tree does not arrive while locked")
    t.check(t.so_error(c1) == 0 and t.so_error(s1) == 0, "the established connection saw no reset")
    t.check(t.recv_within(udp_srv, 0.2) == b"", "UDP does not arrive while locked")
    listing = tree.exec("nft", "list", "table", "inet", table).stdout
    t.check("policy drop" in listing and "counter packets 0 " not in listing.split("chain input")[1].split("chain output")[0],
            "nft shows the input chain with policy drop counting dropped packets")

    # Unlock.
    r = t.netlock("unlock", "--netns", tree.path, "--table", table)
    t.check(r.returncode == 0, f"unlock succeeds ({r.stdout.strip()})")
    r = t.netlock("exists", "--netns", tree.path, "--table", table)
    t.check(r.returncode == 1, "netlink read-back: table gone")
    t.check(f"table inet {table}" not in tree.nft_tables(), "nft list tables: table gone")

    # Everything flows again: queued data by retransmission, pending SYNs complete.
    t.check(t.recv_within(s1, 12, len(b"while-locked")) == b"while-locked", "data held during the lock arrives after unlock")
    t.check(t.recv_within(c1, 12, len(b"reply-locked")) == b"reply-locked", "the tree's reply arrives after unlock")
    out = t.connect_outcome([c2], 8) + t.connect_outcome([c4], 8) + t.connect_outcome([c3], 8)
    t.check(out[0] == "connected", f"the held connect completes after unlock (got {out[0]})")
    t.check(out[1] == "connected", f"the held loopback connect completes after unlock (got {out[1]})")
    t.check(out[2] == "ECONNREFUSED", f"the closed port answers RST again after unlock (got {out[2]})")
    c5 = peer.socket()
    c5.settimeout(5)
    c5.connect((lab.a4, port))
    accepted = [lst.accept()[0] for _ in range(2)]  # c2 and c5, in some order
    t.check(t.exchange(c5, next(s for s in accepted if s.getpeername() == c5.getsockname()), b"after"),
            "a new connection carries data after unlock")
    t.check(t.exchange(c1, s1, b"after"), "the old connection carries data after unlock")
    t.check(t.recv_within(udp_srv, 0.2) == b"", "the datagram sent while locked was dropped, not held")
    udp_cli.sendto(b"udp-after", (lab.a4, udp_srv.getsockname()[1]))
    t.check(t.recv_within(udp_srv, 3) == b"udp-after", "UDP arrives after unlock")
    t.check(peer.exec("ping", "-c1", "-W2", lab.a4).returncode == 0, "ping answers after unlock")


t.run_test("n", main)
