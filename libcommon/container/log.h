// The container's output in docker's json-file format (log.json): one JSON
// object per line, {"log":"text\n","stream":"stdout","time":"RFC3339Nano"}.
// A line is written when its newline arrives; a partial line is written
// without one when it reaches 16 KiB or the stream ends (as docker does).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libcommon/sys/fd.h"

namespace ctr::container {

class JsonLog {
public:
    // Opens (appending, creating) the log file.
    explicit JsonLog(const std::string& path);
    // Adds bytes of one stream ("stdout" or "stderr").
    void write(const std::string& stream, std::string_view data);
    // Writes out what is pending for the stream (at its end).
    void flush(const std::string& stream);
    void flush_all();
    // Rotates before a line would take the file past max_size bytes, keeping
    // at most max_file files: log.json, log.json.1 (newest) … (docs/design.md).
    void set_rotation(int64_t max_size, int max_file);

    // One log line as JSON (pure; invalid UTF-8 is replaced, not refused).
    static std::string format_line(std::string_view text, const std::string& stream, const std::string& time);

private:
    void emit(const std::string& stream, std::string_view text);
    void rotate();
    UniqueFd fd_;
    int64_t size_ = 0, max_size_ = 0;
    int max_file_ = 1;
    std::string path_;
    std::string pending_out_, pending_err_;
};

}  // namespace ctr::container
