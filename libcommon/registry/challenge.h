// The WWW-Authenticate challenge a registry answers 401 with, parsed:
//
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:x:pull"
//   Basic realm="registry"
//
// A bearer challenge names the token server (realm) the client asks for a
// token for a scope; a basic one wants the user name and password on every
// request.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace ctr::registry {

struct Challenge {
    std::string scheme;                         // "bearer", "basic" (lower case), "" when none
    std::map<std::string, std::string> params;  // names lower-cased, values unquoted

    std::string param(const std::string& name) const {
        auto it = params.find(name);
        return it == params.end() ? "" : it->second;
    }
};

// Parses one header value; an unparsable one gives a Challenge with an empty scheme.
Challenge parse_challenge(std::string_view header);

}  // namespace ctr::registry
