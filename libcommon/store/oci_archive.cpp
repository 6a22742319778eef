// Loading and saving OCI image layout archives (what docker load / save,
// skopeo's oci-archive: and containerd's ctr image import/export exchange).
#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <set>

#include "libcommon/archive/path.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/import.h"
#include "libcommon/sys/error.h"

namespace ctr::store {

using nlohmann::json;

namespace {

std::string read_entry_data(archive::TarReader& tar, const std::string& what, size_t max) {
    std::string out;
    const void* buf;
    size_t size;
    int64_t off;
    while (tar.read_block(&buf, &size, &off)) {
        out.append(static_cast<const char*>(buf), size);
        if (out.size() > max) throw Error(tar.name() + ": " + what + " is too large");
    }
    return out;
}

// The tag an archive gives an index.json entry, as "name:tag", or "".
std::string archive_tag(const oci::Descriptor& d, const std::optional<oci::Reference>& fallback_repo) {
    std::string full = d.annotation(oci::annotation::kContainerdName);
    if (!full.empty())
        if (auto r = oci::Reference::try_parse(full); r && !r->tag.empty()) return r->tag_name();
    std::string ref = d.annotation(oci::annotation::kRefName);
    if (ref.empty()) return "";
    if (ref.find_first_of(":/") != std::string::npos) {
        if (auto r = oci::Reference::try_parse(ref); r && !r->tag.empty()) return r->tag_name();
        return "";
    }
    // A bare tag ("latest", "1.0"), as the image spec suggests: it needs a repository.
    if (fallback_repo && oci::is_valid_tag(ref)) return fallback_repo->repository() + ":" + ref;
    return "";
}

}  // namespace

namespace {
std::vector<LoadedImage> load_layout_tar(const Store& store, archive::Source input, const std::string& name,
                                         const std::optional<oci::Reference>& tag, std::vector<oci::Digest>& loaded);
}  // namespace

std::vector<LoadedImage> load_oci_archive(const Store& store, archive::Source input, const std::string& name,
                                          const std::optional<oci::Reference>& tag) {
    auto hold = store.hold();
    std::vector<oci::Digest> loaded;  // taken back if the load fails (unless referenced)
    try {
        return load_layout_tar(store, std::move(input), name, tag, loaded);
    } catch (...) {
        store.discard_blobs(loaded, hold);
        throw;
    }
}

namespace {

std::vector<LoadedImage> load_layout_tar(const Store& store, archive::Source input, const std::string& name,
                                         const std::optional<oci::Reference>& tag, std::vector<oci::Digest>& loaded) {
    archive::Decompressor dec(std::move(input), name);
    if (dec.empty()) throw Error(name + ": empty input");
    archive::TarReader tar([&dec](void* b, size_t n) { return dec.read(b, n); }, name);
    std::optional<std::string> index_raw;
    bool layout = false;
    while (auto* e = tar.next()) {
        std::string path;
        try {
            path = archive::clean_entry_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        } catch (const Error& err) {
            throw Error(name + ": " + err.what());
        }
        if (archive_entry_filetype(e) == AE_IFDIR) continue;
        if (path == "oci-layout") {
            auto j = json::parse(read_entry_data(tar, "oci-layout", 1 << 16), nullptr, false);
            if (!j.is_object() || !j.contains("imageLayoutVersion"))
                throw Error(name + ": oci-layout: not an OCI layout header");
            layout = true;
        } else if (path == "index.json") {
            index_raw = read_entry_data(tar, "index.json", 64 << 20);
        } else if (path.starts_with("blobs/")) {
            std::string rest = path.substr(6);
            if (!rest.starts_with("sha256/") || !oci::is_sha256_hex(rest.substr(7)))
                throw Error(name + ": " + path + ": unsupported blob name (want blobs/sha256/<64 hex>)");
            auto digest = oci::Digest::from_hex(rest.substr(7));
            if (archive_entry_filetype(e) != AE_IFREG) throw Error(name + ": " + path + ": not a regular file");
            auto w = store.new_blob(digest, archive_entry_size(e));
            const void* buf;
            size_t size;
            int64_t off;
            while (tar.read_block(&buf, &size, &off)) w.write(buf, size);
            try {
                w.commit("");
                loaded.push_back(digest);
            } catch (const Error& err) {
                throw Error(name + ": " + path + ": " + err.what());
            }
        }
    }
    tar.drain();
    if (!index_raw) throw Error(name + ": not an OCI layout archive (it has no index.json)");
    if (!layout) throw Error(name + ": not an OCI layout archive (it has no oci-layout)");
    auto idx = oci::Index::parse(*index_raw, name + ": index.json");
    if (idx.manifests.empty()) throw Error(name + ": index.json lists no images");

    // Group the entries by manifest, gathering their tags.
    std::vector<std::pair<oci::Descriptor, std::vector<oci::Reference>>> entries;
    for (auto& d : idx.manifests) {
        auto it = std::find_if(entries.begin(), entries.end(), [&](auto& p) { return p.first.digest == d.digest; });
        if (it == entries.end()) {
            entries.push_back({d, {}});
            it = entries.end() - 1;
        }
        std::string t = archive_tag(d, tag);
        if (!t.empty()) it->second.push_back(oci::Reference::parse(t));
    }
    if (tag && !tag->tag.empty() && entries.size() == 1) entries[0].second = {*tag};

    std::vector<LoadedImage> out;
    for (auto& [d, tags] : entries) {
        if (!store.has_blob(d.digest)) throw Error(name + ": index.json names " + d.digest.str() + ", which is not in the archive");
        std::string raw = store.read_blob(d.digest, d.size);
        std::string media = d.media_type;
        if (media.empty()) {
            auto j = json::parse(raw, nullptr, false);
            media = j.is_object() && j.contains("manifests") ? std::string(oci::media::kIndex)
                                                              : std::string(oci::media::kManifest);
        }
        try {
            auto entry = store.add_image(raw, media, tags);
            Image img = store.load_image(entry);
            LoadedImage li{img.id(), {}};
            for (auto& t : tags) li.tags.push_back(t.tag_name());
            out.push_back(li);
        } catch (const Error& err) {
            throw Error(name + ": " + err.what());
        }
    }
    return out;
}

}  // namespace

namespace {

struct ArchiveWriteDeleter {
    void operator()(struct archive* a) const { archive_write_free(a); }
};

// A tar being written to a file descriptor.
class TarWriter {
public:
    TarWriter(int fd, std::string name) : fd_(fd), name_(std::move(name)), a_(archive_write_new()) {
        archive_write_set_format_pax_restricted(a_.get());
        archive_write_set_bytes_per_block(a_.get(), 10240);
        if (archive_write_open(a_.get(), this, nullptr, write_cb, nullptr) != ARCHIVE_OK) fail();
    }
    void add_dir(const std::string& path) { header(path, AE_IFDIR, 0755, 0); }
    void add_file(const std::string& path, std::string_view data) {
        header(path, AE_IFREG, 0644, static_cast<int64_t>(data.size()));
        data_(data.data(), data.size());
    }
    void add_blob(const std::string& path, BlobReader& r) {
        header(path, AE_IFREG, 0644, r.file_size());
        std::vector<char> buf(1 << 20);
        while (size_t n = r.read(buf.data(), buf.size())) data_(buf.data(), n);
    }
    void close() {
        if (archive_write_close(a_.get()) != ARCHIVE_OK) fail();
    }

private:
    static la_ssize_t write_cb(struct archive*, void* self, const void* buf, size_t n) {
        auto* w = static_cast<TarWriter*>(self);
        try {
            write_all(w->fd_, buf, n, w->name_);
        } catch (const Error& e) {
            w->error_ = e.what();
            return -1;
        }
        return static_cast<la_ssize_t>(n);
    }
    void header(const std::string& path, unsigned type, unsigned mode, int64_t size) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, path.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, mode);
        archive_entry_set_size(e, size);
        archive_entry_set_mtime(e, 0, 0);
        int r = archive_write_header(a_.get(), e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK) fail();
    }
    void data_(const void* buf, size_t n) {
        if (archive_write_data(a_.get(), buf, n) < 0) fail();
    }
    [[noreturn]] void fail() {
        if (!error_.empty()) throw Error(error_);
        throw Error(name_ + ": " + (archive_error_string(a_.get()) ? archive_error_string(a_.get()) : "write failed"));
    }

    int fd_;
    std::string name_;
    std::string error_;
    std::unique_ptr<struct archive, ArchiveWriteDeleter> a_;
};

}  // namespace

void save_oci_archive(const Store& store, const std::vector<std::pair<Image, std::vector<std::string>>>& images,
                      int fd, const std::string& name) {
    oci::Index idx;
    std::vector<oci::Descriptor> blobs;
    std::set<oci::Digest> seen;
    auto add_blob = [&](const oci::Descriptor& d) {
        if (seen.insert(d.digest).second) blobs.push_back(d);
    };
    for (auto& [img, tags] : images) {
        oci::Descriptor m = img.manifest_desc;
        m.annotations.clear();
        m.platform.reset();
        add_blob(m);
        add_blob(img.manifest.config);
        for (auto& l : img.manifest.layers) add_blob(l);
        if (tags.empty() &&
            std::none_of(idx.manifests.begin(), idx.manifests.end(), [&](auto& x) { return x.digest == m.digest; }))
            idx.manifests.push_back(m);
        for (auto& t : tags) {
            oci::Descriptor tagged = m;
            tagged.annotations[std::string(oci::annotation::kRefName)] = t;
            tagged.annotations[std::string(oci::annotation::kContainerdName)] = oci::Reference::parse(t).full_name();
            idx.manifests.push_back(tagged);
        }
    }
    TarWriter w(fd, name);
    w.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    w.add_file("index.json", idx.serialize());
    w.add_dir("blobs/");
    w.add_dir("blobs/sha256/");
    for (auto& b : blobs) {
        auto r = store.open_blob(b.digest, b.size);
        w.add_blob("blobs/sha256/" + b.digest.hex(), r);
    }
    w.close();
}

}  // namespace ctr::store
