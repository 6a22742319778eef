// Dockerfile-style changes to an image config, as `docker import --change`
// and `docker commit --change` take them: CMD, ENTRYPOINT, ENV, WORKDIR, USER,
// EXPOSE, LABEL, VOLUME, STOPSIGNAL.
#pragma once

#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ctr::oci {

// Applies one instruction to `config` (the "config" object of an image
// config: Cmd, Entrypoint, Env, WorkingDir, User, ExposedPorts, Labels,
// Volumes, StopSignal). Throws ctr::Error naming the instruction on bad input.
void apply_change(nlohmann::json& config, std::string_view instruction);

// Splits shell-like words: whitespace separates, "…" and '…' quote, \ escapes
// (as in ENV and LABEL arguments). Throws on an unterminated quote.
std::vector<std::string> split_words(std::string_view s);

// Parses a JSON array of strings (the exec form of CMD ["sh","-c","x"]);
// nullopt if `s` is not one.
std::optional<std::vector<std::string>> parse_exec_form(std::string_view s);

}  // namespace ctr::oci
