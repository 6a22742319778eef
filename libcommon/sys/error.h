// Errors that reach the user.
//
// Library code throws ctr::Error with a message that says what was being done
// to which file or object, and why it failed ("open /var/lib/ctr/oci/index.json:
// Permission denied"). Programs catch it once, at the top (see cli/main.h), and
// print it as one line.
#pragma once

#include <stdexcept>
#include <string>

namespace ctr {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws Error("<what>: <strerror(err)>"); err defaults to errno.
[[noreturn]] void throw_errno(const std::string& what);
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace ctr
