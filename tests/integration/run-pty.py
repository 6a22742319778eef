#!/usr/bin/env python3
"""run-pty.py ROWS COLS COMMAND [ARG...]: runs COMMAND on a new terminal.

The terminal is a pty of ROWS x COLS that becomes COMMAND's stdin, stdout,
stderr and controlling terminal, as an interactive shell would give it.
Prints what COMMAND writes to it (carriage returns dropped) and exits with
COMMAND's status. Gives up after 20 seconds.

Tests that drive the terminal further (resize it, type) load this file as a
module and use spawn(), set_size() and read_until().
"""
import fcntl
import os
import select
import struct
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def spawn(rows, cols, argv):
    """Starts argv on a new ROWS x COLS pty; returns (pid, master fd)."""
    master, slave = os.openpty()
    set_size(master, rows, cols)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for i in range(3):
            os.dup2(slave, i)
        os.execvp(argv[0], argv)
    os.close(slave)
    return pid, master


def read_until(fd, out, until=None, limit=20):
    """Appends what the terminal says to out (a bytearray) until `until`
    shows up in it, the terminal closes (returns False) or `limit` seconds
    pass."""
    end = time.time() + limit
    while (until is None or until not in out) and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every slave is closed
            return False
        if not chunk:
            return False
        out += chunk
    return True


def main():
    pid, master = spawn(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:])
    out = bytearray()
    still_open = read_until(master, out)
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
    if still_open:
        os.kill(pid, 9)
        sys.stderr.write("run-pty: " + sys.argv[3] + " still runs after 20 s\n")
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
