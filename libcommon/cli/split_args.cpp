#include "libcommon/cli/split_args.h"

#include <cstring>

namespace ctr::cli {

int first_operand(int argc, char** argv, const std::set<std::string>& with_value) {
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        if (std::strcmp(a, "--") == 0) return i + 1;
        if (a[0] != '-' || a[1] == '\0') return i;
        if (a[1] == '-') {
            std::string name = a + 2;
            if (name.find('=') == std::string::npos && with_value.count(name)) i++;
            continue;
        }
        // A cluster of short options: the first that takes a value ends it,
        // taking the rest of the word or the next argument.
        for (const char* c = a + 1; *c; c++) {
            if (with_value.count(std::string(1, *c))) {
                if (c[1] == '\0') i++;
                break;
            }
        }
    }
    return argc;
}

}  // namespace ctr::cli
