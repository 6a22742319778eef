// The attached end of a container's streams (ctr-start -a/-i, ctr-attach):
// copies the container's stdout/stderr to ours and our stdin to it. With a
// terminal it puts ours in raw mode, sends window sizes, and watches for the
// detach keys (Ctrl-P Ctrl-Q); without one it forwards the signals we get.
#pragma once

#include <string>
#include <vector>

namespace ctr::container {

struct AttachOptions {
    bool stdin = false;   // send our stdin
    bool stdout = true;   // want the container's stdout
    bool stderr = true;   // and stderr
    bool tty = false;     // the container has a terminal
    bool sig_proxy = true;  // forward INT, TERM, HUP, QUIT, USR1, USR2 (without a tty)
    bool redraw = false;  // joining a running terminal: nudge its size so a shell redraws its prompt
    std::vector<unsigned char> detach_keys = {0x10, 0x11};  // Ctrl-P Ctrl-Q
};

// docker's --detach-keys syntax: "ctrl-p,ctrl-q", "ctrl-a,x", "ctrl-@".
std::vector<unsigned char> parse_detach_keys(const std::string& spec);

// Looks for the detach sequence in what the user types. feed() returns the
// bytes to send on (a partial match is held back until it fails).
class DetachMatcher {
public:
    explicit DetachMatcher(std::vector<unsigned char> keys) : keys_(std::move(keys)) {}
    std::string feed(const char* data, size_t n);
    bool detached() const { return detached_; }

private:
    std::vector<unsigned char> keys_;
    size_t matched_ = 0;
    bool detached_ = false;
};

// The result of an attach session.
struct AttachResult {
    bool detached = false;  // the user typed the detach keys
    int exit_code = 0;      // the container's, when it ended
    bool ended = false;     // the container ended (exit_code is valid)
};

// Runs the session on a connected attach socket until the container ends,
// the user detaches, or the monitor goes away.
AttachResult attach_session(int sock, const AttachOptions& o);

// Connects to a container's attach.sock in `dir`; throws if nobody listens.
int connect_attach(const std::string& dir);

}  // namespace ctr::container
