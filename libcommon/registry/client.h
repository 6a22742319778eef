// A client for one repository of one registry, speaking the OCI distribution
// protocol (docker's registry API v2).
//
// It finds how to reach the registry (HTTPS; plain HTTP only when the
// registry is insecure), how it wants to be authenticated (the 401 of
// GET /v2/: a bearer token from a token server, per repository and action, or
// basic auth), and keeps the tokens it got. Safe to use from several threads
// at once: each transfer borrows its own HttpClient.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "libcommon/registry/auth_file.h"
#include "libcommon/registry/challenge.h"
#include "libcommon/registry/http.h"

namespace ctr::registry {

// How to reach and log in to a registry.
struct ClientOptions {
    std::optional<Credentials> creds;  // none: anonymous (or what the auth files hold, see AuthFiles)
    bool insecure = false;             // HTTP allowed and certificates not verified
    bool tls_verify = true;            // false: certificates not verified (HTTPS still tried first)
    std::string cert_dir;              // certs.d directory; default /etc/containers/certs.d/<host> or /etc/docker/certs.d/<host>
};

// A manifest as the registry served it.
struct FetchedManifest {
    std::string bytes;       // exactly as received
    std::string media_type;  // from Content-Type, else the body's mediaType
    std::string digest;      // sha256 of bytes
};

// The registry answered with an error (4xx/5xx) that the caller may want to tell apart.
class RegistryError : public Error {
public:
    RegistryError(const std::string& message, long status, std::string code)
        : Error(message), status_(status), code_(std::move(code)) {}
    long status() const { return status_; }
    const std::string& code() const { return code_; }  // "MANIFEST_UNKNOWN", "UNAUTHORIZED", …

private:
    long status_;
    std::string code_;
};

// Where a downloaded blob goes.
class BlobSink {
public:
    virtual ~BlobSink() = default;
    virtual void write(const char* data, size_t size) = 0;
    // Forgets what was written: the registry is sending the whole blob again.
    virtual void restart() = 0;
};

class Client {
public:
    // `domain` as in a Reference ("docker.io", "host:5000"); `path` the repository path.
    Client(std::string domain, std::string path, ClientOptions options);
    ~Client();

    const std::string& domain() const { return domain_; }
    const std::string& path() const { return path_; }

    // GET /v2/ and authenticate for `actions` ("pull", "pull,push"): checks
    // the registry is reachable and accepts the credentials. Throws when not.
    void check_access(const std::string& actions);

    // The manifest (or index) for a tag or digest, with every media type we read accepted.
    FetchedManifest get_manifest(const std::string& ref);
    // The digest the registry has for a tag or digest, or nothing when unknown (404).
    std::optional<std::string> head_manifest(const std::string& ref);
    // Stores a manifest under a tag or digest; returns the registry's digest for it.
    std::string put_manifest(const std::string& ref, const std::string& bytes, const std::string& media_type);
    // The repository's tags (following the Link header's pages).
    std::vector<std::string> list_tags();

    // Streams blob `digest` (`size` bytes) into `sink`, calling `progress`
    // with the bytes so far; a broken transfer resumes with Range (or
    // restarts) a few times. Throws when the size is wrong; the sink checks
    // the digest (the store's BlobWriter does, before the blob is linked).
    void fetch_blob(const std::string& digest, uint64_t size, class BlobSink& sink,
                    const std::function<void(uint64_t)>& progress);

    // Whether the repository already has the blob (HEAD).
    bool has_blob(const std::string& digest);
    // Asks the registry to link a blob from another repository of it; true when it did.
    bool mount_blob(const std::string& digest, const std::string& from_path);
    // Uploads `size` bytes of `fd` as blob `digest`: in one PUT, or in PATCH
    // chunks of `chunk_size` bytes when that is non-zero.
    void upload_blob(const std::string& digest, uint64_t size, int fd, uint64_t chunk_size,
                     const std::function<void(uint64_t)>& progress);

    // "https://host:port" once the registry was reached.
    std::string base_url();

private:
    struct Pool;
    // Borrows an HttpClient for one request.
    class Lease;

    HttpResponse send(HttpRequest request, const std::string& actions, const std::string& what);
    void connect();
    std::string token_for(const std::string& scope, HttpClient& http, bool refresh);
    std::string authorization(const std::string& scope, HttpClient& http, bool refresh);
    std::string scope(const std::string& actions) const;
    [[noreturn]] void fail(const HttpResponse& r, const std::string& what);

    std::string domain_;
    std::string host_;  // where the API lives (registry-1.docker.io for docker.io)
    std::string path_;
    ClientOptions options_;
    TlsConfig tls_;

    std::mutex mu_;
    std::mutex token_mu_;  // one token request at a time: threads wanting the same scope share it
    bool connected_ = false;
    std::string base_;  // "https://host"
    Challenge challenge_;
    std::map<std::string, std::string> tokens_;  // scope -> token
    std::unique_ptr<Pool> pool_;
};

// The media types a pull understands.
namespace media {
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr const char* kDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
bool is_index(const std::string& media_type);
bool is_manifest(const std::string& media_type);
}  // namespace media

// "sha256:<hex>" of `data`.
std::string sha256_digest(std::string_view data);

}  // namespace ctr::registry
