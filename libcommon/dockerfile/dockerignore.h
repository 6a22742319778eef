// .dockerignore: which files of a build context COPY and ADD may not see, by
// docker's rules. One pattern a line; `#` lines are comments; a leading `!`
// makes an exception; patterns are cleaned (`./a//b/` is `a/b`, a leading `/`
// is dropped); `*` and `?` do not cross `/`, `**` crosses any number of
// directories, `[...]` is a class and `\` escapes. A pattern that matches a
// directory excludes everything below it; the last matching line wins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ctr::dockerfile {

// Matches a slash-separated relative path against a glob as described above.
// Throws ctr::Error on a malformed pattern (an unclosed `[`).
bool glob_match(std::string_view pattern, std::string_view path);

// True if `s` has a glob character (`*`, `?`, `[`) not escaped.
bool has_glob(std::string_view s);

// Cleans a path the way Go's filepath.Clean does, relative: "" and "." become ".".
std::string clean_path(std::string_view p);

class IgnoreMatcher {
public:
    IgnoreMatcher() = default;
    // Parses the text of a .dockerignore file.
    static IgnoreMatcher parse(std::string_view text);

    // Is this context path (relative, slash-separated, clean) excluded?
    bool excluded(std::string_view path) const;
    // When `dir` is excluded, could something below it be brought back by an
    // exception? (If not, a walk need not look inside.)
    bool may_include_below(std::string_view dir) const;
    bool empty() const { return patterns_.empty(); }

private:
    struct Pattern {
        std::string glob;
        bool exception = false;
    };
    std::vector<Pattern> patterns_;
};

}  // namespace ctr::dockerfile
