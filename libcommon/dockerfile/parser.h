// The Dockerfile language, read into instructions: parser directives
// (`# syntax=`, `# escape=`), comments, line continuation, heredocs, exec
// (JSON) and shell forms. Pure: nothing here touches the disk, and nothing is
// expanded yet (variables depend on the build's state at each step, see
// expand.h and instructions.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctr::dockerfile {

// A here-document attached to an instruction (`RUN <<EOF`, `COPY <<f.txt /dst`).
struct Heredoc {
    std::string name;     // the delimiter word, unquoted ("EOF")
    std::string content;  // the lines between, each ending in "\n" (leading tabs gone for <<-)
    bool expand = true;   // false when the delimiter was quoted: no variable expansion inside
};

// One instruction as written.
struct Instruction {
    std::string keyword;   // upper case: "RUN", "COPY", ...
    int line = 0;          // where it starts (1-based)
    std::string original;  // as docker prints it in "Step N/M : ...": continuation lines joined
    std::vector<std::string> flags;  // leading "--name=value" words, as written ("--from=build")
    std::string args;                // the text after the keyword and flags, trimmed
    // The exec form: set when args is a JSON array of strings (RUN ["a","b"]).
    std::optional<std::vector<std::string>> json;
    std::vector<Heredoc> heredocs;

    // The value of flag --name (the last one given), "" for a bare --name, nullopt if absent.
    std::optional<std::string> flag(std::string_view name) const;
};

struct Dockerfile {
    std::string name = "Dockerfile";  // for error messages
    char escape = '\\';
    std::string syntax;  // the `# syntax=` directive, if any (recorded, not acted on)
    std::vector<Instruction> instructions;
};

// Parses a whole Dockerfile. Errors are ctr::Error("<name>:<line>: <what>"),
// e.g. "Dockerfile:3: unknown instruction: RUNN".
Dockerfile parse(std::string_view text, const std::string& name = "Dockerfile");

// Parses one instruction line on its own (what ONBUILD stores and triggers).
Instruction parse_instruction(std::string_view text, char escape, const std::string& where, int line);

// If a word of RUN/COPY/ADD opens a here-document (`<<EOF`, `<<-EOF`,
// `<<"EOF"`), the delimiter's name.
std::optional<std::string> heredoc_name(std::string_view word);

// The instructions the language knows.
bool is_known_keyword(std::string_view upper);

// "name:line: message": how errors about a place in a Dockerfile read.
std::string where(const std::string& name, int line);

}  // namespace ctr::dockerfile
