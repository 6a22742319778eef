// Variable expansion and word splitting the way docker does it for the
// instructions it expands (ADD, COPY, ENV, ARG, EXPOSE, FROM, LABEL, STOPSIGNAL,
// USER, VOLUME, WORKDIR and their flags; never RUN, CMD or ENTRYPOINT, whose
// shell does its own): `$V`, `${V}`, `${V:-word}`, `${V-word}`, `${V:+word}`,
// `${V+word}`, `${V:?msg}`, `${V?msg}`; single quotes keep text literal, double
// quotes allow expansion, the escape character protects the next one, and
// quotes are removed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctr::dockerfile {

// A variable's value, or nullopt when it is not set.
using Lookup = std::function<std::optional<std::string>(const std::string&)>;

// One word: expanded, quotes removed. Throws ctr::Error on an unterminated
// quote or a `${V:?msg}` of an unset variable.
std::string expand_word(std::string_view word, const Lookup& vars, char escape = '\\');

// Several words: split on whitespace outside quotes, each expanded (a quoted
// empty string is a word; an unquoted empty expansion is not).
std::vector<std::string> expand_words(std::string_view text, const Lookup& vars, char escape = '\\');

// Splits on whitespace outside quotes keeping quotes and escapes as written
// (ENV and LABEL split their key=value pairs this way before expanding each).
std::vector<std::string> split_raw_words(std::string_view text, char escape = '\\');

// Expands `$V` and `${V...}` only, leaving quotes and other characters alone
// (a heredoc body whose delimiter was not quoted).
std::string expand_text(std::string_view text, const Lookup& vars, char escape = '\\');

}  // namespace ctr::dockerfile
