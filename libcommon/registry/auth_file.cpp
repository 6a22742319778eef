#include "libcommon/registry/auth_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::registry {

namespace {

using json = nlohmann::json;

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// The file's JSON, or an empty object when it does not exist.
json load(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return json::object();
        throw_errno("read " + path);
    }
    std::string text;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) text.append(buf, n);
    if (n < 0) throw_errno("read " + path);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) throw Error(path + ": not a JSON object (an auth file)");
    if (doc.contains("auths") && !doc["auths"].is_object()) throw Error(path + ": \"auths\" is not an object");
    return doc;
}

void save(const std::string& path, const json& doc) {
    std::filesystem::path p(path);
    if (p.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(p.parent_path(), ec);
        if (ec) throw Error("create " + p.parent_path().string() + ": " + ec.message());
    }
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw_errno("create " + tmp);
    std::string text = doc.dump(1, '\t') + "\n";
    const char* p_ = text.data();
    size_t left = text.size();
    while (left > 0) {
        ssize_t w = ::write(fd.get(), p_, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::unlink(tmp.c_str());
            throw_errno("write " + tmp, err);
        }
        p_ += w, left -= w;
    }
    if (::fchmod(fd.get(), 0600) != 0 || ::fsync(fd.get()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw_errno("write " + tmp, err);
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw_errno("rename " + tmp + " to " + path, err);
    }
}

// The key in `auths` that means `key`, or "".
std::string find_key(const json& auths, std::string_view key) {
    std::string want = normalize_auth_key(key);
    for (auto it = auths.begin(); it != auths.end(); ++it)
        if (normalize_auth_key(it.key()) == want) return it.key();
    return "";
}

std::optional<Credentials> entry_credentials(const json& entry, const std::string& origin) {
    if (!entry.is_object()) return std::nullopt;
    Credentials c;
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty())
        c = decode_basic(entry["auth"].get<std::string>(), origin);
    else if (entry.contains("username") && entry["username"].is_string()) {
        c.username = entry["username"].get<std::string>();
        if (entry.contains("password") && entry["password"].is_string()) c.password = entry["password"].get<std::string>();
    }
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string())
        c.identity_token = entry["identitytoken"].get<std::string>();
    if (c.username.empty() && c.identity_token.empty()) return std::nullopt;
    return c;
}

}  // namespace

std::string normalize_auth_key(std::string_view key) {
    std::string k(key);
    for (std::string_view scheme : {"https://", "http://"})
        if (k.rfind(scheme, 0) == 0) k.erase(0, scheme.size());
    while (!k.empty() && k.back() == '/') k.pop_back();
    for (std::string_view suffix : {"/v1", "/v2"})
        if (k.size() > suffix.size() && k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0)
            k.erase(k.size() - suffix.size());
    std::string host = k.substr(0, k.find('/'));
    if (host == "index.docker.io" || host == "registry-1.docker.io") k = "docker.io" + k.substr(host.size());
    return k;
}

AuthFiles AuthFiles::locate(const std::string& authfile) {
    AuthFiles f;
    std::string given = !authfile.empty() ? authfile : env("REGISTRY_AUTH_FILE");
    std::string home = env("HOME");
    if (!given.empty()) {
        f.read.push_back(given);
        f.user_given = true;
    } else {
        std::string runtime = env("XDG_RUNTIME_DIR");
        f.read.push_back(!runtime.empty() ? runtime + "/containers/auth.json"
                                          : "/run/containers/" + std::to_string(::getuid()) + "/auth.json");
        std::string config = env("XDG_CONFIG_HOME");
        if (config.empty() && !home.empty()) config = home + "/.config";
        if (!config.empty()) f.read.push_back(config + "/containers/auth.json");
    }
    std::string docker = env("DOCKER_CONFIG");
    if (!docker.empty())
        f.read.push_back(docker + "/config.json");
    else if (!home.empty())
        f.read.push_back(home + "/.docker/config.json");
    f.write = f.read.front();
    return f;
}

std::optional<Credentials> AuthFiles::lookup(std::string_view repository, std::string* found_in) const {
    // Most specific first: host/a/b, host/a, host.
    std::vector<std::string> keys;
    std::string k = normalize_auth_key(repository);
    while (true) {
        keys.push_back(k);
        auto slash = k.rfind('/');
        if (slash == std::string::npos) break;
        k.erase(slash);
    }
    for (const auto& path : read) {
        json doc = load(path);
        if (!doc.contains("auths")) continue;
        for (const auto& key : keys) {
            std::string found = find_key(doc["auths"], key);
            if (found.empty()) continue;
            if (auto c = entry_credentials(doc["auths"][found], path)) {
                if (found_in) *found_in = path;
                return c;
            }
        }
    }
    return std::nullopt;
}

std::optional<Credentials> read_credentials(const std::string& path, std::string_view key) {
    json doc = load(path);
    if (!doc.contains("auths")) return std::nullopt;
    std::string found = find_key(doc["auths"], key);
    if (found.empty()) return std::nullopt;
    return entry_credentials(doc["auths"][found], path);
}

void write_credentials(const std::string& path, std::string_view key, const Credentials& creds) {
    json doc = load(path);
    if (!doc.contains("auths")) doc["auths"] = json::object();
    std::string old = find_key(doc["auths"], key);
    if (!old.empty()) doc["auths"].erase(old);
    json entry = {{"auth", encode_basic(creds)}};
    if (!creds.identity_token.empty()) entry["identitytoken"] = creds.identity_token;
    doc["auths"][normalize_auth_key(key)] = entry;
    save(path, doc);
}

bool erase_credentials(const std::string& path, std::string_view key) {
    json doc = load(path);
    if (!doc.contains("auths")) return false;
    std::string found = find_key(doc["auths"], key);
    if (found.empty()) return false;
    doc["auths"].erase(found);
    save(path, doc);
    return true;
}

bool erase_all_credentials(const std::string& path) {
    json doc = load(path);
    if (!doc.contains("auths") || doc["auths"].empty()) return false;
    doc["auths"] = json::object();
    save(path, doc);
    return true;
}

std::string encode_basic(const Credentials& creds) {
    std::string plain = creds.username + ":" + creds.password;
    std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
    out.resize(n);
    return out;
}

Credentials decode_basic(std::string_view b64, const std::string& origin) {
    std::string in(b64);
    while (!in.empty() && (in.back() == '\n' || in.back() == '\r')) in.pop_back();
    if (in.size() % 4 != 0) throw Error(origin + ": malformed \"auth\" entry (not base64)");
    std::string out(in.size() / 4 * 3 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    if (n < 0) throw Error(origin + ": malformed \"auth\" entry (not base64)");
    // EVP_DecodeBlock counts the padding as zero bytes.
    size_t pad = 0;
    if (!in.empty() && in.back() == '=') pad++;
    if (in.size() > 1 && in[in.size() - 2] == '=') pad++;
    out.resize(n - pad);
    auto colon = out.find(':');
    if (colon == std::string::npos) throw Error(origin + ": malformed \"auth\" entry (no user:password)");
    return Credentials{out.substr(0, colon), out.substr(colon + 1), ""};
}

}  // namespace ctr::registry
