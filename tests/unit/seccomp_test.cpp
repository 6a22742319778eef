// SeccompFilter: compile errors that name the field, and real filters loaded
// into forked children (each child sets no_new_privs, loads, and reports
// what the kernel did to one system call).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>

#include "libcommon/runtime/seccomp.h"
#include "libcommon/sys/error.h"

using namespace ctr::runtime;
using nlohmann::json;

namespace {

std::string compile_error(const json& profile) {
    try {
        SeccompFilter::compile(profile);
    } catch (const ctr::Error& e) {
        return e.what();
    }
    return "";
}

// How a child under the filter ended: its exit code (the test body's return
// value, e.g. an errno) or, when killed, -signal.
int run_filtered(const json& profile, const std::function<int()>& body) {
    SeccompFilter f = SeccompFilter::compile(profile);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ::_exit(200);
        try {
            f.load();
        } catch (...) {
            ::_exit(201);
        }
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return WEXITSTATUS(status);
}

// The errno mkdir fails with (0 when it works), in a fresh temp dir.
int mkdir_errno() {
    std::string dir = std::string("/tmp/ctr-unit-sc.") + std::to_string(::getpid());
    int r = ::mkdir(dir.c_str(), 0700);
    int err = r < 0 ? errno : 0;
    if (r == 0) ::rmdir(dir.c_str());
    return err;
}

json allow_all_but(const json& rule) {
    return {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", json::array({rule})}};
}

}  // namespace

TEST_CASE("seccomp compile errors name the field") {
    CHECK(compile_error({{"defaultAction", "SCMP_ACT_NOPE"}}) == "linux.seccomp.defaultAction: unknown action SCMP_ACT_NOPE");
    CHECK(compile_error(json::object()) == "linux.seccomp.defaultAction: required");
    CHECK(compile_error(allow_all_but({{"names", {"mkdir"}}, {"action", "SCMP_ACT_FOO"}})) ==
          "linux.seccomp.syscalls[0].action: unknown action SCMP_ACT_FOO");
    CHECK(compile_error(allow_all_but({{"names", {"mkdir"}},
                                       {"action", "SCMP_ACT_ERRNO"},
                                       {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_SORTA"}}}}})) ==
          "linux.seccomp.syscalls[0].args[0].op: unknown operator SCMP_CMP_SORTA");
    CHECK(compile_error(allow_all_but({{"names", {"mkdir"}},
                                       {"action", "SCMP_ACT_ERRNO"},
                                       {"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}})) ==
          "linux.seccomp.syscalls[0].args[0].index: expected 0..5");
    CHECK(compile_error({{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_Z80"}}}) ==
          "linux.seccomp.architectures[0]: unknown architecture SCMP_ARCH_Z80");
    CHECK(compile_error({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_FAST"}}}) ==
          "linux.seccomp.flags[0]: unknown flag SECCOMP_FILTER_FLAG_FAST");
    CHECK(compile_error({{"defaultAction", "SCMP_ACT_NOTIFY"}}).find("default action") != std::string::npos);
    CHECK(compile_error({{"defaultAction", "SCMP_ACT_ALLOW"},
                         {"listenerPath", "/x"},
                         {"syscalls", {{{"names", {"write"}}, {"action", "SCMP_ACT_NOTIFY"}}}}})
              .find("write") != std::string::npos);
    CHECK(compile_error(allow_all_but({{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}})) ==
          "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
    CHECK(compile_error(allow_all_but({{"names", {""}}, {"action", "SCMP_ACT_ERRNO"}})).find("names") !=
          std::string::npos);
}

TEST_CASE("unknown syscall names are skipped; flags and architectures are taken") {
    SeccompFilter f = SeccompFilter::compile({{"defaultAction", "SCMP_ACT_ERRNO"},
                                              {"defaultErrnoRet", 1},
                                              {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
                                              {"flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}},
                                              {"syscalls", {{{"names", {"no_such_syscall", "read"}},
                                                             {"action", "SCMP_ACT_ALLOW"}}}}});
    CHECK(f.flags() == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
    CHECK_FALSE(f.uses_notify());
    SeccompFilter none = SeccompFilter::compile(json());
    CHECK(none.load() == -1);  // a null profile loads nothing
}

TEST_CASE("SCMP_ACT_ERRNO with errnoRet, and the EPERM default") {
    CHECK(run_filtered(allow_all_but({{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSPC}}),
                       mkdir_errno) == ENOSPC);
    CHECK(run_filtered(allow_all_but({{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}), mkdir_errno) ==
          EPERM);
    CHECK(run_filtered(allow_all_but({{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}}), mkdir_errno) == 0);
}

TEST_CASE("defaultErrnoRet applies to everything not allowed") {
    json profile = {{"defaultAction", "SCMP_ACT_ERRNO"},
                    {"defaultErrnoRet", ENOSYS},
                    {"syscalls", {{{"names", {"exit", "exit_group", "rt_sigreturn", "write", "getpid"}},
                                   {"action", "SCMP_ACT_ALLOW"}}}}};
    CHECK(run_filtered(profile, [] { return ::syscall(SYS_getppid) < 0 ? errno : 0; }) == ENOSYS);
    CHECK(run_filtered(profile, [] { return ::syscall(SYS_getpid) > 0 ? 0 : 1; }) == 0);
}

TEST_CASE("syscalls newer than the profile knows get ENOSYS, older unlisted ones the default") {
    json profile = {{"defaultAction", "SCMP_ACT_ERRNO"},
                    {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
                    {"syscalls", {{{"names", {"exit", "exit_group", "rt_sigreturn", "write", "getpid"}},
                                   {"action", "SCMP_ACT_ALLOW"}}}}};
    auto errno_of = [](long nr) { return [nr] { return ::syscall(nr) < 0 ? errno : 0; }; };
    CHECK(run_filtered(profile, errno_of(SYS_getppid)) == EPERM);  // below exit_group: the default
    CHECK(run_filtered(profile, errno_of(1000)) == ENOSYS);         // above every listed call
    CHECK(run_filtered(profile, errno_of(SYS_getpid)) == 0);
    profile["defaultAction"] = "SCMP_ACT_KILL_PROCESS";
    CHECK(run_filtered(profile, errno_of(1000)) == ENOSYS);
    CHECK(run_filtered(profile, errno_of(SYS_getppid)) == -SIGSYS);
}

TEST_CASE("kill, kill_process, trap, trace and log") {
    auto mkdir_rule = [](const char* action) {
        return allow_all_but({{"names", {"mkdir", "mkdirat"}}, {"action", action}});
    };
    CHECK(run_filtered(mkdir_rule("SCMP_ACT_KILL"), mkdir_errno) == -SIGSYS);
    CHECK(run_filtered(mkdir_rule("SCMP_ACT_KILL_THREAD"), mkdir_errno) == -SIGSYS);
    CHECK(run_filtered(mkdir_rule("SCMP_ACT_KILL_PROCESS"), mkdir_errno) == -SIGSYS);
    CHECK(run_filtered(mkdir_rule("SCMP_ACT_TRAP"), mkdir_errno) == -SIGSYS);
    // No tracer attached: the kernel fails the call with ENOSYS.
    CHECK(run_filtered(mkdir_rule("SCMP_ACT_TRACE"), mkdir_errno) == ENOSYS);
    CHECK(run_filtered(mkdir_rule("SCMP_ACT_LOG"), mkdir_errno) == 0);
}

TEST_CASE("argument operators") {
    auto umask_rule = [](const json& args) {
        return allow_all_but({{"names", {"umask"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EDOM}, {"args", args}});
    };
    auto umask_errno = [](mode_t m) {
        return [m] { return ::syscall(SYS_umask, m) < 0 ? errno : 0; };
    };
    auto arg = [](const char* op, uint64_t v, uint64_t v2 = 0) {
        return json::array({{{"index", 0}, {"value", v}, {"valueTwo", v2}, {"op", op}}});
    };
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_EQ", 022)), umask_errno(022)) == EDOM);
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_EQ", 022)), umask_errno(077)) == 0);
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_NE", 022)), umask_errno(077)) == EDOM);
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_LT", 010)), umask_errno(07)) == EDOM);
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_LE", 010)), umask_errno(010)) == EDOM);
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_GT", 010)), umask_errno(010)) == 0);
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_GE", 010)), umask_errno(010)) == EDOM);
    // (arg & 070) == 020
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_MASKED_EQ", 070, 020)), umask_errno(027)) == EDOM);
    CHECK(run_filtered(umask_rule(arg("SCMP_CMP_MASKED_EQ", 070, 020)), umask_errno(037)) == 0);
    // Two conditions on one argument: each its own rule (OR), as runc does.
    json two = json::array({{{"index", 0}, {"value", 011}, {"op", "SCMP_CMP_EQ"}},
                            {{"index", 0}, {"value", 022}, {"op", "SCMP_CMP_EQ"}}});
    CHECK(run_filtered(umask_rule(two), umask_errno(011)) == EDOM);
    CHECK(run_filtered(umask_rule(two), umask_errno(022)) == EDOM);
    CHECK(run_filtered(umask_rule(two), umask_errno(033)) == 0);
}

TEST_CASE("loading needs no_new_privs or CAP_SYS_ADMIN, and says so") {
    SeccompFilter f = SeccompFilter::compile(allow_all_but({{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}}));
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // Drop CAP_SYS_ADMIN from the effective set, keep no_new_privs off.
        struct {
            uint32_t version = 0x20080522;
            int pid = 0;
        } hdr;
        uint32_t data[6] = {};
        ::syscall(SYS_capget, &hdr, data);
        data[0] &= ~(1u << 21);
        ::syscall(SYS_capset, &hdr, data);
        try {
            f.load();
        } catch (const ctr::Error& e) {
            ::_exit(std::string(e.what()).find("no_new_privs") != std::string::npos ? 42 : 43);
        }
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WEXITSTATUS(status) == 42);
}

TEST_CASE("SCMP_ACT_NOTIFY: load returns the listener; an agent answers") {
    json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"listenerPath", "/run/agent.sock"},
                    {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
    SeccompFilter f = SeccompFilter::compile(profile);
    CHECK(f.uses_notify());
    CHECK(f.listener_path() == "/run/agent.sock");
    CHECK((f.flags() & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0);
    int p[2];
    REQUIRE(::pipe(p) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(p[0]);
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int fd = f.load();
        if (::write(p[1], &fd, sizeof fd) != sizeof fd) ::_exit(99);
        ::_exit(mkdir_errno());
    }
    ::close(p[1]);
    int child_fd = -1;
    REQUIRE(::read(p[0], &child_fd, sizeof child_fd) == sizeof child_fd);
    ::close(p[0]);
    REQUIRE(child_fd >= 0);
    int pidfd = int(::syscall(SYS_pidfd_open, pid, 0));
    REQUIRE(pidfd >= 0);
    int notify = int(::syscall(SYS_pidfd_getfd, pidfd, child_fd, 0));
    REQUIRE(notify >= 0);
    seccomp_notif req{};
    REQUIRE(::ioctl(notify, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
    CHECK(req.pid == uint32_t(pid));
    seccomp_notif_resp resp{};
    resp.id = req.id;
    resp.error = -EROFS;
    CHECK(::ioctl(notify, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WEXITSTATUS(status) == EROFS);
    ::close(notify);
    ::close(pidfd);
}

TEST_CASE("compiled filters round-trip through bytes and the cache") {
    json profile = allow_all_but({{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EXDEV}});
    SeccompFilter f = SeccompFilter::compile(profile);
    SeccompFilter back = SeccompFilter::from_bytes(f.to_bytes());
    CHECK(back.to_bytes() == f.to_bytes());
    CHECK_THROWS_AS(SeccompFilter::from_bytes("not a filter"), ctr::Error);
    CHECK_THROWS_AS(SeccompFilter::from_bytes(f.to_bytes().substr(0, f.to_bytes().size() - 3)), ctr::Error);

    char tmpl[] = "/tmp/ctr-unit-cache.XXXXXX";
    std::string dir = std::string(::mkdtemp(tmpl)) + "/cache";
    SeccompFilter first = SeccompFilter::compile_cached(profile, dir);
    std::vector<std::string> entries;
    for (const auto& e : std::filesystem::directory_iterator(dir)) entries.push_back(e.path().string());
    REQUIRE(entries.size() == 1);
    CHECK(first.to_bytes() == f.to_bytes());
    SeccompFilter second = SeccompFilter::compile_cached(profile, dir);
    CHECK(second.to_bytes() == f.to_bytes());
    // A damaged entry is compiled again and replaced.
    std::ofstream(entries[0]) << "garbage";
    CHECK(SeccompFilter::compile_cached(profile, dir).to_bytes() == f.to_bytes());
    CHECK(SeccompFilter::from_bytes([&] {
              std::ifstream in(entries[0]);
              return std::string(std::istreambuf_iterator<char>(in), {});
          }()).to_bytes() == f.to_bytes());
    // A different profile is a different entry.
    SeccompFilter::compile_cached(allow_all_but({{"names", {"rmdir"}}, {"action", "SCMP_ACT_ERRNO"}}), dir);
    CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 2);
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path());

    // A filter read back still works.
    SeccompFilter loaded = SeccompFilter::from_bytes(f.to_bytes());
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        loaded.load();
        ::_exit(mkdir_errno());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WEXITSTATUS(status) == EXDEV);
}

TEST_CASE("Docker-format profiles: includes, excludes, archMap") {
    json profile = json::parse(R"({
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
        "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
            {"names": ["s390_runtime_instr"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"name": "kcmp", "action": "SCMP_ACT_ALLOW", "comment": "old single-name form"}
        ]})");
    auto names = [](const json& out) {
        std::vector<std::string> n;
        for (const auto& s : out["syscalls"]) n.push_back(s["names"][0]);
        return n;
    };
    json plain = seccomp_profile_for(profile, {"CAP_CHOWN"});
#if defined(__x86_64__)
    CHECK(plain["architectures"] == json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
    CHECK(names(plain) == std::vector<std::string>{"read", "clone3", "arch_prctl", "ptrace", "kcmp"});
#endif
    CHECK(plain["defaultErrnoRet"] == 1);
    json admin = seccomp_profile_for(profile, {"CAP_SYS_ADMIN"});
    auto admin_names = names(admin);
    CHECK(std::find(admin_names.begin(), admin_names.end(), "mount") != admin_names.end());
    CHECK(std::find(admin_names.begin(), admin_names.end(), "clone3") == admin_names.end());
    CHECK(admin["syscalls"][0].count("comment") == 0);
    SeccompFilter::compile(plain);  // the result is a valid linux.seccomp
}

TEST_CASE("share/seccomp/default.json compiles for docker's default capabilities") {
    std::ifstream in("share/seccomp/default.json");
    REQUIRE(in);
    json profile = json::parse(in);
    std::vector<std::string> docker_caps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                                            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
                                            "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                                            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
    json seccomp = seccomp_profile_for(profile, docker_caps);
    CHECK(seccomp["defaultAction"] == "SCMP_ACT_ERRNO");
    SeccompFilter::compile(seccomp);
    // Without CAP_SYS_ADMIN: no mount, unshare or namespace flags for clone; clone3 says ENOSYS.
    auto rules_for = [&](const std::string& name) {
        std::vector<json> out;
        for (const auto& s : seccomp["syscalls"])
            for (const auto& n : s["names"])
                if (n == name) out.push_back(s);
        return out;
    };
    CHECK(rules_for("mount").empty());
    CHECK(rules_for("unshare").empty());
    REQUIRE(rules_for("clone").size() == 1);
    CHECK(rules_for("clone")[0]["args"][0]["op"] == "SCMP_CMP_MASKED_EQ");
    REQUIRE(rules_for("clone3").size() == 1);
    CHECK(rules_for("clone3")[0]["errnoRet"] == ENOSYS);
    CHECK(rules_for("chroot").size() == 1);  // CAP_SYS_CHROOT is a default capability

    // Under the profile, a child can still fork, exec-less work, and mkdir;
    // unshare is refused with EPERM.
    CHECK(run_filtered(seccomp, mkdir_errno) == 0);
    CHECK(run_filtered(seccomp, [] { return ::unshare(CLONE_NEWUTS) < 0 ? errno : 0; }) == EPERM);
    CHECK(run_filtered(seccomp, [] {
              pid_t p = ::fork();
              if (p == 0) ::_exit(7);
              int st = 0;
              ::waitpid(p, &st, 0);
              return WEXITSTATUS(st);
          }) == 7);
}
