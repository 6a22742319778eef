#include "libcommon/registry/client.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "libcommon/sys/error.h"

namespace ctr::registry {

using json = nlohmann::json;

namespace {

constexpr size_t kMaxManifest = 4u << 20;
constexpr int kBlobAttempts = 5;

std::string escape(const std::string& s) {
    char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
    std::string out = e ? e : s;
    curl_free(e);
    return out;
}

std::string strip_params(std::string media_type) {
    auto semi = media_type.find(';');
    if (semi != std::string::npos) media_type.erase(semi);
    while (!media_type.empty() && media_type.back() == ' ') media_type.pop_back();
    return media_type;
}

std::string with_query(const std::string& url, const std::string& query) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

bool dir_exists(const std::string& p) { return ::access(p.c_str(), X_OK) == 0; }

// Incremental SHA-256.
class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void reset() { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
    void update(const void* p, size_t n) { EVP_DigestUpdate(ctx_, p, n); }
    std::string digest() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_, md, &len);
        static const char* hex = "0123456789abcdef";
        std::string out = "sha256:";
        for (unsigned i = 0; i < len; ++i) out += hex[md[i] >> 4], out += hex[md[i] & 15];
        return out;
    }

private:
    EVP_MD_CTX* ctx_;
};

}  // namespace

std::string sha256_digest(std::string_view data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.digest();
}

namespace media {
bool is_index(const std::string& t) { return t == kOciIndex || t == kDockerList; }
bool is_manifest(const std::string& t) { return t == kOciManifest || t == kDockerManifest; }
}  // namespace media

struct Client::Pool {
    std::mutex mu;
    std::vector<std::unique_ptr<HttpClient>> idle;
};

class Client::Lease {
public:
    explicit Lease(Client& c) : c_(c) {
        std::lock_guard<std::mutex> lock(c_.pool_->mu);
        if (!c_.pool_->idle.empty()) {
            http_ = std::move(c_.pool_->idle.back());
            c_.pool_->idle.pop_back();
        } else {
            http_ = std::make_unique<HttpClient>(c_.tls_);
        }
    }
    ~Lease() {
        std::lock_guard<std::mutex> lock(c_.pool_->mu);
        c_.pool_->idle.push_back(std::move(http_));
    }
    HttpClient& operator*() { return *http_; }
    HttpClient* operator->() { return http_.get(); }

private:
    Client& c_;
    std::unique_ptr<HttpClient> http_;
};

Client::Client(std::string domain, std::string path, ClientOptions options)
    : domain_(std::move(domain)), path_(std::move(path)), options_(std::move(options)), pool_(std::make_unique<Pool>()) {
    host_ = domain_ == "docker.io" ? "registry-1.docker.io" : domain_;
    tls_.verify = options_.tls_verify && !options_.insecure;
    tls_.ca_dir = options_.cert_dir;
    if (tls_.ca_dir.empty()) {
        for (std::string d : {"/etc/containers/certs.d/" + domain_, "/etc/docker/certs.d/" + domain_})
            if (dir_exists(d)) {
                tls_.ca_dir = d;
                break;
            }
    }
}

Client::~Client() = default;

std::string Client::base_url() {
    connect();
    return base_;
}

void Client::connect() {
    std::lock_guard<std::mutex> lock(mu_);
    if (connected_) return;
    Lease http(*this);
    HttpRequest ping;
    ping.url = "https://" + host_ + "/v2/";
    HttpResponse r;
    try {
        r = http->perform(ping);
        base_ = "https://" + host_;
    } catch (const TransportError& e) {
        if (tls_.verify) {
            if (e.tls())
                throw Error("cannot reach registry " + domain_ + ": TLS: " + e.what() +
                            " (trust its CA with --cert-dir or /etc/containers/certs.d/" + domain_ +
                            "/, or use --tls-verify=false)");
            throw Error("cannot reach registry " + domain_ + ": " + e.what());
        }
        // An insecure registry may speak plain HTTP.
        ping.url = "http://" + host_ + "/v2/";
        try {
            r = http->perform(ping);
        } catch (const TransportError& e2) {
            throw Error("cannot reach registry " + domain_ + ": " + e2.what());
        }
        base_ = "http://" + host_;
    }
    if (r.status == 401) {
        challenge_ = parse_challenge(r.header("www-authenticate"));
        if (challenge_.scheme != "bearer" && challenge_.scheme != "basic")
            throw Error("registry " + domain_ + " asks for an authentication scheme we do not speak: \"" +
                        r.header("www-authenticate") + "\"");
    } else if (r.status == 404) {
        throw Error(domain_ + " is not a registry (" + ping.url + " answered 404)");
    } else if (!r.ok()) {
        throw Error("registry " + domain_ + ": " + ping.url + " answered HTTP " + std::to_string(r.status));
    }
    connected_ = true;
}

std::string Client::scope(const std::string& actions) const {
    if (actions.empty()) return "";
    if (actions.find(' ') != std::string::npos || actions.rfind("repository:", 0) == 0) return actions;
    return "repository:" + path_ + ":" + actions;
}

std::string Client::token_for(const std::string& scope, HttpClient& http, bool refresh) {
    std::lock_guard<std::mutex> one_at_a_time(token_mu_);
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = tokens_.find(scope);
        if (it != tokens_.end() && !refresh) return it->second;
    }
    std::string realm = challenge_.param("realm");
    if (realm.empty()) throw Error("registry " + domain_ + " sent a bearer challenge without a realm");
    std::string query;
    if (!challenge_.param("service").empty()) query += "service=" + escape(challenge_.param("service"));
    size_t start = 0;
    while (start < scope.size()) {
        size_t end = scope.find(' ', start);
        if (end == std::string::npos) end = scope.size();
        if (end > start) query += std::string(query.empty() ? "" : "&") + "scope=" + escape(scope.substr(start, end - start));
        start = end + 1;
    }
    HttpRequest req;
    const auto& creds = options_.creds;
    if (creds && !creds->identity_token.empty()) {
        req.method = "POST";
        req.url = realm;
        req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
        req.body = query + "&grant_type=refresh_token&client_id=ctr&refresh_token=" + escape(creds->identity_token);
    } else {
        if (creds) query += "&account=" + escape(creds->username);
        req.url = with_query(realm, query);
        if (creds) req.headers.push_back("Authorization: Basic " + encode_basic(*creds));
    }
    HttpResponse r;
    try {
        r = http.perform(req);
    } catch (const TransportError& e) {
        throw Error("get a token for " + domain_ + " from " + realm + ": " + e.what());
    }
    if (r.status == 401 || r.status == 403) {
        if (creds)
            throw RegistryError(domain_ + " rejected the credentials of user \"" + creds->username +
                                    "\" (wrong user name or password)",
                                r.status, "UNAUTHORIZED");
        throw RegistryError(domain_ + ": authentication required (log in with ctr-login " + domain_ + " or pass --creds)",
                            r.status, "UNAUTHORIZED");
    }
    if (!r.ok()) throw Error("get a token for " + domain_ + " from " + realm + ": HTTP " + std::to_string(r.status));
    json doc = json::parse(r.body, nullptr, false);
    std::string token;
    if (doc.is_object()) {
        if (doc.contains("token") && doc["token"].is_string()) token = doc["token"];
        if (token.empty() && doc.contains("access_token") && doc["access_token"].is_string()) token = doc["access_token"];
    }
    if (token.empty()) throw Error("token server " + realm + " for " + domain_ + " returned no token");
    std::lock_guard<std::mutex> lock(mu_);
    tokens_[scope] = token;
    return token;
}

std::string Client::authorization(const std::string& scope, HttpClient& http, bool refresh) {
    if (challenge_.scheme == "basic") {
        if (!options_.creds) return "";
        return "Authorization: Basic " + encode_basic(*options_.creds);
    }
    if (challenge_.scheme == "bearer") return "Authorization: Bearer " + token_for(scope, http, refresh);
    return "";
}

HttpResponse Client::send(HttpRequest request, const std::string& actions, const std::string& what) {
    connect();
    Lease http(*this);
    std::string sc = scope(actions);
    const auto base_headers = request.headers;
    for (int attempt = 0;; ++attempt) {
        request.headers = base_headers;
        std::string auth = authorization(sc, *http, attempt > 0);
        if (!auth.empty()) request.headers.push_back(auth);
        HttpResponse r;
        try {
            r = http->perform(request);
        } catch (const TransportError& e) {
            throw TransportError(what + ": " + e.what(), e.curl_code(), e.tls());
        }
        if (r.status == 401 && attempt == 0 && challenge_.scheme == "bearer") {
            // The token may have expired or lack a scope the registry now names.
            Challenge c = parse_challenge(r.header("www-authenticate"));
            if (c.scheme == "bearer" && !c.param("scope").empty() && sc.find(c.param("scope")) == std::string::npos)
                sc += " " + c.param("scope");
            continue;
        }
        return r;
    }
}

void Client::fail(const HttpResponse& r, const std::string& what) {
    std::string code, message;
    json doc = json::parse(r.body, nullptr, false);
    if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array() && !doc["errors"].empty()) {
        const json& e = doc["errors"][0];
        if (e.contains("code") && e["code"].is_string()) code = e["code"];
        if (e.contains("message") && e["message"].is_string()) message = e["message"];
    }
    if (r.status == 401) {
        if (options_.creds)
            throw RegistryError(what + ": " + domain_ + " rejected the credentials of user \"" + options_.creds->username +
                                    "\" (wrong user name or password)",
                                r.status, code.empty() ? "UNAUTHORIZED" : code);
        throw RegistryError(what + ": authentication required (log in with ctr-login " + domain_ + " or pass --creds)",
                            r.status, code.empty() ? "UNAUTHORIZED" : code);
    }
    std::string detail = message.empty() ? "HTTP " + std::to_string(r.status) : message + " (HTTP " + std::to_string(r.status) + ")";
    throw RegistryError(what + ": " + detail, r.status, code);
}

void Client::check_access(const std::string& actions) {
    connect();
    if (challenge_.scheme == "bearer") {
        Lease http(*this);
        token_for(scope(actions), *http, true);
        return;
    }
    // Basic auth (or none): GET /v2/ with the credentials must now succeed.
    HttpRequest req;
    req.url = base_ + "/v2/";
    HttpResponse r = send(req, actions, "log in to " + domain_);
    if (!r.ok()) fail(r, "log in to " + domain_);
}

FetchedManifest Client::get_manifest(const std::string& ref) {
    std::string what = "fetch manifest " + domain_ + "/" + path_ + (ref.find(':') != std::string::npos ? "@" : ":") + ref;
    HttpRequest req;
    req.url = base_url() + "/v2/" + path_ + "/manifests/" + ref;
    req.headers.push_back(std::string("Accept: ") + media::kOciIndex + ", " + media::kDockerList + ", " +
                          media::kOciManifest + ", " + media::kDockerManifest);
    std::string bytes;
    req.sink = [&](const char* p, size_t n, bool first, const HttpResponse&) {
        if (first) bytes.clear();
        if (bytes.size() + n > kMaxManifest) throw Error(what + ": manifest larger than 4 MiB");
        bytes.append(p, n);
    };
    HttpResponse r = send(req, "pull", what);
    if (!r.ok()) fail(r, what);
    FetchedManifest m;
    m.bytes = std::move(bytes);
    m.digest = sha256_digest(m.bytes);
    m.media_type = strip_params(r.header("content-type"));
    json doc = json::parse(m.bytes, nullptr, false);
    if (!doc.is_object()) throw Error(what + ": the registry sent a manifest that is not a JSON object");
    if (doc.contains("schemaVersion") && doc["schemaVersion"] == 1)
        throw Error(what + ": docker schema 1 manifests are not supported (push the image again with a current client)");
    if (m.media_type == media::kDockerSchema1 || m.media_type == media::kDockerSchema1Signed)
        throw Error(what + ": docker schema 1 manifests are not supported (push the image again with a current client)");
    if (!media::is_index(m.media_type) && !media::is_manifest(m.media_type)) {
        if (doc.contains("mediaType") && doc["mediaType"].is_string())
            m.media_type = doc["mediaType"];
        else if (doc.contains("manifests"))
            m.media_type = media::kOciIndex;
        else if (doc.contains("layers"))
            m.media_type = media::kOciManifest;
    }
    if (!media::is_index(m.media_type) && !media::is_manifest(m.media_type))
        throw Error(what + ": unsupported manifest type \"" + m.media_type + "\"");
    if (ref.rfind("sha256:", 0) == 0 && m.digest != ref)
        throw Error(what + ": the registry sent a manifest whose digest is " + m.digest);
    std::string claimed = r.header("docker-content-digest");
    if (claimed.rfind("sha256:", 0) == 0 && claimed != m.digest)
        throw Error(what + ": manifest digest " + m.digest + " does not match the registry's " + claimed);
    return m;
}

std::optional<std::string> Client::head_manifest(const std::string& ref) {
    std::string what = "look up " + domain_ + "/" + path_ + ":" + ref;
    HttpRequest req;
    req.method = "HEAD";
    req.url = base_url() + "/v2/" + path_ + "/manifests/" + ref;
    req.headers.push_back(std::string("Accept: ") + media::kOciIndex + ", " + media::kDockerList + ", " +
                          media::kOciManifest + ", " + media::kDockerManifest);
    HttpResponse r = send(req, "pull", what);
    if (r.status == 404) return std::nullopt;
    if (!r.ok()) fail(r, what);
    std::string d = r.header("docker-content-digest");
    if (d.empty()) return std::nullopt;  // cannot tell without a GET
    return d;
}

std::string Client::put_manifest(const std::string& ref, const std::string& bytes, const std::string& media_type) {
    std::string what = "push manifest " + domain_ + "/" + path_ + (ref.find(':') != std::string::npos ? "@" : ":") + ref;
    HttpRequest req;
    req.method = "PUT";
    req.url = base_url() + "/v2/" + path_ + "/manifests/" + ref;
    req.headers.push_back("Content-Type: " + media_type);
    req.body = bytes;
    HttpResponse r = send(req, "pull,push", what);
    if (!r.ok()) fail(r, what);
    std::string d = r.header("docker-content-digest");
    std::string ours = sha256_digest(bytes);
    if (!d.empty() && d != ours) throw Error(what + ": the registry stored digest " + d + ", we sent " + ours);
    return ours;
}

std::vector<std::string> Client::list_tags() {
    std::string what = "list tags of " + domain_ + "/" + path_;
    std::vector<std::string> tags;
    std::string url = base_url() + "/v2/" + path_ + "/tags/list";
    for (int page = 0; page < 1000 && !url.empty(); ++page) {
        HttpRequest req;
        req.url = url;
        HttpResponse r = send(req, "pull", what);
        if (!r.ok()) fail(r, what);
        json doc = json::parse(r.body, nullptr, false);
        if (!doc.is_object()) throw Error(what + ": the registry's answer is not JSON");
        if (doc.contains("tags") && doc["tags"].is_array())
            for (auto& t : doc["tags"])
                if (t.is_string()) tags.push_back(t);
        url.clear();
        std::string link = r.header("link");
        auto lt = link.find('<'), gt = link.find('>');
        if (lt != std::string::npos && gt != std::string::npos && link.find("rel=\"next\"") != std::string::npos)
            url = resolve_url(r.url, link.substr(lt + 1, gt - lt - 1));
    }
    return tags;
}

void Client::fetch_blob(const std::string& digest, uint64_t size, BlobSink& sink,
                        const std::function<void(uint64_t)>& progress) {
    std::string what = "fetch blob " + digest + " from " + domain_ + "/" + path_;
    uint64_t have = 0;
    auto restart = [&] {
        sink.restart();
        have = 0;
    };
    std::string last_error;
    for (int attempt = 0; attempt < kBlobAttempts; ++attempt) {
        if (attempt > 0) {
            if (interrupted()) throw Interrupted();
            std::this_thread::sleep_for(std::chrono::milliseconds(150 << (attempt - 1)));
        }
        HttpRequest req;
        req.url = base_url() + "/v2/" + path_ + "/blobs/" + digest;
        if (have > 0) req.headers.push_back("Range: bytes=" + std::to_string(have) + "-");
        req.sink = [&](const char* p, size_t n, bool first, const HttpResponse& head) {
            // A 206 continues where we stopped; anything else is the whole blob again.
            if (first && have > 0 &&
                !(head.status == 206 && head.header("content-range").rfind("bytes " + std::to_string(have) + "-", 0) == 0))
                restart();
            if (have + n > size)
                throw Error(what + ": the registry sent more than the " + std::to_string(size) + " bytes announced");
            sink.write(p, n);
            have += n;
            if (progress) progress(have);
        };
        HttpResponse r;
        try {
            r = send(req, "pull", what);
        } catch (const TransportError& e) {
            // The connection broke (or could not be made): try again, resuming from `have`.
            last_error = e.what();
            continue;
        }
        if (r.status == 416) {
            restart();
            last_error = what + ": range not satisfiable";
            continue;
        }
        if (r.status >= 500) {
            last_error = what + ": HTTP " + std::to_string(r.status);
            continue;
        }
        if (!r.ok()) fail(r, what);
        if (have < size) {
            last_error = what + ": transfer ended after " + std::to_string(have) + " of " + std::to_string(size) + " bytes";
            continue;
        }
        return;
    }
    throw Error(last_error + " (gave up after " + std::to_string(kBlobAttempts) + " attempts)");
}

bool Client::has_blob(const std::string& digest) {
    std::string what = "check blob " + digest + " in " + domain_ + "/" + path_;
    HttpRequest req;
    req.method = "HEAD";
    req.url = base_url() + "/v2/" + path_ + "/blobs/" + digest;
    HttpResponse r = send(req, "pull,push", what);
    if (r.status == 404) return false;
    if (!r.ok()) fail(r, what);
    return true;
}

bool Client::mount_blob(const std::string& digest, const std::string& from_path) {
    std::string what = "mount blob " + digest + " from " + from_path + " into " + domain_ + "/" + path_;
    HttpRequest req;
    req.method = "POST";
    req.url = base_url() + "/v2/" + path_ + "/blobs/uploads/?mount=" + escape(digest) + "&from=" + escape(from_path);
    HttpResponse r = send(req, "repository:" + path_ + ":pull,push repository:" + from_path + ":pull", what);
    if (r.status == 201) return true;
    if (r.status == 202) {
        // The registry opened an upload instead; drop it.
        std::string loc = r.header("location");
        if (!loc.empty()) {
            HttpRequest del;
            del.method = "DELETE";
            del.url = resolve_url(r.url, loc);
            try {
                send(del, "pull,push", what);
            } catch (const Error&) {
            }
        }
        return false;
    }
    if (r.status == 401 || r.status == 403 || r.status == 404) return false;
    fail(r, what);
}

void Client::upload_blob(const std::string& digest, uint64_t size, int fd, uint64_t chunk_size,
                         const std::function<void(uint64_t)>& progress) {
    std::string what = "upload blob " + digest + " to " + domain_ + "/" + path_;
    HttpRequest start;
    start.method = "POST";
    start.url = base_url() + "/v2/" + path_ + "/blobs/uploads/";
    HttpResponse r = send(start, "pull,push", what);
    if (r.status != 202) fail(r, what);
    std::string location = resolve_url(r.url, r.header("location"));
    if (r.header("location").empty()) throw Error(what + ": the registry gave no upload location");

    uint64_t offset = 0;
    if (chunk_size > 0) {
        while (offset < size) {
            uint64_t n = std::min(chunk_size, size - offset);
            HttpRequest patch;
            patch.method = "PATCH";
            patch.url = location;
            patch.headers.push_back("Content-Type: application/octet-stream");
            patch.headers.push_back("Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + n - 1));
            patch.body_fd = fd;
            patch.body_offset = offset;
            patch.body_size = n;
            uint64_t base = offset;
            if (progress) patch.on_upload = [&](uint64_t sent) { progress(base + sent); };
            HttpResponse pr = send(patch, "pull,push", what);
            if (pr.status != 202) fail(pr, what);
            if (!pr.header("location").empty()) location = resolve_url(pr.url, pr.header("location"));
            offset += n;
        }
    }
    HttpRequest put;
    put.method = "PUT";
    put.url = with_query(location, "digest=" + escape(digest));
    put.headers.push_back("Content-Type: application/octet-stream");
    if (offset < size) {
        put.body_fd = fd;
        put.body_offset = offset;
        put.body_size = size - offset;
        if (progress) put.on_upload = [&](uint64_t sent) { progress(sent); };
    }
    HttpResponse pr = send(put, "pull,push", what);
    if (pr.status != 201) fail(pr, what);
    if (progress) progress(size);
}

}  // namespace ctr::registry
