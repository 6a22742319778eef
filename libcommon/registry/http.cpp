#include "libcommon/registry/http.h"

#include <curl/curl.h>
#include <dirent.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>

namespace ctr::registry {

namespace {

std::atomic<bool> g_interrupted{false};

void on_signal(int) { g_interrupted.store(true); }

CURL* handle(void* p) { return static_cast<CURL*>(p); }

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

// What a transfer in progress shares with the curl callbacks.
struct Transfer {
    CURL* curl;
    const HttpRequest* request;
    HttpResponse* response;
    bool first_body_chunk = true;
    uint64_t upload_pos = 0;
    std::exception_ptr sink_error;  // what the sink threw; rethrown after curl returns
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
        t->response->headers.clear();  // a new response (after 100 Continue)
        return size * n;
    }
    auto colon = line.find(':');
    if (colon != std::string_view::npos)
        t->response->headers.emplace_back(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
    return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    bool redirect = status >= 300 && status < 400 && t->request->follow_redirects;
    if (status >= 200 && status < 300 && t->request->sink && !redirect) {
        try {
            t->response->status = status;
            t->request->sink(data, len, t->first_body_chunk, *t->response);
        } catch (...) {
            t->sink_error = std::current_exception();
            return 0;
        }
        t->first_body_chunk = false;
        return len;
    }
    if (t->response->body.size() < (1u << 20)) t->response->body.append(data, std::min(len, (size_t(1) << 20)));
    return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const HttpRequest& r = *t->request;
    size_t want = size * n;
    if (r.body_fd >= 0) {
        uint64_t left = r.body_size - t->upload_pos;
        if (left == 0) return 0;
        ssize_t got = ::pread(r.body_fd, buf, std::min<uint64_t>(want, left), static_cast<off_t>(r.body_offset + t->upload_pos));
        if (got < 0) return CURL_READFUNC_ABORT;
        if (got == 0) return CURL_READFUNC_ABORT;  // the file shrank under us
        t->upload_pos += static_cast<uint64_t>(got);
        if (r.on_upload) r.on_upload(t->upload_pos);
        return static_cast<size_t>(got);
    }
    size_t left = r.body.size() - t->upload_pos;
    size_t take = std::min(want, left);
    std::memcpy(buf, r.body.data() + t->upload_pos, take);
    t->upload_pos += take;
    return take;
}

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return g_interrupted.load() ? 1 : 0; }

// Adds every *.crt in the configured directory to the certificates curl trusts.
CURLcode on_ssl_ctx(CURL*, void* ssl_ctx, void* user) {
    auto* tls = static_cast<const TlsConfig*>(user);
    X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
    DIR* dir = ::opendir(tls->ca_dir.c_str());
    if (!dir) return CURLE_OK;
    while (dirent* e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".crt") == 0) {
            std::string path = tls->ca_dir + "/" + name;
            X509_STORE_load_file(store, path.c_str());
        }
    }
    ::closedir(dir);
    return CURLE_OK;
}

bool tls_failure(CURLcode c) {
    return c == CURLE_SSL_CONNECT_ERROR || c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
           c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_ISSUER_ERROR || c == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

bool file_exists(const std::string& p) { return ::access(p.c_str(), R_OK) == 0; }

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
    for (auto& [k, v] : headers)
        if (k == name) return v;
    return "";
}

std::vector<std::string> HttpResponse::all(std::string_view name) const {
    std::vector<std::string> out;
    for (auto& [k, v] : headers)
        if (k == name) out.push_back(v);
    return out;
}

void http_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGINT, &sa, nullptr);
        ::sigaction(SIGTERM, &sa, nullptr);
        signal(SIGPIPE, SIG_IGN);
    });
}

bool interrupted() { return g_interrupted.load(); }

HttpClient::HttpClient(TlsConfig tls) : tls_(std::move(tls)), curl_(curl_easy_init()) {
    if (!curl_) throw Error("libcurl: cannot create a handle");
}

HttpClient::~HttpClient() { curl_easy_cleanup(handle(curl_)); }

HttpResponse HttpClient::perform(const HttpRequest& request) {
    std::string url = request.url;
    std::vector<std::string> headers = request.headers;
    std::string method = request.method;
    const std::string origin = url_authority(url);
    for (int hop = 0;; ++hop) {
        HttpResponse r = perform_once(request, url, headers, method);
        bool redirect = r.status == 301 || r.status == 302 || r.status == 303 || r.status == 307 || r.status == 308;
        if (!redirect || !request.follow_redirects) return r;
        std::string location = r.header("location");
        if (location.empty()) return r;
        if (hop == 10) throw Error(request.method + " " + request.url + ": more than 10 redirects");
        url = resolve_url(url, location);
        // Credentials are for the registry only, never for where it sends us.
        if (url_authority(url) != origin)
            headers.erase(std::remove_if(headers.begin(), headers.end(),
                                         [](const std::string& h) { return lower(h.substr(0, 14)) == "authorization:"; }),
                          headers.end());
        if (r.status == 303 && method != "HEAD") method = "GET";
    }
}

HttpResponse HttpClient::perform_once(const HttpRequest& request, const std::string& url,
                                      const std::vector<std::string>& headers, const std::string& method) {
    CURL* c = handle(curl_);
    curl_easy_reset(c);
    HttpResponse response;
    Transfer t{c, &request, &response};

    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    // A transfer that moves nothing for 30 seconds is dead.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ctr/" CTR_VERSION);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "identity");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);

    if (!tls_.verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!tls_.ca_dir.empty()) {
        curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &tls_);
        DIR* dir = ::opendir(tls_.ca_dir.c_str());
        if (dir) {
            while (dirent* e = ::readdir(dir)) {
                std::string name = e->d_name;
                if (name.size() > 5 && name.compare(name.size() - 5, 5, ".cert") == 0) {
                    std::string cert = tls_.ca_dir + "/" + name;
                    std::string key = tls_.ca_dir + "/" + name.substr(0, name.size() - 5) + ".key";
                    if (file_exists(key)) {
                        curl_easy_setopt(c, CURLOPT_SSLCERT, cert.c_str());
                        curl_easy_setopt(c, CURLOPT_SSLKEY, key.c_str());
                    }
                }
            }
            ::closedir(dir);
        }
    }

    curl_slist* hdrs = nullptr;
    for (auto& h : headers) hdrs = curl_slist_append(hdrs, h.c_str());
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

    bool has_body = request.body_fd >= 0 || !request.body.empty();
    uint64_t body_size = request.body_fd >= 0 ? request.body_size : request.body.size();
    if (method == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (method == "GET") {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (method == "POST") {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(has_body ? body_size : 0));
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &t);
    } else {  // PUT, PATCH, DELETE
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &t);
        if (method != "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    if (t.sink_error) std::rethrow_exception(t.sink_error);
    if (rc == CURLE_ABORTED_BY_CALLBACK && g_interrupted.load()) throw Interrupted();
    if (rc != CURLE_OK) {
        std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        while (!why.empty() && why.back() == '\n') why.pop_back();
        throw TransportError(method + " " + url + ": " + why, rc, tls_failure(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    response.url = url;
    return response;
}

std::string resolve_url(const std::string& base, const std::string& location) {
    CURLU* u = curl_url();
    std::string out = location;
    if (curl_url_set(u, CURLUPART_URL, base.c_str(), 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, location.c_str(), CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
        char* s = nullptr;
        if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
            out = s;
            curl_free(s);
        }
    }
    curl_url_cleanup(u);
    return out;
}

std::string url_authority(const std::string& url) {
    CURLU* u = curl_url();
    std::string out;
    if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
        char* host = nullptr;
        char* port = nullptr;
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
        out = std::string(host ? host : "") + ":" + (port ? port : "");
        curl_free(host);
        curl_free(port);
    }
    curl_url_cleanup(u);
    return out;
}

}  // namespace ctr::registry
