#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "libcommon/archive/pack.h"
#include "libcommon/archive/stream.h"
#include "libcommon/sys/fd.h"

namespace fs = std::filesystem;
using namespace ctr::archive;

namespace {

struct Tree {
    std::string dir;
    Tree() {
        char tmpl[] = "/tmp/ctr-pack-test.XXXXXX";
        dir = ::mkdtemp(tmpl);
    }
    ~Tree() { fs::remove_all(dir); }
    void file(const std::string& rel, const std::string& content, mode_t mode = 0644) {
        fs::create_directories(fs::path(dir + "/" + rel).parent_path());
        std::ofstream(dir + "/" + rel) << content;
        ::chmod((dir + "/" + rel).c_str(), mode);
    }
    ctr::UniqueFd fd() const { return ctr::UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); }
};

struct Entry {
    std::string name;
    int type;
    std::string data;
    std::string link;
    int64_t mtime;
    unsigned perm;
};

std::vector<Entry> read_tar(const std::string& bytes) {
    size_t pos = 0;
    TarReader tar(
        [&](void* buf, size_t n) {
            size_t k = std::min(n, bytes.size() - pos);
            std::memcpy(buf, bytes.data() + pos, k);
            pos += k;
            return k;
        },
        "test tar");
    std::vector<Entry> out;
    while (auto* e = tar.next()) {
        Entry en{archive_entry_pathname(e), static_cast<int>(archive_entry_filetype(e)), "",
                 archive_entry_hardlink(e) ? archive_entry_hardlink(e)
                 : archive_entry_symlink(e) ? archive_entry_symlink(e)
                                            : "",
                 archive_entry_mtime(e), static_cast<unsigned>(archive_entry_perm(e))};
        const void* buf;
        size_t size;
        int64_t off;
        while (tar.read_block(&buf, &size, &off)) en.data.append(static_cast<const char*>(buf), size);
        out.push_back(en);
    }
    return out;
}

std::string pack(const Tree& t, PackOptions opts = {}, PackResult* res = nullptr) {
    std::string bytes;
    auto fd = t.fd();
    auto r = pack_dir(fd.get(), t.dir, [&](const void* d, size_t n) { bytes.append(static_cast<const char*>(d), n); },
                      opts);
    if (res) *res = r;
    return bytes;
}

}  // namespace

TEST_CASE("pack_dir: sorted entries, parents first, files, links") {
    Tree t;
    t.file("b/z.txt", "zz");
    t.file("b/a.txt", "aa", 0755);
    t.file("a", "top");
    ::symlink("b/a.txt", (t.dir + "/link").c_str());
    ::link((t.dir + "/a").c_str(), (t.dir + "/hard").c_str());
    PackResult r;
    auto bytes = pack(t, {}, &r);
    auto es = read_tar(bytes);
    REQUIRE(es.size() == 6);
    CHECK(es[0].name == "a");
    CHECK(es[0].data == "top");
    CHECK(es[1].name == "b/");
    CHECK(es[1].type == AE_IFDIR);
    CHECK(es[2].name == "b/a.txt");
    CHECK(es[2].perm == 0755);
    CHECK(es[3].name == "b/z.txt");
    CHECK(es[4].name == "hard");
    CHECK(es[4].link == "a");
    CHECK(es[5].name == "link");
    CHECK(es[5].type == AE_IFLNK);
    CHECK(es[5].link == "b/a.txt");
    CHECK(r.entries == 6);
    CHECK(r.size == bytes.size());
    CHECK(r.diff_id == ctr::oci::Digest::of(bytes));
}

TEST_CASE("pack_dir: overlay whiteouts and opaque directories become the spec's") {
    if (::geteuid() != 0) return;
    Tree t;
    ::mkdir((t.dir + "/etc").c_str(), 0755);
    REQUIRE(::mknod((t.dir + "/etc/gone").c_str(), S_IFCHR, makedev(0, 0)) == 0);
    ::mkdir((t.dir + "/opq").c_str(), 0700);
    REQUIRE(::setxattr((t.dir + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
    ::setxattr((t.dir + "/opq").c_str(), "trusted.overlay.origin", "junk", 4, 0);
    t.file("opq/new", "n");
    auto es = read_tar(pack(t));
    std::vector<std::string> names;
    for (auto& e : es) names.push_back(e.name);
    CHECK(names == std::vector<std::string>{"etc/", "etc/.wh.gone", "opq/", "opq/.wh..wh..opq", "opq/new"});
    CHECK(es[1].type == AE_IFREG);
    CHECK(es[2].perm == 0700);
}

TEST_CASE("pack_dir: the same tree gives the same bytes; SOURCE_DATE_EPOCH clamps mtimes") {
    Tree t;
    t.file("x/y", "data");
    auto one = pack(t);
    auto two = pack(t);
    CHECK(one == two);
    auto clamped = read_tar(pack(t, PackOptions{.clamp_mtime = 1000}));
    for (auto& e : clamped) CHECK(e.mtime == 1000);
    struct timespec old[2] = {{0, UTIME_OMIT}, {500, 0}};
    ::utimensat(AT_FDCWD, (t.dir + "/x/y").c_str(), old, 0);
    auto kept = read_tar(pack(t, PackOptions{.clamp_mtime = 1000}));
    CHECK(kept[1].mtime == 500);  // older than the clamp: kept as it is
}
