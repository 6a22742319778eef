#include <doctest/doctest.h>

#include <algorithm>

#include "libcommon/bundle/rootfs.h"
#include "libcommon/bundle/seccomp.h"
#include "libcommon/bundle/spec.h"
#include "libcommon/bundle/user.h"
#include "libcommon/sys/error.h"

using namespace ctr;
using namespace ctr::bundle;
using json = nlohmann::json;

namespace {

UserDb sample_db() {
    return {parse_passwd("root:x:0:0:root:/root:/bin/sh\n"
                         "# comment\n"
                         "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                         "broken line\n"
                         "bob:x:1000:1000:Bob:/home/bob:/bin/sh\n"),
            parse_group("root:x:0:\n"
                        "wheel:x:10:bob,alice\n"
                        "bob:x:1000:\n"
                        "audio:x:29:bob\n"
                        "staff:x:50:\n")};
}

bool has(const json& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

TEST_CASE("passwd and group files parse, skipping malformed lines") {
    auto db = sample_db();
    REQUIRE(db.passwd.size() == 3);
    CHECK(db.passwd[2].name == "bob");
    CHECK(db.passwd[2].uid == 1000);
    CHECK(db.passwd[2].home == "/home/bob");
    REQUIRE(db.group.size() == 5);
    CHECK(db.group[1].members == std::vector<std::string>{"bob", "alice"});
}

TEST_CASE("user resolution follows docker's USER syntax") {
    auto db = sample_db();
    auto root = resolve_user("", db);
    CHECK(root.uid == 0);
    CHECK(root.home == "/root");

    auto bob = resolve_user("bob", db);
    CHECK(bob.uid == 1000);
    CHECK(bob.gid == 1000);
    CHECK(bob.home == "/home/bob");
    CHECK(bob.additional_gids == std::vector<uint32_t>{10, 29});

    auto by_uid = resolve_user("1000", db);
    CHECK(by_uid.uid == 1000);
    CHECK(by_uid.gid == 1000);

    auto unknown_uid = resolve_user("4242", db);
    CHECK(unknown_uid.uid == 4242);
    CHECK(unknown_uid.gid == 0);
    CHECK(unknown_uid.home == "/");

    auto with_group = resolve_user("bob:staff", db);
    CHECK(with_group.gid == 50);
    CHECK(with_group.additional_gids.empty());
    CHECK(resolve_user("1000:77", db).gid == 77);
    CHECK(resolve_user("daemon", db, {"audio", "123"}).additional_gids == std::vector<uint32_t>{29, 123});

    CHECK_THROWS_WITH_AS(resolve_user("nobody", db), doctest::Contains("unable to find user nobody"), Error);
    CHECK_THROWS_WITH_AS(resolve_user("bob:nogroup", db), doctest::Contains("unable to find group nogroup"), Error);
    CHECK_THROWS_AS(resolve_user("bob:", db), Error);
}

TEST_CASE("command line: CMD after the image replaces Cmd, ENTRYPOINT is kept") {
    json ic = {{"Entrypoint", {"/entry.sh"}}, {"Cmd", {"serve", "--port", "80"}}};
    SpecOptions o;
    CHECK(command_line(ic, o) == std::vector<std::string>{"/entry.sh", "serve", "--port", "80"});
    o.cmd = {"ls", "-l"};
    CHECK(command_line(ic, o) == std::vector<std::string>{"/entry.sh", "ls", "-l"});
    o.entrypoint = std::vector<std::string>{"/bin/sh", "-c"};
    o.cmd = {};
    // A new entrypoint drops the image's Cmd.
    CHECK(command_line(ic, o) == std::vector<std::string>{"/bin/sh", "-c"});
    o.entrypoint = std::vector<std::string>{};
    o.cmd = {"echo", "hi"};
    CHECK(command_line(ic, o) == std::vector<std::string>{"echo", "hi"});
    SpecOptions none;
    CHECK_THROWS_WITH_AS(command_line(json::object(), none), "no command specified", Error);
}

TEST_CASE("env: -e overrides the image's ENV by key") {
    auto env = merge_env({"PATH=/bin", "GREETING=Hello from"}, {"GREETING=Hi from", "NEW=1", "BARE"});
    CHECK(env == std::vector<std::string>{"PATH=/bin", "GREETING=Hi from", "NEW=1"});
}

TEST_CASE("capabilities: docker's default set, --cap-add, --cap-drop, ALL") {
    auto caps = capabilities_for({}, {});
    CHECK(caps.size() == 14);
    caps = capabilities_for({"net_admin", "CAP_SYS_TIME"}, {"chown", "CAP_NET_RAW"});
    CHECK(std::count(caps.begin(), caps.end(), "CAP_NET_ADMIN") == 1);
    CHECK(std::count(caps.begin(), caps.end(), "CAP_SYS_TIME") == 1);
    CHECK(std::count(caps.begin(), caps.end(), "CAP_CHOWN") == 0);
    CHECK(std::count(caps.begin(), caps.end(), "CAP_NET_RAW") == 0);
    CHECK(capabilities_for({"KILL"}, {"ALL"}) == std::vector<std::string>{"CAP_KILL"});
    CHECK(capabilities_for({"ALL"}, {}).size() == all_capabilities().size());
    CHECK_THROWS_WITH_AS(capabilities_for({"FLY"}, {}), doctest::Contains("CAP_FLY"), Error);
}

TEST_CASE("make_spec: a docker-like config.json") {
    json ic = {{"Env", {"PATH=/usr/bin:/bin", "GREETING=Hello"}},
               {"Cmd", {"httpd", "-f"}},
               {"WorkingDir", "/srv"},
               {"User", "bob"}};
    SpecOptions o;
    o.hostname = "0123456789ab";
    o.env = {"GREETING=Hi"};
    o.terminal = true;
    o.memory = 64 << 20;
    o.cpu_quota = 50000;
    o.pids_limit = 100;
    o.read_only = true;
    o.seccomp = "unconfined";
    o.mounts.push_back({"bind", "/host/data", "/data", true, {}});
    o.mounts.push_back({"tmpfs", "", "/run", false, {"size=1m"}});
    json s = make_spec(ic, o, sample_db());
    CHECK(s["ociVersion"] == "1.0.2");
    CHECK(s["hostname"] == "0123456789ab");
    CHECK(s["root"]["path"] == "rootfs");
    CHECK(s["root"]["readonly"] == true);
    auto& p = s["process"];
    CHECK(p["args"] == json({"httpd", "-f"}));
    CHECK(p["cwd"] == "/srv");
    CHECK(p["user"]["uid"] == 1000);
    CHECK(p["terminal"] == true);
    CHECK(has(p["env"], "GREETING=Hi"));
    CHECK(has(p["env"], "HOSTNAME=0123456789ab"));
    CHECK(has(p["env"], "TERM=xterm"));
    CHECK(has(p["env"], "HOME=/home/bob"));
    CHECK(p["capabilities"]["bounding"].size() == 14);
    CHECK(s["linux"]["resources"]["memory"]["limit"] == 64 << 20);
    CHECK(s["linux"]["resources"]["cpu"]["quota"] == 50000);
    CHECK(s["linux"]["resources"]["pids"]["limit"] == 100);
    CHECK(!s["linux"].contains("seccomp"));
    bool netns = false;
    for (auto& n : s["linux"]["namespaces"]) netns |= n["type"] == "network" && !n.contains("path");
    CHECK(netns);
    auto& last = s["mounts"].back();
    CHECK(last["destination"] == "/run");
    CHECK(last["type"] == "tmpfs");
    auto& bind = s["mounts"][s["mounts"].size() - 2];
    CHECK(bind["source"] == "/host/data");
    CHECK(has(bind["options"], "rbind"));
    CHECK(has(bind["options"], "ro"));

    o.network = NetworkMode::Host;
    o.privileged = true;
    s = make_spec(ic, o, sample_db());
    for (auto& n : s["linux"]["namespaces"]) CHECK(n["type"] != "network");
    CHECK(s["process"]["capabilities"]["bounding"].size() == bounding_capabilities().size());
    CHECK(!s["linux"].contains("maskedPaths"));

    SpecOptions bad;
    bad.workdir = "relative";
    CHECK_THROWS_AS(make_spec(ic, bad, sample_db()), Error);
    SpecOptions init;
    init.init_path = "/usr/bin/catatonit";
    init.seccomp = "unconfined";
    CHECK(make_spec(ic, init, sample_db())["process"]["args"] == json({"/sbin/docker-init", "--", "httpd", "-f"}));
}

TEST_CASE("docker seccomp profiles become OCI linux.seccomp for the container's capabilities") {
    json profile = {
        {"defaultAction", "SCMP_ACT_ERRNO"},
        {"defaultErrnoRet", 1},
        {"archMap", {{{"architecture", "SCMP_ARCH_X86_64"}, {"subArchitectures", {"SCMP_ARCH_X86"}}},
                     {{"architecture", "SCMP_ARCH_AARCH64"}, {"subArchitectures", {"SCMP_ARCH_ARM"}}}}},
        {"syscalls",
         {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}},
          {{"names", {"mount"}}, {"action", "SCMP_ACT_ALLOW"}, {"includes", {{"caps", {"CAP_SYS_ADMIN"}}}}},
          {{"names", {"clone"}}, {"action", "SCMP_ACT_ALLOW"}, {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}}}}}}};
    json plain = docker_profile_to_oci(profile, {"CAP_CHOWN"});
    CHECK(plain["defaultAction"] == "SCMP_ACT_ERRNO");
    CHECK(plain["defaultErrnoRet"] == 1);
    REQUIRE(plain["syscalls"].size() == 2);
    CHECK(plain["syscalls"][1]["names"] == json({"clone"}));
    CHECK(!plain.contains("archMap"));
#if defined(__x86_64__)
    CHECK(plain["architectures"] == json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
#endif
    json admin = docker_profile_to_oci(profile, {"CAP_SYS_ADMIN"});
    REQUIRE(admin["syscalls"].size() == 2);
    CHECK(admin["syscalls"][1]["names"] == json({"mount"}));
    CHECK_THROWS_AS(docker_profile_to_oci(json::object(), {}), Error);
}

TEST_CASE("init layer files: hosts and resolv.conf") {
    InitFiles f;
    f.hostname = "abcdef012345";
    f.extra_hosts = {"db:10.0.0.5"};
    auto hosts = hosts_file(f);
    CHECK(hosts.find("127.0.0.1\tlocalhost\n") == 0);
    CHECK(hosts.find("127.0.1.1\tabcdef012345\n") != std::string::npos);
    CHECK(hosts.find("10.0.0.5\tdb\n") != std::string::npos);
    f.extra_hosts = {"nocolon"};
    CHECK_THROWS_AS(hosts_file(f), Error);

    InitFiles r;
    CHECK(resolv_conf("nameserver 127.0.0.53\nsearch lan\noptions edns0\n", r) ==
          "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0\n");
    CHECK(resolv_conf("nameserver 10.1.1.1\n", r) == "nameserver 10.1.1.1\n");
    r.network = NetworkMode::Host;
    CHECK(resolv_conf("nameserver 127.0.0.53\n", r) == "nameserver 127.0.0.53\n");
    r.dns = {"1.1.1.1"};
    r.dns_search = {"example.com"};
    CHECK(resolv_conf("nameserver 127.0.0.53\nsearch lan\n", r) == "search example.com\nnameserver 1.1.1.1\n");
}

TEST_CASE("overlay options, absolute or relative to a base") {
    OverlayLayout l{{"/s/layers/b", "/s/layers/a"}, "/s/c/1/upper", "/s/c/1/work", "/s/c/1/rootfs"};
    CHECK(overlay_options(l) == "lowerdir=/s/layers/b:/s/layers/a,upperdir=/s/c/1/upper,workdir=/s/c/1/work");
    CHECK(overlay_options(l, "/s") == "lowerdir=layers/b:layers/a,upperdir=c/1/upper,workdir=c/1/work");
    l.lowers = {"/bad:path"};
    CHECK_THROWS_AS(overlay_options(l), Error);
}
