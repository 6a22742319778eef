#include "libcommon/template/format.h"

#include <algorithm>
#include <cmath>

#include "libcommon/cli/units.h"
#include "libcommon/template/template.h"

namespace ctr::tmpl {

using nlohmann::json;

std::string unescape_format(const std::string& f) {
    std::string out;
    for (size_t i = 0; i < f.size(); i++) {
        if (f[i] == '\\' && i + 1 < f.size() && (f[i + 1] == 't' || f[i + 1] == 'n')) {
            out += f[i + 1] == 't' ? '\t' : '\n';
            i++;
        } else {
            out += f[i];
        }
    }
    return out;
}

namespace {

// The value a dump() and parse() round trip would give (keys sorted,
// non-negative integers unsigned, non-finite numbers null), without the text.
json plain(const nlohmann::ordered_json& v) {
    using T = json::value_t;
    switch (v.type()) {
    case T::object: {
        json o = json::object();
        for (auto& [k, x] : v.items()) o[k] = plain(x);
        return o;
    }
    case T::array: {
        json a = json::array();
        for (auto& x : v) a.push_back(plain(x));
        return a;
    }
    case T::string: return v.get_ref<const std::string&>();
    case T::boolean: return v.get<bool>();
    case T::number_integer: {
        auto n = v.get<int64_t>();
        return n >= 0 ? json(static_cast<uint64_t>(n)) : json(n);
    }
    case T::number_unsigned: return v.get<uint64_t>();
    case T::number_float: {
        double d = v.get<double>();
        return std::isfinite(d) ? json(d) : json();
    }
    default: return json::parse(v.dump());
    }
}

}  // namespace

RowFormatter::RowFormatter(const std::string& format, const std::string& default_table,
                           std::map<std::string, std::string> headers)
    : headers_(std::move(headers)) {
    std::string f = format;
    json_ = f == "json";
    if (json_) return;
    table_ = f.empty() || f == "table" || f.starts_with("table ");
    if (f.empty() || f == "table") f = default_table;
    else if (f.starts_with("table ")) f = f.substr(6);
    text_ = unescape_format(f);
    template_ = std::make_shared<Template>(Template::parse(text_));
}

std::string RowFormatter::line(const json& row) const { return json_ ? row.dump() : template_->render(row); }

std::string RowFormatter::line(const nlohmann::ordered_json& row) const {
    return json_ ? row.dump() : template_->render(plain(row));
}

std::string RowFormatter::str(const std::vector<std::string>& lines, const std::vector<std::string>& fields) const {
    std::string body;
    for (auto& l : lines) {
        body += l;
        body += "\n";
    }
    if (json_ || !table_) return body;
    // Every field the template names gets a title, so an empty list still
    // prints its header line.
    json head = json::object();
    auto title = [&](const std::string& k) {
        std::string up = k;
        std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
        head[k] = up;
    };
    const std::string& f = text_;
    for (size_t i = 0; i < f.size(); i++)
        if (f[i] == '.' && i + 1 < f.size() && std::isalpha(static_cast<unsigned char>(f[i + 1]))) {
            size_t j = i + 1;
            while (j < f.size() && (std::isalnum(static_cast<unsigned char>(f[j])) || f[j] == '_')) j++;
            title(f.substr(i + 1, j - i - 1));
            i = j - 1;
        }
    for (auto& k : fields) title(k);
    for (auto& [k, v] : headers_) head[k] = v;
    Table tab;
    tab.add_tabbed(template_->render(head));
    if (!body.empty()) {
        body.pop_back();
        tab.add_tabbed(body);
    }
    return tab.str();
}

namespace {

template <class Row>
std::string format_any(const std::vector<Row>& rows, const std::string& format, const std::string& default_table,
                       const std::map<std::string, std::string>& headers) {
    RowFormatter out(format, default_table, headers);
    std::vector<std::string> lines, fields;
    for (auto& r : rows) lines.push_back(out.line(r));
    if (!rows.empty())
        for (auto& [k, v] : rows[0].items()) fields.push_back(k);
    return out.str(lines, fields);
}

}  // namespace

std::string format_rows(const std::vector<nlohmann::ordered_json>& rows, const std::string& format,
                        const std::string& default_table, const std::map<std::string, std::string>& headers) {
    return format_any(rows, format, default_table, headers);
}

std::string format_rows(const std::vector<json>& rows, const std::string& format, const std::string& default_table,
                        const std::map<std::string, std::string>& headers) {
    return format_any(rows, format, default_table, headers);
}

}  // namespace ctr::tmpl
