// Reading container.json quickly for listings (ctr-ps over thousands of
// containers): only the fields a listing shows or filters on are kept, and
// the file is parsed with simdjson, which validates the whole document at
// about a gigabyte a second, instead of building nlohmann's tree of all of it.
//
// The result is the same nlohmann value as listing_subset(json::parse(text)):
// same keys, same strings, same numbers. What simdjson refuses (corrupt
// text, but also a byte-order mark or integers past 64 bits, which nlohmann
// takes) is left to the caller's full parse, so an error reads as before.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ctr::store {

// The part of a container record that listings use: Id, Name, Created, Image,
// ImageRef, Path, Args, Mounts whole; of State what container::live_state()
// reads and ps shows (Status, Paused, ExitCode, StartedAt, FinishedAt, Pid,
// PidStartTime, MonitorPid, MonitorStartTime), of Config only Labels and
// ExposedPorts, of HostConfig only NetworkMode, of NetworkSettings only Ports
// (any of these four that is not an object is kept as it is).
nlohmann::json listing_subset(const nlohmann::json& record);

// One parser and one buffer, reused from record to record.
class ListingReader {
public:
    ListingReader();
    ~ListingReader();
    ListingReader(const ListingReader&) = delete;
    ListingReader& operator=(const ListingReader&) = delete;

    // Reads `path` (relative to dir_fd) whole (a short read ends it: see the
    // .cpp for why that is safe). nullopt if it does not exist
    // (ENOENT, ENOTDIR); throws ctr::Error naming `shown` on other errors.
    // The text stays in the reader until the next read.
    std::optional<std::string_view> read(int dir_fd, const char* path, const std::string& shown);
    // listing_subset() of the JSON document `text`, or nullopt when simdjson
    // refuses it (see above).
    std::optional<nlohmann::json> parse(std::string_view text);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ctr::store
