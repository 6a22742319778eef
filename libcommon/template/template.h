// A subset of Go's text/template, as docker and podman --format strings use it,
// evaluated over a JSON value (so images, containers, anything with a JSON
// form can be formatted by the same engine).
//
// Supported: text and {{actions}}, {{- and -}} trimming, {{/* comments */}};
// fields .A.B, $, $var, (pipelines), "strings", `raw`, numbers, true/false/nil;
// pipes a | f; {{if}} / {{else if}} / {{else}} / {{end}}, {{range}} (lists and
// maps, with $i, $e :=), {{with}}, variable declarations {{$x := …}}; functions
// json, join, split, upper, lower, title, len, index, printf, print, println,
// eq, ne, lt, le, gt, ge, and, or, not, truncate, pad, contains, hasPrefix, hasSuffix.
// Values print like Go's fmt %v: lists as [a b], maps as map[k:v], a missing
// field as <no value>.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ctr::tmpl {

struct Node;

// A parsed template; parse once, render many times.
class Template {
public:
    // Throws ctr::Error("template: …") with the column of the problem.
    static Template parse(std::string_view text);
    // Throws ctr::Error("template: …") when evaluation fails (e.g. a function
    // applied to the wrong kind of value).
    std::string render(const nlohmann::json& data) const;

private:
    std::shared_ptr<const Node> root_;
};

// How Go's fmt prints a value with %v (what {{.X}} shows).
std::string to_text(const nlohmann::json& v);

}  // namespace ctr::tmpl
