#include <doctest/doctest.h>

#include "libcommon/oci/change.h"
#include "libcommon/sys/error.h"

using nlohmann::json;
using ctr::oci::apply_change;

TEST_CASE("CMD and ENTRYPOINT take the exec and the shell form") {
    json c;
    apply_change(c, R"(CMD ["/bin/sh", "-c", "echo hi"])");
    CHECK(c["Cmd"] == json::array({"/bin/sh", "-c", "echo hi"}));
    apply_change(c, "ENTRYPOINT top -b");
    CHECK(c["Entrypoint"] == json::array({"/bin/sh", "-c", "top -b"}));
    apply_change(c, "cmd [\"x\"]");
    CHECK(c["Cmd"] == json::array({"x"}));
}

TEST_CASE("ENV and LABEL take pairs, quotes and the old form") {
    json c;
    apply_change(c, R"(ENV A=1 B="x y" C=a\ b)");
    CHECK(c["Env"] == json::array({"A=1", "B=x y", "C=a b"}));
    apply_change(c, "ENV A replaced value");
    CHECK(c["Env"][0] == "A=replaced value");
    apply_change(c, R"(LABEL maintainer="me <me@x>" version=1)");
    CHECK(c["Labels"]["maintainer"] == "me <me@x>");
    CHECK(c["Labels"]["version"] == "1");
}

TEST_CASE("WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL") {
    json c;
    apply_change(c, "WORKDIR /app");
    apply_change(c, "WORKDIR sub");
    CHECK(c["WorkingDir"] == "/app/sub");
    apply_change(c, "USER nobody:nogroup");
    CHECK(c["User"] == "nobody:nogroup");
    apply_change(c, "EXPOSE 80 53/udp");
    CHECK(c["ExposedPorts"] == json::parse(R"({"80/tcp":{},"53/udp":{}})"));
    apply_change(c, R"(VOLUME ["/data", "/logs"])");
    apply_change(c, "VOLUME /cache");
    CHECK(c["Volumes"].size() == 3);
    apply_change(c, "STOPSIGNAL SIGINT");
    CHECK(c["StopSignal"] == "SIGINT");
}

TEST_CASE("bad changes are refused with the instruction named") {
    json c;
    CHECK_THROWS_WITH_AS(apply_change(c, "RUN echo"), doctest::Contains("--change \"RUN echo\": unsupported instruction"),
                         ctr::Error);
    CHECK_THROWS_WITH_AS(apply_change(c, "EXPOSE http"), doctest::Contains("invalid port \"http\""), ctr::Error);
    CHECK_THROWS_WITH_AS(apply_change(c, "ENV A=\"x"), doctest::Contains("unterminated quote"), ctr::Error);
    CHECK_THROWS_AS(apply_change(c, "ENV"), ctr::Error);
}
