#include <doctest/doctest.h>

#include <unistd.h>

#include <csignal>

#include "libcommon/container/names.h"
#include "libcommon/container/options.h"
#include "libcommon/container/record.h"
#include "libcommon/cli/split_args.h"
#include "libcommon/sys/error.h"

using namespace ctr;
using namespace ctr::container;

TEST_CASE("--publish specs") {
    auto b = parse_publish("8081:80");
    REQUIRE(b.size() == 1);
    CHECK(b[0].host_ip == "");
    CHECK(b[0].host_port == 8081);
    CHECK(b[0].container_port == 80);
    CHECK(b[0].proto == "tcp");
    CHECK(b[0].key() == "80/tcp");

    b = parse_publish("127.0.0.1:18081:80/udp");
    CHECK(b[0].host_ip == "127.0.0.1");
    CHECK(b[0].proto == "udp");
    b = parse_publish("127.0.0.1::80");
    CHECK(b[0].host_port == 0);
    b = parse_publish("80");
    CHECK(b[0].host_port == 0);
    CHECK(b[0].container_port == 80);
    b = parse_publish("[::1]:8080:80");
    CHECK(b[0].host_ip == "::1");
    CHECK(b[0].host_port == 8080);
    b = parse_publish("8080-8082:80-82");
    REQUIRE(b.size() == 3);
    CHECK(b[2].host_port == 8082);
    CHECK(b[2].container_port == 82);

    CHECK_THROWS_AS(parse_publish("8080:80/sctp"), Error);
    CHECK_THROWS_AS(parse_publish("99999:80"), Error);
    CHECK_THROWS_AS(parse_publish("a:b:c:d"), Error);
    CHECK_THROWS_AS(parse_publish("8080:"), Error);
    CHECK_THROWS_AS(parse_publish("8080-8081:80-83"), Error);
    CHECK(parse_exposed("53/udp").key() == "53/udp");
}

TEST_CASE("--volume specs") {
    auto v = parse_volume("/src:/mycode", "/home/me");
    CHECK(v.kind == VolumeSpec::Kind::Bind);
    CHECK(v.source == "/src");
    CHECK(v.destination == "/mycode");
    CHECK(!v.read_only);
    v = parse_volume("./data:/data:ro", "/home/me");
    CHECK(v.source == "/home/me/data");
    CHECK(v.read_only);
    v = parse_volume(".:/w:rw,rshared", "/home/me");
    CHECK(v.source == "/home/me");
    CHECK(v.options == std::vector<std::string>{"rshared"});
    v = parse_volume("cache:/var/cache", "/");
    CHECK(v.kind == VolumeSpec::Kind::Volume);
    CHECK(v.source == "cache");
    v = parse_volume("/scratch", "/");
    CHECK(v.kind == VolumeSpec::Kind::Anonymous);
    CHECK(v.destination == "/scratch");
    CHECK_THROWS_AS(parse_volume("/a:relative", "/"), Error);
    CHECK_THROWS_AS(parse_volume("/a:/b:bogus", "/"), Error);
    CHECK_THROWS_AS(parse_volume("a b:/b", "/"), Error);
    CHECK_THROWS_AS(parse_volume("/a:/b:ro:x", "/"), Error);
}

TEST_CASE("--mount and --tmpfs specs") {
    auto m = parse_mount("type=bind,source=/a,target=/b,readonly", "/");
    CHECK(m.kind == VolumeSpec::Kind::Bind);
    CHECK(m.read_only);
    m = parse_mount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777", "/");
    CHECK(m.kind == VolumeSpec::Kind::Tmpfs);
    CHECK(m.options == std::vector<std::string>{"size=1048576", "mode=1777"});
    m = parse_mount("src=vol,target=/v", "/");
    CHECK(m.kind == VolumeSpec::Kind::Volume);
    CHECK_THROWS_AS(parse_mount("type=bind,target=/b", "/"), Error);
    CHECK_THROWS_AS(parse_mount("type=nfs,target=/b", "/"), Error);
    CHECK_THROWS_AS(parse_mount("type=bind,src=/a,target=/b,colour=red", "/"), Error);
    auto t = parse_tmpfs("/run:rw,size=64k");
    CHECK(t.destination == "/run");
    CHECK(t.options == std::vector<std::string>{"size=64k"});
    CHECK_THROWS_AS(parse_tmpfs("run"), Error);
}

TEST_CASE("--env-file") {
    auto lookup = [](const std::string& k) -> std::optional<std::string> {
        if (k == "FROM_HOST") return "yes";
        return std::nullopt;
    };
    auto env = parse_env_file("# comment\n\nA=1\n  B=two words\nFROM_HOST\nUNSET\nC=\r\n", "f.env", lookup);
    CHECK(env == std::vector<std::string>{"A=1", "B=two words", "FROM_HOST=yes", "C="});
    CHECK_THROWS_WITH_AS(parse_env_file("A=1\nBAD KEY=2\n", "f.env", lookup), doctest::Contains("f.env line 2"), Error);
    CHECK_THROWS_AS(parse_env_file("=x\n", "f.env", lookup), Error);
}

TEST_CASE("--restart policies") {
    CHECK(parse_restart("no").name == "no");
    CHECK(parse_restart("always").name == "always");
    CHECK(parse_restart("unless-stopped").name == "unless-stopped");
    auto p = parse_restart("on-failure:3");
    CHECK(p.name == "on-failure");
    CHECK(p.max_retries == 3);
    CHECK(parse_restart("on-failure").max_retries == 0);
    CHECK_THROWS_AS(parse_restart("sometimes"), Error);
    CHECK_THROWS_AS(parse_restart("always:3"), Error);
    CHECK_THROWS_AS(parse_restart("on-failure:x"), Error);
}

TEST_CASE("sizes, cpus, signals, ulimits") {
    CHECK(parse_size("512m", "--memory") == 512LL << 20);
    CHECK(parse_size("1g", "--memory") == 1LL << 30);
    CHECK(parse_size("2GB", "--memory") == 2LL << 30);
    CHECK(parse_size("1024", "--memory") == 1024);
    CHECK(parse_size("1.5k", "--memory") == 1536);
    CHECK_THROWS_WITH_AS(parse_size("lots", "--memory"), doctest::Contains("--memory"), Error);
    CHECK_THROWS_AS(parse_size("5x", "--memory"), Error);
    CHECK(parse_cpus("1.5") == 1500000000);
    CHECK(parse_cpus("0.25") == 250000000);
    CHECK_THROWS_AS(parse_cpus("0"), Error);
    CHECK_THROWS_AS(parse_cpus("two"), Error);
    CHECK(parse_signal("SIGTERM") == SIGTERM);
    CHECK(parse_signal("kill") == SIGKILL);
    CHECK(parse_signal("2") == 2);
    CHECK(parse_signal("SIGRTMIN+3") == SIGRTMIN + 3);
    CHECK_THROWS_AS(parse_signal("SIGNOPE"), Error);
    CHECK_THROWS_AS(parse_signal("99"), Error);
    CHECK(signal_name(SIGQUIT) == "QUIT");
    auto [name, soft, hard] = parse_ulimit("nofile=1024:2048");
    CHECK(name == "nofile");
    CHECK(soft == 1024);
    CHECK(hard == 2048);
    CHECK(std::get<2>(parse_ulimit("nproc=10")) == 10);
    CHECK_THROWS_AS(parse_ulimit("nofile=2048:1024"), Error);
    CHECK_THROWS_AS(parse_ulimit("nofile"), Error);
}

TEST_CASE("names") {
    auto n = generate_name([](const std::string&) { return false; });
    CHECK(n.find('_') != std::string::npos);
    int calls = 0;
    auto m = generate_name([&](const std::string&) { return ++calls < 15; });
    CHECK(!m.empty());
    CHECK(valid_name("web-1.a_b"));
    CHECK(!valid_name("x"));
    CHECK(!valid_name("-x"));
    CHECK(!valid_name("a/b"));
}

TEST_CASE("container ids and times") {
    auto id = new_id();
    CHECK(id.size() == 64);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    auto t = now_rfc3339nano();
    CHECK(t.size() == 30);
    CHECK(t.back() == 'Z');
    CHECK(process_start_time(::getpid()).has_value());
    CHECK(process_alive(::getpid(), *process_start_time(::getpid())));
    CHECK(!process_alive(::getpid(), *process_start_time(::getpid()) + 1));
}

TEST_CASE("docker-style argument split: options stop at the image") {
    std::set<std::string> with_value = {"e", "env", "p", "name"};
    auto split = [&](std::vector<const char*> args) {
        std::vector<char*> argv;
        for (auto a : args) argv.push_back(const_cast<char*>(a));
        return ctr::cli::first_operand(static_cast<int>(argv.size()), argv.data(), with_value);
    };
    CHECK(split({"ctr-create", "busybox", "ls", "-l"}) == 1);
    CHECK(split({"ctr-create", "-it", "-e", "A=1", "busybox", "sh"}) == 4);
    CHECK(split({"ctr-create", "-eA=1", "--name", "x", "--rm", "img"}) == 5);
    CHECK(split({"ctr-create", "--env=A=1", "-ti", "img"}) == 3);
    CHECK(split({"ctr-create", "-p8080:80", "--", "-img"}) == 3);
    CHECK(split({"ctr-create", "-d"}) == 2);
}

TEST_CASE("--log-opt: max-size in docker's decimal units, max-file, bad input named") {
    auto lo = parse_log_opts({"max-size=1k", "max-file=3"});
    CHECK(lo.max_size == 1000);
    CHECK(lo.max_file == 3);
    CHECK(lo.given.at("max-size") == "1k");
    CHECK(parse_log_opts({"max-size=10m,max-file=2"}).max_size == 10000000);
    CHECK(parse_log_opts({"max-size=2048"}).max_size == 2048);
    CHECK(parse_log_opts({"max-size=1.5kb"}).max_size == 1500);
    CHECK(parse_log_opts({}).max_size == 0);
    CHECK_THROWS_WITH(parse_log_opts({"max-size=lots"}), doctest::Contains("max-size"));
    CHECK_THROWS_WITH(parse_log_opts({"max-size=1k", "max-file=0"}), doctest::Contains("max-file"));
    CHECK_THROWS_WITH(parse_log_opts({"max-file=3"}), doctest::Contains("needs max-size"));
    CHECK_THROWS_WITH(parse_log_opts({"mode=fast"}), doctest::Contains("mode=fast"));
    CHECK_THROWS_WITH(parse_log_opts({"max-size"}), doctest::Contains("KEY=VALUE"));
}
