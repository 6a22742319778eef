// What `ctr-run update` is given, turned into linux.resources JSON: runc's
// update flags (--memory 512m, --cpu-quota 50000, ...) and the merge of an
// update over the resources a container already has.
//
// Pure: unit-tested in tests/unit/update_flags_test.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace ctr::runtime {

// A size as docker and runc take it ("512m", "1.5g", "1024", "2GiB"):
// binary multiples. flag names the option in the error.
int64_t parse_ram_bytes(const std::string& text, const std::string& flag);
// A Go duration ("5s", "100ms", "1m30s", "1.5s") in milliseconds.
int64_t parse_go_duration_ms(const std::string& text, const std::string& flag);

// runc update's flags (by name, without dashes, value as given) as a
// linux.resources object. Throws ctr::Error naming the flag for a bad value
// or one ctr-run can't apply (--l3-cache-schema, --mem-bw-schema: Intel RDT).
nlohmann::json update_flags_to_resources(const std::map<std::string, std::string>& flags);

// patch over base, objects merged member by member, anything else replaced.
nlohmann::json merge_resources(const nlohmann::json& base, const nlohmann::json& patch);

}  // namespace ctr::runtime
