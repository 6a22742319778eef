// The one place a program turns an exception into an exit status.
//
//   int main(int argc, char** argv) {
//       return ctr::run_main("ctr-import", [&] { return import_main(argc, argv); });
//   }
//
// A ctr::Error (or any std::exception) is printed to stderr as
// "<program>: <message>" and the program exits 1 (or the code set on
// ExitError). Nothing else is printed: stdout stays clean for pipes.
#pragma once

#include <functional>
#include <string>

#include "libcommon/sys/error.h"

namespace ctr {

// An error that asks for a particular exit status (e.g. 125 as docker uses).
class ExitError : public Error {
public:
    ExitError(int code, const std::string& message) : Error(message), code_(code) {}
    int code() const { return code_; }

private:
    int code_;
};

int run_main(const std::string& program, const std::function<int()>& body);

// "ctr-import version 0.1.0"
std::string version_line(const std::string& program);

}  // namespace ctr
