#!/usr/bin/env python3
"""Console-socket receiver for tests: listen on PATH, take the pty master
brig sends (SCM_RIGHTS), then copy its output to stdout until EOF.
Optional INPUT is written to the pty first.  Usage: recvtty.py PATH [INPUT]"""
import os, socket, sys

path = sys.argv[1]
data = sys.argv[2].encode() if len(sys.argv) > 2 else b""
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
# tell the caller we are ready
print("READY", flush=True) if os.environ.get("RECVTTY_READY") else None
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
c.close()
s.close()
os.unlink(path)
if not fds:
    sys.exit("recvtty: no fd received")
master = fds[0]
sys.stderr.write("recvtty: got %s\n" % msg.decode(errors="replace"))
if data:
    os.write(master, data)
while True:
    try:
        b = os.read(master, 4096)
    except OSError:
        break
    if not b:
        break
    sys.stdout.buffer.write(b)
    sys.stdout.flush()
