# SPDX-License-Identifier: GPL-2.0-or-later
"""The peer of zt-tcp and zt-done, outside the tree: listens (on argv[2],
default 127.0.0.1), accepts the tree's
connection, and runs phases the runner starts by creating files in DIR:
  (start)   'hello' -> 'HELLO'                          then writes DIR/a.ok
  locked    'during' sent while the tree is locked: the send works, no answer
            and no reset within 2 s                     then writes DIR/locked.ok
  restored  the answer 'DURING' arrives (retransmitted to the restored tree),
            then 'after' -> 'AFTER'                     then writes DIR/restored.ok
Any failure is written to DIR/peer.fail."""
import os, socket, sys, time

d = sys.argv[1]
srv = socket.socket()
srv.bind((sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1", 0))
srv.listen(1)
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))

def fail(msg):
    with open(os.path.join(d, "peer.fail"), "w") as f:
        f.write(msg + "\n")
    sys.exit(1)

def done(name):
    open(os.path.join(d, name), "w").close()

def wait_for(name, secs=60):
    for _ in range(secs * 20):
        if os.path.exists(os.path.join(d, name)):
            return
        time.sleep(0.05)
    fail(f"no '{name}' from the runner")

def expect(c, want, secs):
    c.settimeout(secs)
    got = b""
    try:
        while len(got) < len(want):
            b = c.recv(len(want) - len(got))
            if not b:
                fail(f"connection closed while waiting for {want!r}")
            got += b
    except ConnectionResetError:
        fail(f"connection reset while waiting for {want!r}")
    except socket.timeout:
        fail(f"no {want!r} within {secs} s (got {got!r})")
    if got != want:
        fail(f"got {got!r}, {want!r} expected")

srv.settimeout(30)
c, _ = srv.accept()
c.sendall(b"hello")
expect(c, b"HELLO", 10)
done("a.ok")
wait_for("locked")
try:
    c.sendall(b"during")
    c.settimeout(2)
    b = c.recv(100)
    fail(f"the locked tree answered {b!r}" if b else "the connection was closed while locked")
except socket.timeout:
    pass
except ConnectionResetError:
    fail("a reset reached the peer while the tree was locked")
done("locked.ok")
wait_for("restored")
expect(c, b"DURING", 30)
c.sendall(b"after")
expect(c, b"AFTER", 10)
done("restored.ok")
