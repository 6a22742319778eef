#include "libcommon/build/fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::build {

std::string url_file_name(const std::string& url) {
    std::string u = url.substr(0, url.find_first_of("?#"));
    auto scheme = u.find("://");
    if (scheme == std::string::npos) return "";
    auto path = u.find('/', scheme + 3);
    if (path == std::string::npos) return "";
    while (u.size() > path + 1 && u.back() == '/') u.pop_back();
    std::string name = u.substr(u.rfind('/') + 1);
    if (name == "." || name == "..") return "";
    return name;
}

Fetched fetch_url(const std::string& url, const std::string& dir) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        throw Error("ADD " + url + ": only http and https URLs can be fetched");
    Fetched f;
    f.name = url_file_name(url);
    if (f.name.empty()) f.name = "index.html";
    f.path = dir + "/" + f.name;
    UniqueFd fd(::open(f.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + f.path);
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), curl_easy_cleanup);
    if (!c) throw Error("ADD " + url + ": cannot initialise libcurl");
    struct Sink {
        int fd;
        std::string path;
        std::string error;
    } sink{fd.get(), f.path, ""};
    auto write_cb = +[](char* data, size_t size, size_t n, void* p) -> size_t {
        auto* s = static_cast<Sink*>(p);
        try {
            store::write_all(s->fd, data, size * n, s->path);
        } catch (const Error& e) {
            s->error = e.what();
            return 0;
        }
        return size * n;
    };
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c.get(), CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c.get(), CURLOPT_FILETIME, 1L);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c.get(), CURLOPT_USERAGENT, "ctr-build/" CTR_VERSION);
    CURLcode rc = curl_easy_perform(c.get());
    if (!sink.error.empty()) throw Error("ADD " + url + ": " + sink.error);
    if (rc != CURLE_OK) throw Error("ADD " + url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
    long status = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400) throw Error("ADD " + url + ": the server answered HTTP " + std::to_string(status));
    long filetime = -1;
    curl_easy_getinfo(c.get(), CURLINFO_FILETIME, &filetime);
    if (filetime > 0) {
        f.mtime = filetime;
        struct timespec ts[2] = {{filetime, 0}, {filetime, 0}};
        ::futimens(fd.get(), ts);
    }
    return f;
}

}  // namespace ctr::build
