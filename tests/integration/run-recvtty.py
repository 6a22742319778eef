#!/usr/bin/env python3
"""run-recvtty.py SOCKET [INPUT]: a console socket for ctr-run tests.

Listens on SOCKET, takes the pty master the runtime sends (SCM_RIGHTS),
prints the message that came with it on the first line, writes INPUT
(backslash escapes allowed) to the terminal, then copies what the
container writes to stdout until the terminal closes.
"""
import array
import os
import socket
import sys

path = sys.argv[1]
data = sys.argv[2].encode().decode("unicode_escape").encode() if len(sys.argv) > 2 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
for level, kind, payload in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
if not fds:
    sys.exit("run-recvtty: no fd received")
master = fds[0]
sys.stdout.write(msg.decode(errors="replace") + "\n")
sys.stdout.flush()
if data:
    os.write(master, data)
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    sys.stdout.buffer.write(chunk)
    sys.stdout.flush()
