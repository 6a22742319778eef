#include "libcommon/cli/main.h"

#include <cstdio>
#include <exception>

namespace ctr {

int run_main(const std::string& program, const std::function<int()>& body) {
    try {
        return body();
    } catch (const ExitError& e) {
        if (e.what()[0] != '\0') std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
        return e.code();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
        return 1;
    }
}

std::string version_line(const std::string& program) {
    return program + " version " CTR_VERSION;
}

}  // namespace ctr
