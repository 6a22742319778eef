#include "libcommon/bundle/seccomp.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "libcommon/bundle/spec.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/spawn.h"

namespace ctr::bundle {

using json = nlohmann::json;

namespace {

struct NativeArch {
    const char* go;
    const char* scmp;
};

NativeArch native_arch() {
#if defined(__x86_64__)
    return {"amd64", "SCMP_ARCH_X86_64"};
#elif defined(__aarch64__)
    return {"arm64", "SCMP_ARCH_AARCH64"};
#elif defined(__s390x__)
    return {"s390x", "SCMP_ARCH_S390X"};
#elif defined(__powerpc64__)
    return {"ppc64le", "SCMP_ARCH_PPC64LE"};
#elif defined(__riscv)
    return {"riscv64", "SCMP_ARCH_RISCV64"};
#else
    return {"", ""};
#endif
}

bool contains(const json& list, const std::string& v) {
    if (!list.is_array()) return false;
    for (auto& e : list)
        if (e.is_string() && e.template get<std::string>() == v) return true;
    return false;
}

// "5.4" <= the running kernel?
bool kernel_at_least(const std::string& want) {
    struct utsname u;
    if (::uname(&u) < 0) return true;
    int hm = 0, hn = 0, wm = 0, wn = 0;
    std::sscanf(u.release, "%d.%d", &hm, &hn);
    std::sscanf(want.c_str(), "%d.%d", &wm, &wn);
    return hm != wm ? hm > wm : hn >= wn;
}

bool applies(const json& entry, const std::vector<std::string>& caps, const std::string& arch) {
    auto has_cap = [&](const json& c) {
        return c.is_string() && std::find(caps.begin(), caps.end(), c.get<std::string>()) != caps.end();
    };
    if (entry.contains("includes") && entry["includes"].is_object()) {
        auto& inc = entry["includes"];
        if (inc.contains("caps") && inc["caps"].is_array())
            for (auto& c : inc["caps"])
                if (!has_cap(c)) return false;
        if (inc.contains("arches") && inc["arches"].is_array() && !inc["arches"].empty() && !contains(inc["arches"], arch))
            return false;
        if (inc.contains("minKernel") && inc["minKernel"].is_string() && !kernel_at_least(inc["minKernel"]))
            return false;
    }
    if (entry.contains("excludes") && entry["excludes"].is_object()) {
        auto& exc = entry["excludes"];
        if (exc.contains("caps") && exc["caps"].is_array())
            for (auto& c : exc["caps"])
                if (has_cap(c)) return false;
        if (contains(exc.value("arches", json()), arch)) return false;
    }
    return true;
}

}  // namespace

json docker_profile_to_oci(const json& profile, const std::vector<std::string>& caps) {
    if (!profile.is_object()) throw Error("seccomp profile: not a JSON object");
    if (!profile.contains("defaultAction") || !profile["defaultAction"].is_string())
        throw Error("seccomp profile: defaultAction is missing");
    NativeArch native = native_arch();
    json out = json::object();
    for (auto key : {"defaultAction", "defaultErrnoRet", "listenerPath", "listenerMetadata", "flags"})
        if (profile.contains(key)) out[key] = profile[key];

    if (profile.contains("architectures") && profile["architectures"].is_array() && !profile["architectures"].empty()) {
        out["architectures"] = profile["architectures"];
    } else if (profile.contains("archMap") && profile["archMap"].is_array()) {
        json arches = json::array();
        for (auto& m : profile["archMap"]) {
            if (!m.is_object() || m.value("architecture", "") != native.scmp) continue;
            arches.push_back(native.scmp);
            for (auto& sub : m.value("subArchitectures", json::array())) arches.push_back(sub);
        }
        if (!arches.empty()) out["architectures"] = arches;
    }

    json syscalls = json::array();
    if (profile.contains("syscalls")) {
        if (!profile["syscalls"].is_array()) throw Error("seccomp profile: syscalls is not an array");
        size_t i = 0;
        for (auto& e : profile["syscalls"]) {
            if (!e.is_object()) throw Error("seccomp profile: syscalls[" + std::to_string(i) + "] is not an object");
            i++;
            if (!applies(e, caps, native.go)) continue;
            json s = json::object();
            if (e.contains("names"))
                s["names"] = e["names"];
            else if (e.contains("name"))
                s["names"] = json::array({e["name"]});
            for (auto key : {"action", "errnoRet", "args"})
                if (e.contains(key) && !e[key].is_null()) s[key] = e[key];
            syscalls.push_back(s);
        }
    }
    out["syscalls"] = syscalls;
    return out;
}

json seccomp_for(const std::optional<std::string>& choice, const std::vector<std::string>& caps) {
    std::string path;
    if (!choice) {
        path = default_seccomp_profile_path();
        if (path.empty()) return nullptr;
    } else if (*choice == "unconfined") {
        return nullptr;
    } else {
        path = *choice;
    }
    std::ifstream in(path);
    if (!in) throw Error("seccomp profile " + path + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    json profile;
    try {
        profile = json::parse(ss.str());
    } catch (const json::exception& e) {
        throw Error("seccomp profile " + path + ": " + e.what());
    }
    try {
        return docker_profile_to_oci(profile, caps);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
}

std::string default_seccomp_profile_path() {
    if (const char* env = ::getenv("CTR_SECCOMP_PROFILE"); env && *env) return env;
    std::vector<std::string> candidates;
    if (std::string dir = exe_dir(); !dir.empty()) {
        candidates.push_back(dir + "/../share/seccomp/default.json");
        candidates.push_back(dir + "/../share/ctr/seccomp/default.json");
    }
    candidates.push_back("/usr/local/share/ctr/seccomp/default.json");
    candidates.push_back("/usr/share/ctr/seccomp/default.json");
    for (auto& c : candidates)
        if (::access(c.c_str(), R_OK) == 0) return c;
    return {};
}

}  // namespace ctr::bundle
