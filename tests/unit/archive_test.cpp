#include <doctest/doctest.h>

#include <cstring>

#include "libcommon/archive/path.h"
#include "libcommon/sys/error.h"

using ctr::archive::clean_entry_path;
using ctr::archive::SymlinkGuard;

TEST_CASE("clean_entry_path normalises and refuses escapes") {
    CHECK(clean_entry_path("./usr//bin/") == "usr/bin");
    CHECK(clean_entry_path("./") == "");
    CHECK(clean_entry_path(".") == "");
    CHECK(clean_entry_path("a/./b") == "a/b");
    CHECK_THROWS_WITH_AS(clean_entry_path("/etc/passwd"), "entry \"/etc/passwd\": absolute path", ctr::Error);
    CHECK_THROWS_WITH_AS(clean_entry_path("../x"), "entry \"../x\": path contains \"..\"", ctr::Error);
    CHECK_THROWS_AS(clean_entry_path("a/../../x"), ctr::Error);
    CHECK_THROWS_AS(clean_entry_path("a/.."), ctr::Error);
    CHECK(clean_entry_path("a/..b") == "a/..b");
}

TEST_CASE("SymlinkGuard follows links that stay inside") {
    SymlinkGuard g;
    g.add_symlink("lib", "usr/lib");
    CHECK(g.resolve_parent("lib/x86/libc.so") == "usr/lib/x86");
    g.add_symlink("usr/lib/up", "../share");
    CHECK(g.resolve_parent("usr/lib/up/doc/f") == "usr/share/doc");
    CHECK(g.resolve_parent("plain/dir/f") == "plain/dir");
    CHECK(g.resolve_parent("lib") == "");
}

TEST_CASE("SymlinkGuard refuses links that leave the layer") {
    SymlinkGuard g;
    g.add_symlink("evil", "/etc");
    CHECK_THROWS_WITH_AS(g.resolve_parent("evil/passwd"),
                         "entry \"evil/passwd\": would be written through symlink \"evil\" -> \"/etc\", outside the layer",
                         ctr::Error);
    g.add_symlink("a/up", "../../..");
    CHECK_THROWS_WITH_AS(g.resolve_parent("a/up/x"), doctest::Contains("outside the layer"), ctr::Error);
    g.add_symlink("loop", "loop");
    CHECK_THROWS_WITH_AS(g.resolve_parent("loop/x"), doctest::Contains("too many levels"), ctr::Error);
    // The link itself can be replaced by a directory; then it is safe again.
    g.forget("evil", false);
    CHECK(g.resolve_parent("evil/passwd") == "evil");
}

#include "libcommon/archive/gzip.h"
#include "libcommon/archive/stream.h"
#include "libcommon/oci/digest.h"

TEST_CASE("GzipWriter output is one gzip stream, the same every time") {
    std::string input;
    for (long i = 0; i < 300000; i++) input += "line " + std::to_string(i * 7919L % 100003L) + "\n";
    REQUIRE(input.size() > 3 * (1 << 20));
    auto compress = [&](unsigned threads) {
        std::string out;
        ctr::archive::GzipWriter gz([&](const void* d, size_t n) { out.append(static_cast<const char*>(d), n); }, 1,
                                    threads);
        for (size_t i = 0; i < input.size(); i += 100000) gz.write(input.data() + i, std::min<size_t>(100000, input.size() - i));
        gz.finish();
        return out;
    };
    std::string a = compress(1), b = compress(4);
    CHECK(a == b);
    CHECK(a.size() < input.size() / 2);
    size_t pos = 0;
    ctr::archive::Decompressor dec(
        [&](void* buf, size_t n) {
            size_t k = std::min(n, a.size() - pos);
            std::memcpy(buf, a.data() + pos, k);
            pos += k;
            return k;
        },
        "test");
    CHECK(dec.compression() == "gzip");
    std::string back;
    char buf[65536];
    while (size_t n = dec.read(buf, sizeof buf)) back.append(buf, n);
    CHECK(back == input);
}
