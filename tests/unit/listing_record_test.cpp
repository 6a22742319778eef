#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "libcommon/store/container_list.h"
#include "libcommon/store/containers.h"
#include "libcommon/store/listing_record.h"
#include "libcommon/sys/error.h"

using nlohmann::json;

namespace {

// A record as ctr-create and the monitor write it (dump(2)), with the parts
// a listing never reads.
const char* kRecord = R"({
  "AnonymousVolumes": ["v1"],
  "Args": ["-c", "echo h\u00e9llo \ud83d\ude00; sleep 1"],
  "Config": {"AttachStdout": true, "Cmd": ["sh"], "Env": ["PATH=/bin"], "ExposedPorts": {"80/tcp": {}},
             "Labels": {"tier": "web", "n": 3, "list": [1, {"a": null}]}, "Tty": false},
  "Created": "2026-01-01T11:55:00.123456789Z",
  "Driver": "overlay",
  "GraphDriver": {"Data": {"LowerDir": "/x"}, "Name": "overlay"},
  "HostConfig": {"Binds": ["/a:/b"], "Memory": 1048576, "NanoCpus": 1.5e9, "NetworkMode": "private",
                 "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8081"}]}},
  "Id": "aaaa000000000000000000000000000000000000000000000000000000000001",
  "Image": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
  "ImageRef": "busybox",
  "LogPath": "/var/lib/ctr/containers/aaaa/log.json",
  "Mounts": [{"Destination": "/data", "Name": "v1", "RW": true, "Source": "/v/_data", "Type": "volume"}],
  "Name": "web",
  "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8081"}]}, "SandboxKey": "/proc/1/ns/net"},
  "Path": "sh",
  "RestartCount": 0,
  "State": {"ExitCode": -1, "FinishedAt": "0001-01-01T00:00:00Z", "MonitorPid": 0, "MonitorStartTime": 0,
            "Paused": false, "Pid": 4294967296, "PidStartTime": 18446744073709551615, "Running": true,
            "StartedAt": "2026-01-01T11:59:56Z", "Status": "running", "Ratio": 0.25, "Neg": -0.5e-3}
})";

ctr::store::ListingReader& reader() {
    static ctr::store::ListingReader r;
    return r;
}

// The fast path gives exactly what nlohmann's full parse, cut down, gives.
void check_same(const std::string& text) {
    auto fast = reader().parse(text);
    REQUIRE(fast.has_value());
    auto slow = ctr::store::listing_subset(json::parse(text));
    CHECK(*fast == slow);
    CHECK(fast->dump() == slow.dump());
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/ctr-unit-listing.XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    void write(const std::string& rel, const std::string& text) const {
        std::filesystem::create_directories(std::filesystem::path(path + "/" + rel).parent_path());
        std::ofstream(path + "/" + rel) << text;
    }
};

}  // namespace

TEST_CASE("listing_subset keeps what ctr-ps reads, and only that") {
    auto s = ctr::store::listing_subset(json::parse(kRecord));
    for (const char* k : {"Id", "Name", "Created", "Image", "ImageRef", "Path", "Args", "Mounts"})
        CHECK(s[k] == json::parse(kRecord)[k]);
    CHECK(s["State"] == json::parse(R"({"ExitCode": -1, "FinishedAt": "0001-01-01T00:00:00Z", "MonitorPid": 0,
        "MonitorStartTime": 0, "Paused": false, "Pid": 4294967296, "PidStartTime": 18446744073709551615,
        "StartedAt": "2026-01-01T11:59:56Z", "Status": "running"})"));
    CHECK(s["Config"] == json::parse(R"({"ExposedPorts": {"80/tcp": {}},
                                         "Labels": {"tier": "web", "n": 3, "list": [1, {"a": null}]}})"));
    CHECK(s["HostConfig"] == json{{"NetworkMode", "private"}});
    CHECK(s["NetworkSettings"] == json::parse(R"({"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8081"}]}})"));
    for (const char* k : {"AnonymousVolumes", "Driver", "GraphDriver", "LogPath", "RestartCount"}) CHECK(!s.contains(k));
    // Not objects: kept as they are, so callers' is_object() checks see the same.
    auto odd = ctr::store::listing_subset(json::parse(R"({"Config": "x", "HostConfig": [1], "Other": 1})"));
    CHECK(odd == json::parse(R"({"Config": "x", "HostConfig": [1]})"));
    CHECK(ctr::store::listing_subset(json::parse("[1, 2]")) == json::parse("[1, 2]"));
}

TEST_CASE("ListingReader::parse gives nlohmann's values: strings, escapes, numbers, duplicates") {
    check_same(kRecord);
    check_same(json::parse(kRecord).dump());  // compact, as well as indented
    check_same(R"({"Name": "a", "Name": "b", "Config": {"Labels": {"x": "1"}}, "Config": {"Labels": {"x": "2", "x": "3"}}})");
    check_same(R"({"Config": "x", "HostConfig": [1, 2], "NetworkSettings": null, "State": {}})");
    check_same(R"({"State": {"ExitCode": 0, "Pid": -0, "A": 1E2, "B": -9223372036854775808, "C": 18446744073709551615}})");
    check_same(R"({"Name": "tab\there \"q\" \\ \/ \b\f\n\r \u0000 \u20ac"})");
    check_same("[1, \"two\", {\"Name\": 3}]");
    check_same("{}");
}

TEST_CASE("ListingReader::parse leaves to nlohmann what simdjson refuses") {
    CHECK_FALSE(reader().parse("{\"Id\": ").has_value());
    CHECK_FALSE(reader().parse("").has_value());
    CHECK_FALSE(reader().parse("{\"a\": 1} x").has_value());
    // nlohmann takes these two; the caller's full parse then lists them as before.
    CHECK_FALSE(reader().parse("\xEF\xBB\xBF{\"Name\": \"bom\"}").has_value());
    CHECK_NOTHROW(json::parse("\xEF\xBB\xBF{\"Name\": \"bom\"}"));
    CHECK_FALSE(reader().parse(R"({"State": {"Pid": 123456789012345678901234567890}})").has_value());
    // and the reader still works afterwards
    check_same(kRecord);
}

TEST_CASE("ListingReader::read: whole files of any size, nullopt when missing") {
    TempDir d;
    std::string big = R"({"Name": ")" + std::string(300000, 'x') + "\"}";
    d.write("a/container.json", big);
    d.write("b/container.json", kRecord);
    int fd = ::open(d.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    ctr::store::ListingReader r;
    auto text = r.read(fd, "a/container.json", "shown");
    REQUIRE(text);
    CHECK(*text == big);
    CHECK((*r.parse(*text))["Name"].get<std::string>().size() == 300000);
    text = r.read(fd, "b/container.json", "shown");
    REQUIRE(text);
    CHECK(*text == kRecord);
    CHECK(*r.parse(*text) == ctr::store::listing_subset(json::parse(kRecord)));
    CHECK_FALSE(r.read(fd, "c/container.json", "shown").has_value());
    CHECK_FALSE(r.read(fd, "b/container.json/x", "shown").has_value());
    CHECK_THROWS_WITH_AS(r.read(fd, "a", "the/shown/path"), doctest::Contains("the/shown/path"), ctr::Error);
    ::close(fd);
}

TEST_CASE("load_containers: Listing views hold the listing subset of what All views hold") {
    TempDir d;
    auto rec = json::parse(kRecord);
    for (int i = 0; i < 3; i++) {
        std::string id = std::string(63, 'a') + std::to_string(i);
        rec["Id"] = id;
        rec["Created"] = "2026-01-01T11:5" + std::to_string(i) + ":00Z";
        d.write(id + "/container.json", i == 1 ? "\xEF\xBB\xBF" + rec.dump(2) : rec.dump(2));
    }
    d.write(std::string(63, 'b') + "9/container.json", "{\"Id\": ");  // corrupt: skipped
    d.write(std::string(63, 'c') + "9/config.json", "{}");             // no record: not a container
    d.write("short/container.json", "{}");                            // not an id
    auto all = ctr::store::load_containers(d.path, ctr::store::RecordFields::All);
    auto listing = ctr::store::load_containers(d.path, ctr::store::RecordFields::Listing);
    REQUIRE(all.size() == 3);
    REQUIRE(listing.size() == 3);
    for (size_t i = 0; i < all.size(); i++) {
        CHECK(listing[i].id == all[i].id);
        CHECK(listing[i].dir == all[i].dir);
        CHECK(listing[i].created == all[i].created);
        // The state holds less (no Running, Error…), but what ps shows of it is the same.
        for (const char* k : {"Status", "Paused", "ExitCode", "StartedAt", "FinishedAt", "MonitorAlive"})
            CHECK(listing[i].state[k] == all[i].state[k]);
        CHECK(ctr::store::ps_row(listing[i], 1767268800, false, std::nullopt) ==
              ctr::store::ps_row(all[i], 1767268800, false, std::nullopt));
        CHECK(listing[i].record == ctr::store::listing_subset(all[i].record));
    }
    CHECK(all[0].id.back() == '2');  // newest first
}
