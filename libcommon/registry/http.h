// HTTP over libcurl, as the registry client needs it.
//
// One HttpClient per thread (it owns a curl handle and reuses its
// connections). Redirects are followed here, not by curl, so that an
// Authorization header never travels to another host (blob storage behind a
// registry gets only the signed URL). A response body goes to the request's
// sink only when the status is 2xx; other bodies are kept in the response for
// error messages. Ctrl-C (see interrupted()) aborts a transfer in progress.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcommon/sys/error.h"

namespace ctr::registry {

// How to trust a registry's certificate.
struct TlsConfig {
    bool verify = true;   // false: accept any certificate (--tls-verify=false, insecure registries)
    std::string ca_dir;   // certs.d-style directory: *.crt CAs added to the system's, *.cert/*.key client pair
};

// One request. Bodies come from `body` or, for blobs, from `body_fd`.
struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
    int body_fd = -1;            // when >= 0, `body_size` bytes from `body_offset` are sent
    uint64_t body_offset = 0;
    uint64_t body_size = 0;
    bool follow_redirects = true;
    // Receives a 2xx response's body as it arrives; `head` holds the status and
    // headers of the response the bytes belong to, and `first` is set on the
    // first call for it.
    std::function<void(const char* data, size_t size, bool first, const struct HttpResponse& head)> sink;
    // Bytes sent so far (uploads), for progress.
    std::function<void(uint64_t sent)> on_upload;
};

// The last response of a request (after redirects).
struct HttpResponse {
    long status = 0;
    std::string url;  // the final URL
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;  // the body when no sink took it (truncated at 1 MiB)

    // The first header of that name ("" when absent); `name` in lower case.
    std::string header(std::string_view name) const;
    std::vector<std::string> all(std::string_view name) const;
    bool ok() const { return status >= 200 && status < 300; }
};

// A request that got no HTTP answer: refused, reset, timed out, TLS rejected.
class TransportError : public Error {
public:
    TransportError(const std::string& message, int curl_code, bool tls)
        : Error(message), curl_code_(curl_code), tls_(tls) {}
    int curl_code() const { return curl_code_; }
    // The TLS handshake failed (a server speaking plain HTTP, an untrusted certificate).
    bool tls() const { return tls_; }

private:
    int curl_code_;
    bool tls_;
};

// The user pressed Ctrl-C during a transfer.
class Interrupted : public Error {
public:
    Interrupted() : Error("interrupted") {}
};

class HttpClient {
public:
    explicit HttpClient(TlsConfig tls);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Performs the request (following redirects when asked); throws
    // TransportError when no response came, Interrupted on Ctrl-C.
    HttpResponse perform(const HttpRequest& request);

    const TlsConfig& tls() const { return tls_; }

private:
    HttpResponse perform_once(const HttpRequest& request, const std::string& url,
                              const std::vector<std::string>& headers, const std::string& method);

    TlsConfig tls_;
    void* curl_;
};

// Initializes libcurl once per process and installs the SIGINT/SIGTERM
// handler that makes transfers stop; call from main before any thread starts.
void http_init();
// True once SIGINT or SIGTERM arrived (after http_init).
bool interrupted();

// `location` resolved against `base` ("/v2/x?y" or a full URL).
std::string resolve_url(const std::string& base, const std::string& location);
// "https://host:443/path" -> "host:443" (the port as written, or the scheme's default).
std::string url_authority(const std::string& url);

}  // namespace ctr::registry
