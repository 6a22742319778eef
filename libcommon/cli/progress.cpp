#include "libcommon/cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "libcommon/cli/units.h"

namespace ctr {

Progress::Progress(std::string label)
    : label_(std::move(label)), enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { done(); }

void Progress::add(uint64_t bytes) {
    bytes_ += bytes;
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    draw();
}

void Progress::draw() {
    double secs = std::chrono::duration<double>(last_ - start_).count();
    double rate = secs > 0 ? static_cast<double>(bytes_) / secs : 0;
    std::fprintf(stderr, "\r\033[K%s: %s (%s/s)", label_.c_str(), human_size(static_cast<double>(bytes_)).c_str(),
                 human_size(rate).c_str());
    std::fflush(stderr);
}

void Progress::done() {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    enabled_ = false;
}

}  // namespace ctr
