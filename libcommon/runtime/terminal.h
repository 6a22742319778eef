// Pseudo-terminals for containers whose process.terminal is true.
//
// The container's init opens /dev/ptmx inside the container (its own devpts),
// makes the slave its stdio and controlling terminal, and sends the master to
// the --console-socket with SCM_RIGHTS, as runc does. Without a console socket
// in the foreground, `run` receives the master itself and relays it to its own
// terminal (raw mode, window size follows SIGWINCH).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "libcommon/sys/fd.h"

namespace ctr::runtime {

// Sends fd over the unix socket sock (with name as the one byte of data
// runc sends: the slave's path).
void send_fd(int sock, int fd, const std::string& name);
// Receives one fd sent by send_fd; throws on EOF or a message without one.
UniqueFd receive_fd(int sock);
// Connects to the AF_UNIX socket at path (any length, through its directory).
UniqueFd connect_unix(const std::string& path);

// In the init, after pivot_root: opens a pty from /dev/ptmx, sets its size
// when given (rows, cols; 0 = leave), and returns the master. slave_path gets
// "/dev/pts/N".
UniqueFd open_pty(unsigned rows, unsigned cols, std::string& slave_path);
// Makes slave the process's stdin/stdout/stderr and controlling terminal.
void become_tty_session(int slave);

// Copies between the caller's stdin/stdout and master until the master closes
// or stop_fd (a pidfd of the container's init) becomes readable, then drains.
// Puts the caller's terminal in raw mode for the duration and forwards
// window-size changes (SIGWINCH via the signalfd sigfd, may be -1).
void relay_pty(int master, int stop_fd, int sigfd, int init_pid);

// Gives the terminal `to` the window size of terminal `from` (nothing if
// `from` isn't a terminal).
void copy_size(int from, int to);
// The window size (rows, cols) of the terminal fd, if it is one and has a size.
std::optional<std::pair<unsigned, unsigned>> terminal_size(int fd);

}  // namespace ctr::runtime
