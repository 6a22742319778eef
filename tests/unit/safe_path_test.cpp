// mkpath_in_root: its quick path (only the last component missing) and the
// walk it leaves the rest to must both keep everything inside the root.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "libcommon/runtime/safe_path.h"
#include "libcommon/sys/error.h"

namespace fs = std::filesystem;
using ctr::runtime::mkpath_in_root;

namespace {

struct TempRoot {
    fs::path outer, root;
    ctr::UniqueFd fd;
    TempRoot() {
        char tmpl[] = "/tmp/ctr-safe-path.XXXXXX";
        outer = mkdtemp(tmpl);
        root = outer / "root";
        fs::create_directories(root);
        fd.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    ~TempRoot() { fs::remove_all(outer); }
    // Where fd points, relative to the root ("" for the root itself).
    std::string where(const ctr::UniqueFd& f) const {
        std::string target = fs::read_symlink(ctr::runtime::fd_path(f.get())).string();
        std::string r = root.string();
        REQUIRE(target.compare(0, r.size(), r) == 0);
        return target.substr(r.size());
    }
};

}  // namespace

TEST_CASE("mkpath_in_root makes the last component under an existing parent") {
    TempRoot t;
    fs::create_directories(t.root / "dev");
    auto d = mkpath_in_root(t.fd.get(), "/dev/pts", false);
    CHECK(t.where(d) == "/dev/pts");
    CHECK(fs::is_directory(t.root / "dev/pts"));
    auto f = mkpath_in_root(t.fd.get(), "/dev/console", true);
    CHECK(fs::is_regular_file(t.root / "dev/console"));
    // Existing paths are opened as they are.
    CHECK(t.where(mkpath_in_root(t.fd.get(), "dev//pts/", false)) == "/dev/pts");
}

TEST_CASE("mkpath_in_root makes missing parents too") {
    TempRoot t;
    auto d = mkpath_in_root(t.fd.get(), "/a/b/c", false);
    CHECK(t.where(d) == "/a/b/c");
}

TEST_CASE("a symlinked parent is followed inside the root, never out of it") {
    TempRoot t;
    fs::create_symlink("/", t.root / "up");          // absolute: the container's /
    fs::create_symlink("../../..", t.root / "rel");  // climbs no higher than the root
    CHECK(t.where(mkpath_in_root(t.fd.get(), "/up/x", false)) == "/x");
    CHECK(t.where(mkpath_in_root(t.fd.get(), "/rel/y", false)) == "/y");
    CHECK_FALSE(fs::exists(t.outer / "x"));
    CHECK_FALSE(fs::exists(t.outer / "y"));
}

TEST_CASE("a dangling symlink as the last component is made inside the root") {
    TempRoot t;
    fs::create_directories(t.root / "etc");
    std::string outside = (t.outer / "escaped").string();
    fs::create_symlink(outside, t.root / "etc/link");  // points at the host path, read as a container path
    auto d = mkpath_in_root(t.fd.get(), "/etc/link", false);
    CHECK_FALSE(fs::exists(t.outer / "escaped"));
    CHECK(t.where(d) == outside);
    CHECK(fs::is_directory(t.root.string() + outside));
}

TEST_CASE("\"..\" as the last component stays inside the root") {
    TempRoot t;
    CHECK(t.where(mkpath_in_root(t.fd.get(), "/../..", false)) == "");
    CHECK(t.where(mkpath_in_root(t.fd.get(), "/m/n/..", false)) == "/m");
}

TEST_CASE("a file where a directory is needed is an error naming the path") {
    TempRoot t;
    { ctr::UniqueFd f(::open((t.root / "file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)); }
    try {
        mkpath_in_root(t.fd.get(), "/file/sub", false);
        FAIL("no throw");
    } catch (const ctr::Error& e) {
        CHECK(std::string(e.what()).find("/file") != std::string::npos);
    }
}
