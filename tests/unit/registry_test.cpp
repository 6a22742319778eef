#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "libcommon/registry/auth_file.h"
#include "libcommon/registry/challenge.h"
#include "libcommon/registry/http.h"
#include "libcommon/registry/platform.h"
#include "libcommon/registry/progress.h"
#include "libcommon/registry/reference.h"
#include "libcommon/registry/registries_conf.h"
#include "libcommon/sys/error.h"

using namespace ctr::registry;

TEST_CASE("references normalize as docker does") {
    Reference r = parse_reference("alpine");
    CHECK(r.domain == "docker.io");
    CHECK(r.path == "library/alpine");
    CHECK(r.tag == "latest");
    CHECK(r.digest.empty());
    CHECK_FALSE(r.qualified);
    CHECK(r.str() == "docker.io/library/alpine:latest");
    CHECK(r.familiar() == "alpine:latest");

    CHECK(parse_reference("user/app:1.2").str() == "docker.io/user/app:1.2");
    CHECK(parse_reference("user/app:1.2").familiar() == "user/app:1.2");
    CHECK(parse_reference("docker.io/alpine").str() == "docker.io/library/alpine:latest");
    CHECK(parse_reference("index.docker.io/library/alpine:3").str() == "docker.io/library/alpine:3");

    Reference local = parse_reference("localhost:5000/app");
    CHECK(local.domain == "localhost:5000");
    CHECK(local.path == "app");
    CHECK(local.qualified);
    CHECK(local.str() == "localhost:5000/app:latest");
    CHECK(local.familiar() == "localhost:5000/app:latest");

    CHECK(parse_reference("localhost/app").domain == "localhost");
    CHECK(parse_reference("127.0.0.1:5000/a/b/c:v1").path == "a/b/c");
    CHECK(parse_reference("[::1]:5000/app").domain == "[::1]:5000");
    CHECK(parse_reference("Registry/app").domain == "Registry");

    std::string hex(64, 'a');
    Reference d = parse_reference("quay.io/x/y@sha256:" + hex);
    CHECK(d.tag.empty());
    CHECK(d.digest == "sha256:" + hex);
    CHECK(d.manifest_ref() == "sha256:" + hex);
    CHECK(d.str() == "quay.io/x/y@sha256:" + hex);

    Reference both = parse_reference("app:1@sha256:" + hex);
    CHECK(both.tag == "1");
    CHECK(both.digest == "sha256:" + hex);
    CHECK(both.manifest_ref() == "sha256:" + hex);
    CHECK(both.str() == "docker.io/library/app:1@sha256:" + hex);
}

TEST_CASE("bad references are refused with the reason") {
    auto why = [](const std::string& s) {
        try {
            parse_reference(s);
        } catch (const ctr::Error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(why("") .find("empty") != std::string::npos);
    CHECK(why("Alpine").find("lowercase") != std::string::npos);
    CHECK(why("alpine:") .find("malformed tag") != std::string::npos);
    CHECK(why("alpine:-x").find("malformed tag") != std::string::npos);
    CHECK(why("alpine@sha256:abc").find("malformed digest") != std::string::npos);
    CHECK(why("a//b").find("empty path component") != std::string::npos);
    CHECK(why("host:5000/").find("no repository") != std::string::npos);
    CHECK(why(std::string(64, 'b')).find("image id") != std::string::npos);
    CHECK(why("a__-b") != "accepted");
    CHECK(why("a..b") != "accepted");
    CHECK(why("a__b") == "accepted");
    CHECK(why("a-----b.c_d") == "accepted");
    CHECK(why("host:5000/app:" + std::string(129, 't')).find("malformed tag") != std::string::npos);
}

TEST_CASE("tags and digests") {
    CHECK(valid_tag("latest"));
    CHECK(valid_tag("_x.Y-1"));
    CHECK_FALSE(valid_tag(".x"));
    CHECK_FALSE(valid_tag("a/b"));
    CHECK(valid_digest("sha256:" + std::string(64, '0')));
    CHECK_FALSE(valid_digest("sha256:" + std::string(63, '0')));
    CHECK_FALSE(valid_digest("sha256:" + std::string(64, 'A')));
    CHECK_FALSE(valid_digest(std::string(64, '0')));
}

TEST_CASE("WWW-Authenticate challenges") {
    Challenge b = parse_challenge(
        R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
    CHECK(b.scheme == "bearer");
    CHECK(b.param("realm") == "https://auth.example/token");
    CHECK(b.param("service") == "registry.example");
    CHECK(b.param("scope") == "repository:a/b:pull,push");
    Challenge basic = parse_challenge(R"(Basic realm="basic-realm")");
    CHECK(basic.scheme == "basic");
    CHECK(basic.param("realm") == "basic-realm");
    Challenge e = parse_challenge(R"(Bearer realm="r", error="insufficient_scope", x=unquoted )");
    CHECK(e.param("error") == "insufficient_scope");
    CHECK(e.param("x") == "unquoted");
    CHECK(parse_challenge("").scheme.empty());
}

TEST_CASE("registries.conf: search list, prefixes, mirrors, blocked") {
    auto conf = RegistriesConf::parse(R"(
unqualified-search-registries = ["127.0.0.1:5000", "docker.io"]

[[registry]]
location = "127.0.0.1:5000"
insecure = true

[[registry]]
prefix = "example.com/team"
location = "internal.example:5000/mirror/team"
[[registry.mirror]]
location = "cache.example:6000/team"
insecure = true
[[registry.mirror]]
location = "digests.example/team"
pull-from-mirror = "digest-only"

[[registry]]
location = "evil.example"
blocked = true

[[registry]]
prefix = "*.corp.example"
insecure = true
)",
                                      "test.conf");
    CHECK(conf.search_registries() == std::vector<std::string>{"127.0.0.1:5000", "docker.io"});
    CHECK(conf.insecure("127.0.0.1:5000"));
    CHECK_FALSE(conf.insecure("127.0.0.1:50000"));
    CHECK(conf.insecure("a.corp.example"));
    CHECK_FALSE(conf.insecure("corp.example"));

    auto eps = conf.pull_endpoints(parse_reference("example.com/team/app:1"));
    REQUIRE(eps.size() == 2);
    CHECK(eps[0].mirror);
    CHECK(eps[0].insecure);
    CHECK(eps[0].ref.str() == "cache.example:6000/team/app:1");
    CHECK(eps[1].ref.str() == "internal.example:5000/mirror/team/app:1");
    CHECK_FALSE(eps[1].insecure);

    std::string hex(64, 'c');
    CHECK(conf.pull_endpoints(parse_reference("example.com/team/app@sha256:" + hex)).size() == 3);
    CHECK(conf.pull_endpoints(parse_reference("example.com/teammate/app")).size() == 1);
    CHECK_THROWS_WITH_AS(conf.pull_endpoints(parse_reference("evil.example/x")), doctest::Contains("blocked"), ctr::Error);
    CHECK(conf.push_endpoint(parse_reference("example.com/team/app")).ref.domain == "internal.example:5000");

    RegistriesConf empty = RegistriesConf::parse("", "empty.conf");
    CHECK(empty.search_registries() == std::vector<std::string>{"docker.io"});
}

TEST_CASE("registries.conf errors name the file and line") {
    CHECK_THROWS_WITH_AS(RegistriesConf::parse("[[registry]]\nlocation = 5\n", "r.conf"),
                         doctest::Contains("r.conf:2: location must be a string"), ctr::Error);
    CHECK_THROWS_WITH_AS(RegistriesConf::parse("x = [\n", "r.conf"), doctest::Contains("r.conf:"), ctr::Error);
    CHECK_THROWS_WITH_AS(RegistriesConf::parse("[registries.search]\nregistries = []\n", "v1.conf"),
                         doctest::Contains("version 1"), ctr::Error);
    CHECK_THROWS_WITH_AS(RegistriesConf::parse("[[registry]]\ninsecure = true\n", "r.conf"),
                         doctest::Contains("needs a location"), ctr::Error);
}

TEST_CASE("auth keys normalize") {
    CHECK(normalize_auth_key("https://index.docker.io/v1/") == "docker.io");
    CHECK(normalize_auth_key("registry-1.docker.io") == "docker.io");
    CHECK(normalize_auth_key("http://host:5000/") == "host:5000");
    CHECK(normalize_auth_key("host:5000/team") == "host:5000/team");
}

TEST_CASE("auth file round trip: 0600, atomic, most specific key wins") {
    char tmpl[] = "/tmp/ctr-unit-auth.XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    std::string dir = tmpl;
    std::string file = dir + "/sub/auth.json";

    write_credentials(file, "host:5000", Credentials{"alice", "s3cret:with:colons", ""});
    struct stat st;
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto c = read_credentials(file, "https://host:5000/");
    REQUIRE(c);
    CHECK(c->username == "alice");
    CHECK(c->password == "s3cret:with:colons");

    write_credentials(file, "host:5000/team", Credentials{"bob", "pw", ""});
    AuthFiles files;
    files.read = {file};
    files.write = file;
    CHECK(files.lookup("host:5000/team/app")->username == "bob");
    CHECK(files.lookup("host:5000/other/app")->username == "alice");
    CHECK_FALSE(files.lookup("elsewhere:5000/app"));

    // docker's config.json is read too, after ours.
    std::string docker = dir + "/config.json";
    std::ofstream(docker) << R"({"auths":{"https://index.docker.io/v1/":{"auth":")" +
                                 encode_basic(Credentials{"dock", "er", ""}) + R"("}},"credsStore":"x"})";
    files.read.push_back(docker);
    CHECK(files.lookup("docker.io/library/alpine")->username == "dock");

    CHECK(erase_credentials(file, "host:5000"));
    CHECK_FALSE(erase_credentials(file, "host:5000"));
    CHECK(files.lookup("host:5000/other/app") == std::nullopt);
    CHECK(erase_all_credentials(file));
    CHECK_FALSE(read_credentials(file, "host:5000/team"));

    std::ofstream(dir + "/bad.json") << "[1,2]";
    CHECK_THROWS_WITH_AS(read_credentials(dir + "/bad.json", "x"), doctest::Contains("bad.json"), ctr::Error);
    std::filesystem::remove_all(dir);
}

TEST_CASE("auth file locations follow containers-auth.json") {
    auto saved = [](const char* name) {
        const char* v = std::getenv(name);
        return v ? std::optional<std::string>(v) : std::nullopt;
    };
    auto home = saved("HOME"), runtime = saved("XDG_RUNTIME_DIR"), authfile = saved("REGISTRY_AUTH_FILE");
    ::setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
    ::setenv("HOME", "/home/u", 1);
    ::unsetenv("DOCKER_CONFIG");
    auto f = AuthFiles::locate();
    CHECK(f.write == "/x/auth.json");
    CHECK(f.read == std::vector<std::string>{"/x/auth.json", "/home/u/.docker/config.json"});
    CHECK(AuthFiles::locate("/y.json").write == "/y.json");
    ::unsetenv("REGISTRY_AUTH_FILE");
    ::setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
    CHECK(AuthFiles::locate().write == "/run/user/7/containers/auth.json");
    ::unsetenv("XDG_RUNTIME_DIR");
    CHECK(AuthFiles::locate().write == "/run/containers/" + std::to_string(::getuid()) + "/auth.json");
    for (auto& [name, value] : {std::pair{"HOME", home}, {"XDG_RUNTIME_DIR", runtime}, {"REGISTRY_AUTH_FILE", authfile}})
        value ? ::setenv(name, value->c_str(), 1) : ::unsetenv(name);
}

TEST_CASE("URLs: redirects resolve, authorities compare") {
    CHECK(resolve_url("https://r.example/v2/x/blobs/sha256:a", "/other?sig=1") == "https://r.example/other?sig=1");
    CHECK(resolve_url("https://r.example/v2/", "http://s3.example:9000/b") == "http://s3.example:9000/b");
    CHECK(url_authority("https://r.example/v2/") == "r.example:443");
    CHECK(url_authority("http://127.0.0.1:5000/v2/") == "127.0.0.1:5000");
    CHECK(url_authority("https://r.example:443/x") == url_authority("https://r.example/y"));
}

TEST_CASE("platform selection from an index") {
    auto entry = [](std::string os, std::string arch, std::string variant) {
        ctr::oci::Descriptor d;
        d.media_type = "application/vnd.oci.image.manifest.v1+json";
        d.platform = ctr::oci::Platform{arch, os, variant};
        return d;
    };
    std::vector<ctr::oci::Descriptor> idx = {entry("linux", "arm", "v6"), entry("linux", "arm", "v7"),
                                             entry("linux", "arm64", "v8"), entry("linux", "amd64", ""),
                                             entry("windows", "amd64", "")};
    auto pick = [&](std::string s) -> std::string {
        auto* d = select_platform(idx, ctr::oci::Platform::parse(s));
        return d ? d->platform->str() : "none";
    };
    CHECK(pick("linux/amd64") == "linux/amd64");
    CHECK(pick("windows/amd64") == "windows/amd64");
    CHECK(pick("linux/arm/v7") == "linux/arm/v7");
    CHECK(pick("linux/arm") == "linux/arm/v6");
    CHECK(pick("linux/arm64") == "linux/arm64/v8");
    CHECK(pick("linux/arm64/v8") == "linux/arm64/v8");
    CHECK(pick("linux/s390x") == "none");
    CHECK(platforms_offered(idx) == "linux/arm/v6, linux/arm/v7, linux/arm64/v8, linux/amd64, windows/amd64");

    // Attestation manifests and nested indexes are not images to run.
    std::vector<ctr::oci::Descriptor> odd = {entry("linux", "amd64", "")};
    odd[0].media_type = "application/vnd.oci.image.index.v1+json";
    CHECK(select_platform(odd, ctr::oci::Platform::parse("linux/amd64")) == nullptr);
}

TEST_CASE("human sizes as docker prints them") {
    CHECK(human_size(0) == "0B");
    CHECK(human_size(999) == "999B");
    CHECK(human_size(1234567) == "1.23MB");
    CHECK(human_size(33000000) == "33MB");
}
