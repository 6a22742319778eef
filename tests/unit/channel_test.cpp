#include <doctest/doctest.h>

#include "libcommon/runtime/channel.h"

using namespace ctr::runtime;

TEST_CASE("Channel: messages in order, then eof when the peer closes") {
    auto [runtime, init] = Channel::pair();
    init.send("pid", "42");
    init.send("ready");
    init.close();
    Message m = runtime.receive();
    CHECK(m.verb == "pid");
    CHECK(m.text == "42");
    CHECK(runtime.receive().verb == "ready");
    CHECK(runtime.receive().verb == "eof");
}

TEST_CASE("Channel: a peer that died with our message unread still gets its last words read") {
    auto [runtime, init] = Channel::pair();
    runtime.send("go");              // never read by the peer
    init.send("error", "chdir to cwd: No such file or directory");
    init.close();                    // with "go" unread: the kernel reports ECONNRESET first
    Message m = runtime.receive();
    CHECK(m.verb == "error");
    CHECK(m.text == "chdir to cwd: No such file or directory");
    CHECK(runtime.receive().verb == "eof");
    CHECK(runtime.receive().verb == "eof");
}
