// Docker's per-layer pull and push display: on a terminal, one line per layer
// ("a1b2c3d4e5f6: Downloading [=====>      ]  1.2MB/3.4MB") redrawn in place;
// elsewhere nothing (the caller prints its summary lines itself). Safe to call
// from the download threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ctr::registry {

class Progress {
public:
    // Draws on `out` when `enabled` (usually: stderr is a terminal).
    Progress(std::FILE* out, bool enabled) : out_(out), enabled_(enabled) {}

    bool enabled() const { return enabled_; }
    // A line above the layer lines ("3layers: Pulling from busybox").
    void line(const std::string& text);
    // Sets the status of layer `id` (adding its line the first time).
    void status(const std::string& id, const std::string& text);
    // "Downloading"/"Pushing" with a bar; redrawn at most ten times a second.
    void bytes(const std::string& id, const std::string& verb, uint64_t done, uint64_t total);

private:
    void redraw(bool force);

    std::FILE* out_;
    bool enabled_;
    std::mutex mu_;
    std::vector<std::pair<std::string, std::string>> rows_;
    size_t drawn_ = 0;
    std::chrono::steady_clock::time_point last_{};
};

// 1234567 -> "1.23MB" (decimal units, three significant digits, as docker prints sizes).
std::string human_size(double bytes);

}  // namespace ctr::registry
