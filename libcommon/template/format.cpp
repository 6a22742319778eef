#include "libcommon/template/format.h"

#include <algorithm>

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

std::string format_rows(const std::vector<nlohmann::ordered_json>& rows, const std::string& format,
                        const std::string& default_table, const std::map<std::string, std::string>& headers) {
    std::string f = format;
    if (f == "json") {
        std::string out;
        for (auto& r : rows) out += r.dump() + "\n";
        return out;
    }
    bool table = f.empty() || f == "table" || f.starts_with("table ");
    if (f.empty() || f == "table") f = default_table;
    else if (f.starts_with("table ")) f = f.substr(6);
    f = unescape_format(f);
    auto t = Template::parse(f);
    std::string body;
    for (auto& r : rows) {
        body += t.render(json::parse(r.dump()));
        body += "\n";
    }
    if (!table) return body;
    // Every field the template names gets a title, so an empty list still
    // prints its header line.
    json head = json::object();
    auto title = [&](const std::string& k) {
        std::string up = k;
        std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
        head[k] = up;
    };
    for (size_t i = 0; i < f.size(); i++)
        if (f[i] == '.' && i + 1 < f.size() && std::isalpha(static_cast<unsigned char>(f[i + 1]))) {
            size_t j = i + 1;
            while (j < f.size() && (std::isalnum(static_cast<unsigned char>(f[j])) || f[j] == '_')) j++;
            title(f.substr(i + 1, j - i - 1));
            i = j - 1;
        }
    if (!rows.empty())
        for (auto& [k, v] : rows[0].items()) title(k);
    for (auto& [k, v] : headers) head[k] = v;
    Table tab;
    tab.add_tabbed(t.render(head));
    if (!body.empty()) {
        body.pop_back();
        tab.add_tabbed(body);
    }
    return tab.str();
}

}  // namespace ctr::tmpl
