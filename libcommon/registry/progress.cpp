#include "libcommon/registry/progress.h"

namespace ctr::registry {

std::string human_size(double bytes) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) bytes /= 1000, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g%s", bytes, units[u]);
    return buf;
}

void Progress::line(const std::string& text) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    // Lines printed above the table move it down: print, then draw the table anew.
    std::fprintf(out_, "%s\n", text.c_str());
    drawn_ = 0;
    redraw(true);
}

void Progress::status(const std::string& id, const std::string& text) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    bool found = false;
    for (auto& row : rows_)
        if (row.first == id) row.second = text, found = true;
    if (!found) rows_.emplace_back(id, text);
    redraw(true);
}

void Progress::bytes(const std::string& id, const std::string& verb, uint64_t done, uint64_t total) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100) && done < total) return;
    std::string bar;
    if (total > 0) {
        int width = 50, filled = static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total));
        bar = "[" + std::string(filled, '=') + (filled < width ? ">" : "") + std::string(width - filled - (filled < width), ' ') + "]";
    }
    std::string text = verb + " " + bar + "  " + human_size(static_cast<double>(done)) + "/" + human_size(static_cast<double>(total));
    for (auto& row : rows_)
        if (row.first == id) row.second = text;
    redraw(false);
}

void Progress::redraw(bool) {
    last_ = std::chrono::steady_clock::now();
    if (drawn_ > 0) std::fprintf(out_, "\033[%zuA", drawn_);
    for (auto& [id, text] : rows_) std::fprintf(out_, "\033[2K%s: %s\n", id.c_str(), text.c_str());
    drawn_ = rows_.size();
    std::fflush(out_);
}

}  // namespace ctr::registry
