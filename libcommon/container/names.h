// Docker-style random container names: adjective_surname ("focused_lovelace").
#pragma once

#include <functional>
#include <string>

namespace ctr::container {

// A random adjective_surname for which `taken` is false; after many
// collisions a digit is appended, as docker does ("focused_lovelace3").
std::string generate_name(const std::function<bool(const std::string&)>& taken);

// Docker's rule for --name: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading "/" is dropped).
bool valid_name(const std::string& name);

}  // namespace ctr::container
