// Progress: a one-line "label: 123.4 MB (56.7 MB/s)" on stderr, redrawn at
// most ten times a second, shown only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ctr {

class Progress {
public:
    explicit Progress(std::string label);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void add(uint64_t bytes);
    // Clears the line (a final summary, if any, is the caller's).
    void done();
    bool shown() const { return enabled_; }

private:
    void draw();

    std::string label_;
    bool enabled_;
    uint64_t bytes_ = 0;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace ctr
