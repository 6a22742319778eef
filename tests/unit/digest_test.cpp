#include <doctest/doctest.h>

#include "libcommon/oci/descriptor.h"
#include "libcommon/oci/digest.h"
#include "libcommon/oci/manifest.h"
#include "libcommon/sys/error.h"

using ctr::oci::Descriptor;
using ctr::oci::Digest;

TEST_CASE("Digest::of hashes with sha256") {
    CHECK(Digest::of("").str() == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(Digest::of("abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(Digest::of("abc").short_hex() == "ba7816bf8f01");
}

TEST_CASE("Sha256 streams and counts") {
    ctr::oci::Sha256 h;
    h.update("a");
    h.update("bc");
    CHECK(h.size() == 3);
    CHECK(h.finish() == Digest::of("abc"));
}

TEST_CASE("Digest::parse accepts only sha256:<64 lowercase hex>") {
    std::string hex(64, 'a');
    CHECK(Digest::parse("sha256:" + hex).hex() == hex);
    CHECK_THROWS_WITH_AS(Digest::parse("sha256:ABC"), doctest::Contains("64 lowercase hex"), ctr::Error);
    CHECK_THROWS_WITH_AS(Digest::parse("md5:" + hex), doctest::Contains("unsupported algorithm \"md5\""), ctr::Error);
    CHECK_THROWS_WITH_AS(Digest::parse(hex), doctest::Contains("ALGORITHM:HEX"), ctr::Error);
    CHECK_FALSE(Digest::try_parse("sha256:" + std::string(63, 'a')));
    CHECK_FALSE(Digest::try_parse("sha256:" + std::string(64, 'g')));
}

TEST_CASE("Descriptor round-trips through JSON and keeps unknown fields") {
    auto j = nlohmann::json::parse(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",
        "digest":"sha256:)" + std::string(64, 'b') + R"(","size":42,
        "annotations":{"org.opencontainers.image.ref.name":"busybox:latest"},
        "urls":["http://x"], "platform":{"architecture":"amd64","os":"linux"}})");
    auto d = Descriptor::from_json(j, "t");
    CHECK(d.size == 42);
    CHECK(d.annotation("org.opencontainers.image.ref.name") == "busybox:latest");
    CHECK(d.platform->architecture == "amd64");
    CHECK(d.to_json() == j);
}

TEST_CASE("Descriptor errors name the field") {
    auto bad_size = nlohmann::json::parse(R"({"mediaType":"x","digest":"sha256:)" + std::string(64, 'b') + R"(","size":-1})");
    CHECK_THROWS_WITH_AS(Descriptor::from_json(bad_size, "index.json: manifests[0]"),
                         "index.json: manifests[0]: \"size\" must be a non-negative integer", ctr::Error);
    auto no_digest = nlohmann::json::parse(R"({"mediaType":"x","size":1})");
    CHECK_THROWS_WITH_AS(Descriptor::from_json(no_digest, "m"), "m: missing \"digest\"", ctr::Error);
}

TEST_CASE("Platform parses os/arch[/variant]") {
    auto p = ctr::oci::Platform::parse("linux/arm64/v8");
    CHECK(p.os == "linux");
    CHECK(p.architecture == "arm64");
    CHECK(p.variant == "v8");
    CHECK(p.str() == "linux/arm64/v8");
    CHECK_THROWS_AS(ctr::oci::Platform::parse("linux"), ctr::Error);
}

TEST_CASE("Manifest and Index parse and serialize") {
    Descriptor cfg{.media_type = "application/vnd.oci.image.config.v1+json", .digest = Digest::of("{}"), .size = 2};
    Descriptor layer{.media_type = "application/vnd.oci.image.layer.v1.tar+gzip", .digest = Digest::of("l"), .size = 1};
    auto m = ctr::oci::Manifest::make(cfg, {layer});
    auto back = ctr::oci::Manifest::parse(m.serialize(), "m");
    CHECK(back.config.digest == cfg.digest);
    REQUIRE(back.layers.size() == 1);
    CHECK(back.layers[0].digest == layer.digest);
    CHECK_THROWS_WITH_AS(ctr::oci::Manifest::parse("{", "blob x"), doctest::Contains("blob x: malformed JSON"), ctr::Error);

    ctr::oci::Index idx;
    idx.manifests.push_back(cfg);
    auto i2 = ctr::oci::Index::parse(idx.serialize(), "index.json");
    CHECK(i2.manifests.size() == 1);
    CHECK_THROWS_WITH_AS(ctr::oci::Index::parse(R"({"schemaVersion":2,"manifests":{}})", "index.json"),
                         "index.json: \"manifests\" must be an array", ctr::Error);
}
