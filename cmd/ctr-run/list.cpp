// ctr-run list: the containers under --root.
#include <pwd.h>
#include <sys/stat.h>

#include <cstdio>

#include "cmd/ctr-run/commands.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run list [options]

Lists the containers under --root.

Options:
  -f, --format FMT   table (default) or json
  -q, --quiet        ids only
)";

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s + "   " : s + std::string(w - s.size() + 3, ' '); }
}  // namespace

int cmd_list(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({{{"format", "f"}, true}, {{"quiet", "q"}, false}}, args, kUsage, f)) return 0;
    std::string format = f.get("format", "table");
    if (format != "table" && format != "json") throw ctr::Error("invalid format option");
    auto items = ctr::runtime::list(g);
    if (f.on("quiet")) {
        for (const auto& j : items) std::printf("%s\n", j["id"].get<std::string>().c_str());
        return 0;
    }
    if (format == "json") {
        std::printf("%s\n", nlohmann::json(items).dump().c_str());
        return 0;
    }
    // Columns as runc's tabwriter lays them out: at least 12 wide, 3 apart.
    std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& j : items)
        rows.push_back({j["id"], std::to_string(j["pid"].get<int>()), j["status"], j["bundle"], j["created"],
                        j.value("owner", "")});
    std::vector<size_t> w(6, 12);
    for (const auto& r : rows)
        for (size_t i = 0; i < 6; ++i) w[i] = std::max(w[i], r[i].size());
    for (const auto& r : rows) {
        std::string line;
        for (size_t i = 0; i < 5; ++i) line += pad(r[i], w[i]);
        line += r[5];
        std::printf("%s\n", line.c_str());
    }
    return 0;
}

}  // namespace ctr_run
