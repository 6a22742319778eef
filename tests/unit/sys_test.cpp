#include <doctest/doctest.h>
#include <fcntl.h>

#include "libcommon/cli/main.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/text.h"

TEST_CASE("UniqueFd closes on destruction and on reset") {
    int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(raw >= 0);
    {
        ctr::UniqueFd fd(raw);
        CHECK(fd);
        ctr::UniqueFd moved(std::move(fd));
        CHECK_FALSE(fd);
        CHECK(moved.get() == raw);
    }
    CHECK(::fcntl(raw, F_GETFD) == -1);
}

TEST_CASE("UniqueFd::release hands the descriptor out") {
    ctr::UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int raw = fd.release();
    CHECK_FALSE(fd);
    CHECK(::fcntl(raw, F_GETFD) != -1);
    ::close(raw);
}

TEST_CASE("throw_errno names the operation and the reason") {
    try {
        ctr::throw_errno("open /nonexistent", ENOENT);
        FAIL("no throw");
    } catch (const ctr::Error& e) {
        CHECK(std::string(e.what()) == "open /nonexistent: No such file or directory");
    }
}

TEST_CASE("run_main turns errors into exit codes") {
    CHECK(ctr::run_main("t", [] { return 0; }) == 0);
    CHECK(ctr::run_main("t", []() -> int { throw ctr::Error("boom"); }) == 1);
    CHECK(ctr::run_main("t", []() -> int { throw ctr::ExitError(125, "bad flag"); }) == 125);
}

TEST_CASE("split keeps empty parts; fields drops them") {
    using V = std::vector<std::string_view>;
    CHECK(ctr::split("a::b", ':') == V{"a", "", "b"});
    CHECK(ctr::split("", ':') == V{""});
    CHECK(ctr::split("/bin:", ':') == V{"/bin", ""});
    CHECK(ctr::fields("  a \tb  c ") == V{"a", "b", "c"});
    CHECK(ctr::fields("a\nb\r\n") == V{"a", "b"});
    CHECK(ctr::fields("   ").empty());
}

TEST_CASE("read_text reads a whole file and names it when it can't") {
    CHECK(ctr::read_text("/proc/self/cgroup").find(':') != std::string::npos);
    try {
        ctr::read_text("/nonexistent/x");
        FAIL("no throw");
    } catch (const ctr::Error& e) {
        CHECK(std::string(e.what()) == "open /nonexistent/x: No such file or directory");
    }
}
