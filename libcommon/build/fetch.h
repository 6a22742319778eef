// ADD's remote sources: a URL fetched (libcurl, redirects followed) into a
// local file, as docker does, before it is copied like a context file.
#pragma once

#include <cstdint>
#include <string>

namespace ctr::build {

struct Fetched {
    std::string path;   // the file written
    std::string name;   // the file name the URL gives (its last path component)
    int64_t mtime = 0;  // Last-Modified, or 0 when the server gave none
};

// Downloads `url` (http or https) into a new file `dir`/NAME with mode 0600.
// Throws ctr::Error naming the URL on a transport error or an HTTP status >= 400.
Fetched fetch_url(const std::string& url, const std::string& dir);

// The last path component of a URL ("" if it has none): what ADD names the file.
std::string url_file_name(const std::string& url);

}  // namespace ctr::build
