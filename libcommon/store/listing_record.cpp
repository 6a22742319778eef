#include "libcommon/store/listing_record.h"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <vector>

#include <simdjson.h>

#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::store {

using nlohmann::json;

namespace {

// Top-level keys kept whole.
constexpr std::array<std::string_view, 8> kWhole = {"Id", "Name", "Created", "Image", "ImageRef", "Path", "Args", "Mounts"};

// Top-level objects of which only some keys are kept.
struct Part {
    std::string_view key;
    std::vector<std::string_view> keep;
};
const std::vector<Part>& parts() {
    static const std::vector<Part> p = {
        // What container::live_state() reads, and what it leaves that ps shows.
        {"State", {"Status", "Paused", "ExitCode", "StartedAt", "FinishedAt", "Pid", "PidStartTime", "MonitorPid",
                   "MonitorStartTime"}},
        {"Config", {"Labels", "ExposedPorts"}},
        {"HostConfig", {"NetworkMode"}},
        {"NetworkSettings", {"Ports"}},
    };
    return p;
}

bool kept_whole(std::string_view key) { return std::find(kWhole.begin(), kWhole.end(), key) != kWhole.end(); }

const Part* part_of(std::string_view key) {
    for (auto& p : parts())
        if (p.key == key) return &p;
    return nullptr;
}

bool kept_in(const Part& p, std::string_view key) { return std::find(p.keep.begin(), p.keep.end(), key) != p.keep.end(); }

// A simdjson value as nlohmann::json::parse would have made it: non-negative
// integers unsigned, negative ones signed, the rest doubles; later duplicate
// keys win.
json to_json(simdjson::dom::element e) {
    using T = simdjson::dom::element_type;
    switch (e.type()) {
    case T::ARRAY: {
        json a = json::array();
        simdjson::dom::array arr = e.get_array().value_unsafe();
        for (auto x : arr) a.push_back(to_json(x));
        return a;
    }
    case T::OBJECT: {
        json o = json::object();
        simdjson::dom::object obj = e.get_object().value_unsafe();
        for (auto field : obj) o[std::string(field.key)] = to_json(field.value);
        return o;
    }
    case T::INT64: {
        int64_t n = e.get_int64().value_unsafe();
        return n >= 0 ? json(static_cast<uint64_t>(n)) : json(n);
    }
    case T::UINT64: return e.get_uint64().value_unsafe();
    case T::DOUBLE: return e.get_double().value_unsafe();
    case T::STRING: return std::string(e.get_string().value_unsafe());
    case T::BOOL: return e.get_bool().value_unsafe();
    case T::NULL_VALUE: return nullptr;
    }
    return nullptr;
}

constexpr size_t kChunk = 64 * 1024;

}  // namespace

json listing_subset(const json& record) {
    if (!record.is_object()) return record;
    json out = json::object();
    for (auto& [k, v] : record.items()) {
        if (kept_whole(k)) {
            out[k] = v;
        } else if (auto* p = part_of(k)) {
            if (!v.is_object()) {
                out[k] = v;
                continue;
            }
            json o = json::object();
            for (auto& [nk, nv] : v.items())
                if (kept_in(*p, nk)) o[nk] = nv;
            out[k] = std::move(o);
        }
    }
    return out;
}

struct ListingReader::Impl {
    simdjson::dom::parser parser;
    std::string buf;  // the last file read, then SIMDJSON_PADDING spare bytes
    size_t len = 0;
};

ListingReader::ListingReader() : impl_(std::make_unique<Impl>()) {}
ListingReader::~ListingReader() = default;

std::optional<std::string_view> ListingReader::read(int dir_fd, const char* path, const std::string& shown) {
    UniqueFd fd(::openat(dir_fd, path, O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        throw_errno("open " + shown);
    }
    // A read shorter than asked for is the end of the file, which saves a
    // read() per record: records are replaced by rename, never written in
    // place, so an open one does not grow. Where a filesystem returns short
    // reads early, the text is cut, simdjson refuses it, and the caller's
    // full read (read_record) takes over.
    auto& buf = impl_->buf;
    size_t len = 0;
    while (true) {
        if (buf.size() < len + kChunk + simdjson::SIMDJSON_PADDING)
            buf.resize(std::max(2 * buf.size(), len + kChunk + simdjson::SIMDJSON_PADDING));
        size_t room = buf.size() - len - simdjson::SIMDJSON_PADDING;
        size_t n = read_some(fd.get(), buf.data() + len, room, shown);
        len += n;
        if (n < room) break;
    }
    impl_->len = len;
    return std::string_view(buf.data(), len);
}

std::optional<json> ListingReader::parse(std::string_view text) {
    // Text read by read() already has its padding; any other is copied.
    bool padded = text.data() == impl_->buf.data() && text.size() == impl_->len;
    // The parser's buffers grow to the largest record seen, by doubling: no
    // reallocation for every record a few bytes longer than the one before.
    auto& parser = impl_->parser;
    if (text.size() > parser.capacity() && parser.allocate(std::max(2 * text.size(), kChunk)) != simdjson::SUCCESS)
        return std::nullopt;
    simdjson::dom::element doc;
    if (parser.parse(text.data(), text.size(), !padded).get(doc) != simdjson::SUCCESS) return std::nullopt;
    if (!doc.is_object()) return to_json(doc);
    json out = json::object();
    simdjson::dom::object top = doc.get_object().value_unsafe();
    for (auto field : top) {
        std::string_view k = field.key;
        if (kept_whole(k)) {
            out[std::string(k)] = to_json(field.value);
        } else if (auto* p = part_of(k)) {
            if (!field.value.is_object()) {
                out[std::string(k)] = to_json(field.value);
                continue;
            }
            json o = json::object();
            simdjson::dom::object obj = field.value.get_object().value_unsafe();
            for (auto inner : obj)
                if (kept_in(*p, inner.key)) o[std::string(inner.key)] = to_json(inner.value);
            out[std::string(k)] = std::move(o);
        }
    }
    return out;
}

}  // namespace ctr::store
