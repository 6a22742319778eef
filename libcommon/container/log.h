// The container's output in docker's json-file format (log.json): one JSON
// object per line, {"log":"text\n","stream":"stdout","time":"RFC3339Nano"}.
// A line is written when its newline arrives; a partial line is written
// without one when it reaches 16 KiB or the stream ends (as docker does).
#pragma once

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

    // One log line as JSON (pure; invalid UTF-8 is replaced, not refused).
    static std::string format_line(std::string_view text, const std::string& stream, const std::string& time);

private:
    void emit(const std::string& stream, std::string_view text);
    UniqueFd fd_;
    std::string path_;
    std::string pending_out_, pending_err_;
};

}  // namespace ctr::container
