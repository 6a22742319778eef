// Command-line flags parsed the way runc's (Go, urfave/cli) parser does.
//
// Engines call the runtime with Go-style flags: `--root X`, `--root=X`,
// `-root X`, `-root=X`, booleans as `--debug` or `--debug=false`, short
// aliases (`-b`, `-d`), and flags after positional arguments (`create ID
// --bundle DIR`). cxxopts can't read single-dash long names, hence this small
// parser. It is pure: no I/O, errors are ctr::Error with runc's wording.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ctr::runtime {

// One flag a command accepts.
struct FlagSpec {
    std::vector<std::string> names;  // first is the canonical name ("bundle", "b")
    bool takes_value = false;        // false: a boolean flag
    bool repeatable = false;         // may be given several times (values accumulate)
};

// The result of parsing: flag values by canonical name, and the positionals.
class Flags {
public:
    bool has(const std::string& name) const { return values_.count(name) > 0; }
    // The last value given, or def.
    std::string get(const std::string& name, const std::string& def = "") const;
    std::vector<std::string> all(const std::string& name) const;
    // A boolean flag: present (and not =false).
    bool on(const std::string& name) const;
    // An integer flag; throws naming the flag when the value isn't a number.
    long get_int(const std::string& name, long def) const;

    std::vector<std::string> args;
    std::map<std::string, std::vector<std::string>> values_;
};

// Parses argv[begin..]. With stop_at_positional, the first positional argument
// ends the flags (it and everything after it land in args): that is how global
// flags end at the subcommand, and how `exec ID CMD...` keeps CMD's own flags.
// `--` always ends the flags. -h/--help is reported as the flag "help" when the
// specs don't define it.
Flags parse_flags(const std::vector<FlagSpec>& specs, const std::vector<std::string>& argv,
                  bool stop_at_positional = false, bool stop_after_first_positional = false);

}  // namespace ctr::runtime
