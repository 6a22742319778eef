// How docker shows sizes, ages and tables, so our output reads the same:
// "4.27MB", "2 minutes ago", columns padded like Go's tabwriter.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctr {

// "4.27MB", "512kB", "1.2GB": decimal units, three significant digits at most.
std::string human_size(double bytes);
// "Less than a second", "3 seconds", "About a minute", "5 minutes", "About an
// hour", "3 hours", "4 days", "2 weeks", "3 months", "2 years" (docker's go-units).
std::string human_duration(double seconds);
// Seconds since the epoch of an RFC 3339 time ("2024-05-01T12:34:56.123Z",
// "…+02:00"); nullopt if it does not parse.
std::optional<double> parse_rfc3339(std::string_view s);
// "2024-05-01 12:34:56 +0000 UTC", as docker's CreatedAt.
std::string docker_time(double epoch_seconds);

// Lays out rows of cells in columns: each column as wide as its widest cell
// plus 3 spaces (at least 10), the last column unpadded — what docker's
// tables look like.
class Table {
public:
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    // Splits each line of `text` at tabs into a row.
    void add_tabbed(std::string_view text);
    std::string str() const;

private:
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace ctr
