// Docker-style command lines: OPTIONS IMAGE [COMMAND [ARG...]], where
// everything from the first operand on belongs to the container's command and
// must not be read as our options ("ctr-create busybox ls -l").
#pragma once

#include <set>
#include <string>

namespace ctr::cli {

// The index in argv of the first operand (argc if none). `with_value` names
// the options that take a value, short ("e") and long ("env"); "--" ends the
// options (its index + 1 is returned... as the first operand).
int first_operand(int argc, char** argv, const std::set<std::string>& with_value);

}  // namespace ctr::cli
