#!/usr/bin/env python3
"""run-pty.py ROWS COLS COMMAND [ARG...]: runs COMMAND on a new terminal.

The terminal is a pty of ROWS x COLS that becomes COMMAND's stdin, stdout,
stderr and controlling terminal, as an interactive shell would give it.
Prints what COMMAND writes to it (carriage returns dropped) and exits with
COMMAND's status. Gives up after 20 seconds.
"""
import fcntl
import os
import select
import struct
import sys
import termios
import time

rows, cols = int(sys.argv[1]), int(sys.argv[2])
master, slave = os.openpty()
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for i in range(3):
        os.dup2(slave, i)
    os.execvp(sys.argv[3], sys.argv[3:])
os.close(slave)
out = b""
deadline = time.time() + 20
while time.time() < deadline:
    ready, _, _ = select.select([master], [], [], 0.1)
    if not ready:
        continue
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO: every slave is closed
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
if time.time() >= deadline:
    os.kill(pid, 9)
    sys.stderr.write("run-pty: " + sys.argv[3] + " still runs after 20 s\n")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
