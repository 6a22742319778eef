#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "libcommon/store/fsutil.h"
#include "libcommon/store/store.h"
#include "libcommon/store/tmp.h"
#include "libcommon/sys/error.h"

using namespace ctr;
using oci::Digest;

namespace {

// A temporary store root, removed at the end of the test.
struct TempRoot {
    std::string path;
    TempRoot() {
        char tmpl[] = "/tmp/ctr-unit.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempRoot() { store::remove_tree(path); }
};

// A tar (gzip if asked) made in memory: entries are (name, type, content/target).
struct TarEntry {
    std::string name;
    int type;
    std::string data;
    bool hardlink = false;
};

std::string make_tar(const std::vector<TarEntry>& entries, bool gzip) {
    std::string out;
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gzip) archive_write_add_filter_gzip(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(
        a, &out, nullptr,
        [](struct archive*, void* o, const void* buf, size_t n) -> la_ssize_t {
            static_cast<std::string*>(o)->append(static_cast<const char*>(buf), n);
            return static_cast<la_ssize_t>(n);
        },
        nullptr);
    for (auto& t : entries) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, t.name.c_str());
        archive_entry_set_filetype(e, static_cast<unsigned>(t.type));
        archive_entry_set_perm(e, t.type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_uid(e, 1000);
        archive_entry_set_gid(e, 1001);
        archive_entry_set_mtime(e, 1000000000, 0);
        if (t.hardlink) {
            archive_entry_set_hardlink(e, t.data.c_str());
            archive_entry_set_size(e, 0);
        } else if (t.type == AE_IFLNK) {
            archive_entry_set_symlink(e, t.data.c_str());
        } else if (t.type == AE_IFREG) {
            archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
        } else if (t.type == AE_IFCHR) {
            archive_entry_set_rdev(e, makedev(1, 3));
        }
        if (t.name == "file") archive_entry_xattr_add_entry(e, "user.test", "v", 1);
        archive_write_header(a, e);
        if (t.type == AE_IFREG && !t.hardlink) archive_write_data(a, t.data.data(), t.data.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
}


// Stores a one-layer image made of `entries` and returns it resolved.
store::Image add_test_image(const store::Store& s, const std::vector<TarEntry>& entries, const std::string& tag) {
    std::string tar = make_tar(entries, false);
    std::string tgz = make_tar(entries, true);
    auto layer = s.write_blob(tgz, "application/vnd.oci.image.layer.v1.tar+gzip");
    nlohmann::json cfg = {{"architecture", "amd64"}, {"os", "linux"}, {"created", "2024-01-01T00:00:00Z"},
                          {"rootfs", {{"type", "layers"}, {"diff_ids", {Digest::of(tar).str()}}}}};
    auto cdesc = s.write_blob(cfg.dump(), "application/vnd.oci.image.config.v1+json");
    auto m = oci::Manifest::make(cdesc, {layer});
    std::vector<oci::Reference> tags;
    if (!tag.empty()) tags.push_back(oci::Reference::parse(tag));
    auto entry = s.add_image(m.serialize(), m.media_type, tags);
    return s.load_image(entry);
}

}  // namespace

TEST_CASE("a new store is an OCI layout") {
    TempRoot r;
    auto s = store::Store::open(r.path);
    CHECK(store::read_file(r.path + "/oci/oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
    CHECK(s.read_index().manifests.empty());
    CHECK(store::path_exists(r.path + "/oci/blobs/sha256"));
    CHECK(store::path_exists(r.path + "/tmp"));
}

TEST_CASE("blobs are written by digest and verified when read") {
    TempRoot r;
    auto s = store::Store::open(r.path);
    auto d = s.write_blob("hello", "text/plain");
    CHECK(d.digest == Digest::of("hello"));
    CHECK(d.size == 5);
    CHECK(s.has_blob(d.digest));
    CHECK(s.read_blob(d.digest, 5) == "hello");

    // A streaming writer refuses content that doesn't match what was expected.
    auto w = s.new_blob(Digest::of("other"), 5);
    w.write("hello");
    CHECK_THROWS_WITH_AS(w.commit("x"), doctest::Contains("does not match its digest"), Error);

    // Corruption on disk is reported on use.
    {
        std::ofstream f(s.blob_path(d.digest), std::ios::trunc);
        f << "jello";
    }
    CHECK_THROWS_WITH_AS(s.read_blob(d.digest, 5), doctest::Contains("is corrupt"), Error);
    CHECK_THROWS_WITH_AS(s.read_blob(Digest::of("nope")), doctest::Contains("is missing from the store"), Error);
}

TEST_CASE("abandoned temp files are cleaned, held ones are not") {
    TempRoot r;
    auto s = store::Store::open(r.path);
    {
        store::TempFile held(s.tmp_dir(), "blob");
        std::ofstream(s.tmp_dir() + "/blob-crashed") << "x";
        CHECK(store::clean_tmp(s.tmp_dir()) == 1);
        CHECK(store::path_exists(held.path()));
    }
    CHECK(store::clean_tmp(s.tmp_dir()) == 0);
}

TEST_CASE("tags move between images; the old one stays untagged") {
    TempRoot r;
    auto s = store::Store::open(r.path);
    auto a = add_test_image(s, {{"a", AE_IFREG, "A"}}, "app:1");
    CHECK(s.resolve("app:1").id() == a.id());
    CHECK(s.resolve(a.id().hex().substr(0, 12)).id() == a.id());
    CHECK(s.resolve(a.id().str()).id() == a.id());
    CHECK_THROWS_WITH_AS(s.resolve("app"), "No such image: app:latest", Error);

    auto b = add_test_image(s, {{"b", AE_IFREG, "B"}}, "app:1");
    CHECK(s.resolve("app:1").id() == b.id());
    auto images = s.list_images();
    REQUIRE(images.size() == 2);
    CHECK(images[0].id() == a.id());
    CHECK(images[0].tags.empty());
    CHECK(images[1].tags == std::vector<std::string>{"app:1"});

    s.tag(images[1].entry, oci::Reference::parse("other"));
    CHECK(s.resolve("other:latest").id() == b.id());
    CHECK(s.resolve("app:1").tags.size() == 2);
    CHECK(s.untag(oci::Reference::parse("app:1")));
    CHECK_FALSE(s.untag(oci::Reference::parse("app:1")));
    CHECK(s.resolve("other").tags == std::vector<std::string>{"other:latest"});
}

TEST_CASE("removing an image deletes its blobs unless shared") {
    TempRoot r;
    auto s = store::Store::open(r.path);
    auto a = add_test_image(s, {{"a", AE_IFREG, "A"}}, "a");
    auto b = add_test_image(s, {{"a", AE_IFREG, "A"}, {"x", AE_IFREG, "X"}}, "b");
    s.remove_image(s.resolve("a"));
    CHECK_FALSE(s.has_blob(a.manifest.config.digest));
    CHECK_FALSE(s.has_blob(a.manifest.layers[0].digest));
    CHECK(s.has_blob(b.manifest.layers[0].digest));
    CHECK_THROWS_AS(s.resolve("a"), Error);
    // Garbage: a blob nothing references.
    s.write_blob("orphan", "text/plain");
    CHECK(s.collect_garbage() == 6);
    CHECK(s.resolve("b").id() == b.id());
}

TEST_CASE("a malformed index.json is reported, not overwritten") {
    TempRoot r;
    auto s = store::Store::open(r.path);
    std::ofstream(s.index_path(), std::ios::trunc) << "{not json";
    CHECK_THROWS_WITH_AS(s.list_images(), doctest::Contains("index.json: malformed JSON"), Error);
    CHECK_THROWS_AS(s.tag({}, oci::Reference::parse("x")), Error);
    CHECK(store::read_file(s.index_path()) == "{not json");
}

TEST_CASE("a layer is unpacked once, for overlay, keeping metadata") {
    TempRoot r;
    auto s = store::Store::open(r.path);
    auto img = add_test_image(s,
                              {{"./", AE_IFDIR, ""},
                               {"dir/", AE_IFDIR, ""},
                               {"file", AE_IFREG, "content"},
                               {"dir/link", AE_IFLNK, "../file"},
                               {"dir/hard", AE_IFREG, "file", true},
                               {"dev/null", AE_IFCHR, ""},
                               {"dir/.wh.gone", AE_IFREG, ""},
                               {"opq/.wh..wh..opq", AE_IFREG, ""}},
                              "layered");
    auto layers = img.layers();
    REQUIRE(layers.size() == 1);
    std::string dir = s.unpack_layer(layers[0]);
    CHECK(dir == s.layers_dir() + "/" + layers[0].diff_id.hex());
    struct stat st;
    REQUIRE(::lstat((dir + "/file").c_str(), &st) == 0);
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(st.st_mtime == 1000000000);
    CHECK(st.st_nlink == 2);
    char v[8] = {};
    CHECK(::getxattr((dir + "/file").c_str(), "user.test", v, sizeof v) == 1);
    CHECK(store::read_file(dir + "/dir/hard") == "content");
    char target[64] = {};
    CHECK(::readlink((dir + "/dir/link").c_str(), target, sizeof target) == 7);
    REQUIRE(::lstat((dir + "/dev/null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(1, 3));
    REQUIRE(::lstat((dir + "/dir/gone").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
    CHECK_FALSE(store::path_exists(dir + "/dir/.wh.gone"));
    char o[4] = {};
    CHECK(::getxattr((dir + "/opq").c_str(), "trusted.overlay.opaque", o, sizeof o) == 1);
    CHECK(o[0] == 'y');
    REQUIRE(::lstat((dir + "/dir").c_str(), &st) == 0);
    CHECK(st.st_mtime == 1000000000);
    // Again: nothing to do, same directory.
    CHECK(s.unpack_layer(layers[0]) == dir);
}

TEST_CASE("hostile layers are refused and leave nothing in layers/") {
    TempRoot r;
    auto s = store::Store::open(r.path);
    std::vector<std::vector<TarEntry>> bad = {
        {{"../escape", AE_IFREG, "x"}},
        {{"/abs", AE_IFREG, "x"}},
        {{"evil", AE_IFLNK, "/etc"}, {"evil/passwd", AE_IFREG, "x"}},
        {{"up", AE_IFLNK, "../.."}, {"up/x", AE_IFREG, "x"}},
        {{"hl", AE_IFREG, "../../etc/passwd", true}},
    };
    for (auto& entries : bad) {
        auto img = add_test_image(s, entries, "");
        CHECK_THROWS_AS(s.unpack_layer(img.layers()[0]), Error);
        CHECK_FALSE(store::path_exists(s.layer_path(img.layers()[0].diff_id)));
    }
    CHECK(store::clean_tmp(s.tmp_dir()) == 0);
    CHECK_FALSE(store::path_exists(r.path + "/escape"));
}
