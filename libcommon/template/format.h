// --format as docker's listing commands take it, over rows given as JSON objects:
//   "json"            one JSON object per line
//   "table"           the default table (the caller's default template)
//   "table TEMPLATE"  a header line, then TEMPLATE per row, \t separating columns
//   "TEMPLATE"        TEMPLATE per row, one line each
#pragma once

#include <map>
#include <memory>
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

class Template;

// The same, one row at a time, so that a long listing need not keep its rows:
// line() turns a row into its line as soon as it is made, str() lays the
// lines out. format_rows() is line() over the rows, then str().
class RowFormatter {
public:
    // Throws ctr::Error("template: …") for a bad template.
    RowFormatter(const std::string& format, const std::string& default_table,
                 std::map<std::string, std::string> headers);
    // A row's line: its JSON, or the template's text (cells apart by \t in a
    // table). Throws ctr::Error("template: …") when evaluation fails.
    std::string line(const nlohmann::json& row) const;
    std::string line(const nlohmann::ordered_json& row) const;
    // The output of these lines; `fields` are the rows' field names (of the
    // first row), which get column titles like the template's.
    std::string str(const std::vector<std::string>& lines, const std::vector<std::string>& fields) const;

private:
    std::map<std::string, std::string> headers_;
    bool json_ = false, table_ = false;
    std::string text_;  // the template
    std::shared_ptr<const Template> template_;
};

// Go templates write "\t" as a real tab; docker lets users type \t and \n in
// --format, so do we.
std::string unescape_format(const std::string& f);

}  // namespace ctr::tmpl
