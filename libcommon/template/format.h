// --format as docker's listing commands take it, over rows given as JSON objects:
//   "json"            one JSON object per line
//   "table"           the default table (the caller's default template)
//   "table TEMPLATE"  a header line, then TEMPLATE per row, \t separating columns
//   "TEMPLATE"        TEMPLATE per row, one line each
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ctr::tmpl {

// `headers` maps field names to column titles ("ID" -> "IMAGE ID"); fields
// not in it get their upper-cased name. `default_table` is the TEMPLATE used
// for "" and "table".
// "json" prints an ordered_json row's fields in their order, a json row's in
// key order.
std::string format_rows(const std::vector<nlohmann::ordered_json>& rows, const std::string& format,
                        const std::string& default_table, const std::map<std::string, std::string>& headers);
std::string format_rows(const std::vector<nlohmann::json>& rows, const std::string& format,
                        const std::string& default_table, const std::map<std::string, std::string>& headers);

// Go templates write "\t" as a real tab; docker lets users type \t and \n in
// --format, so do we.
std::string unescape_format(const std::string& f);

}  // namespace ctr::tmpl
