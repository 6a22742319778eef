#include <doctest/doctest.h>

#include "libcommon/oci/reference.h"
#include "libcommon/sys/error.h"

using ctr::oci::Reference;

TEST_CASE("references get the default tag and the familiar form") {
    auto r = Reference::parse("busybox");
    CHECK(r.repository() == "busybox");
    CHECK(r.tag == "latest");
    CHECK(r.tag_name() == "busybox:latest");
    CHECK(r.full_name() == "docker.io/library/busybox:latest");
    CHECK(r.remote_path() == "library/busybox");

    CHECK(Reference::parse("docker.io/library/busybox:1.36").tag_name() == "busybox:1.36");
    CHECK(Reference::parse("container:1.0").tag_name() == "container:1.0");
    CHECK(Reference::parse("user/app").remote_path() == "user/app");
}

TEST_CASE("registries with ports and paths") {
    auto r = Reference::parse("localhost:5000/a/b-c:v1.2");
    CHECK(r.domain == "localhost:5000");
    CHECK(r.path == "a/b-c");
    CHECK(r.tag == "v1.2");
    CHECK(r.tag_name() == "localhost:5000/a/b-c:v1.2");
    CHECK(r.registry() == "localhost:5000");
    CHECK(Reference::parse("localhost/app").domain == "localhost");
    CHECK(Reference::parse("quay.io/x/y").domain == "quay.io");
    CHECK(Reference::parse("127.0.0.1:5000/x").domain == "127.0.0.1:5000");
}

TEST_CASE("digest references") {
    std::string d = "sha256:" + std::string(64, 'c');
    auto r = Reference::parse("busybox@" + d);
    CHECK(r.tag.empty());
    CHECK(r.digest->str() == d);
    CHECK(r.tag_name().empty());
    CHECK(r.str() == "busybox@" + d);
    auto both = Reference::parse("busybox:1@" + d);
    CHECK(both.tag == "1");
}

TEST_CASE("invalid references say why") {
    CHECK_THROWS_WITH_AS(Reference::parse("Busybox"), doctest::Contains("must be lowercase"), ctr::Error);
    CHECK_THROWS_WITH_AS(Reference::parse("busybox:bad tag"), doctest::Contains("invalid tag \"bad tag\""), ctr::Error);
    CHECK_THROWS_WITH_AS(Reference::parse("busybox:.x"), doctest::Contains("invalid tag"), ctr::Error);
    CHECK_THROWS_WITH_AS(Reference::parse("a//b"), doctest::Contains("component \"\""), ctr::Error);
    CHECK_THROWS_WITH_AS(Reference::parse("a-:1"), doctest::Contains("invalid repository name"), ctr::Error);
    CHECK_THROWS_AS(Reference::parse(""), ctr::Error);
    CHECK_THROWS_AS(Reference::parse(":tag"), ctr::Error);
    CHECK_THROWS_AS(Reference::parse("x@sha256:abc"), ctr::Error);
    CHECK(Reference::parse("a__b.c-d---e:T_1.x-").tag == "T_1.x-");
    CHECK_FALSE(ctr::oci::is_valid_tag(std::string(129, 'a')));
}

TEST_CASE("image id prefixes") {
    CHECK(ctr::oci::image_id_prefix("3f2a") == "3f2a");
    CHECK(ctr::oci::image_id_prefix("sha256:3f2a") == "3f2a");
    CHECK_FALSE(ctr::oci::image_id_prefix("busybox"));
    CHECK_FALSE(ctr::oci::image_id_prefix(std::string(65, 'a')));
}
