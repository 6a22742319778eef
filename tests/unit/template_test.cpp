#include <doctest/doctest.h>

#include "libcommon/sys/error.h"
#include "libcommon/template/template.h"

using nlohmann::json;

namespace {
std::string render(const std::string& t, const json& data) { return ctr::tmpl::Template::parse(t).render(data); }

const json kImage = json::parse(R"({
  "Id": "sha256:abc",
  "RepoTags": ["busybox:latest", "bb:1"],
  "Size": 4270000,
  "Config": {"Cmd": ["/bin/sh", "-c", "echo hi"], "Env": ["PATH=/bin", "A=1"],
             "Labels": {"b": "2", "a": "1"}, "ExposedPorts": {"80/tcp": {}}, "Entrypoint": null,
             "WorkingDir": ""},
  "Repository": "busybox", "Tag": "latest"
})");
}  // namespace

TEST_CASE("fields, nested fields, and Go's %v printing") {
    CHECK(render("{{.Id}}", kImage) == "sha256:abc");
    CHECK(render("{{.Config.Cmd}}", kImage) == "[/bin/sh -c echo hi]");
    CHECK(render("{{.Repository}}:{{.Tag}}", kImage) == "busybox:latest");
    CHECK(render("{{.Config.Labels}}", kImage) == "map[a:1 b:2]");
    CHECK(render("{{.Config.ExposedPorts}}", kImage) == "map[80/tcp:map[]]");
    CHECK(render("{{.Size}}", kImage) == "4270000");
    CHECK(render("{{.Config.Missing}}", kImage) == "<no value>");
    CHECK(render("{{.Config.Entrypoint}}", kImage) == "<no value>");
    CHECK(render("{{.}}", json("x")) == "x");
    CHECK(render("plain text", kImage) == "plain text");
}

TEST_CASE("json, join, and other functions") {
    CHECK(render("{{json .Config.Cmd}}", kImage) == R"(["/bin/sh","-c","echo hi"])");
    CHECK(render("{{json .Config.Labels}}", kImage) == R"({"a":"1","b":"2"})");
    CHECK(render("{{join .RepoTags \", \"}}", kImage) == "busybox:latest, bb:1");
    CHECK(render("{{.Repository | upper}}", kImage) == "BUSYBOX");
    CHECK(render("{{len .RepoTags}}", kImage) == "2");
    CHECK(render("{{index .RepoTags 1}}", kImage) == "bb:1");
    CHECK(render("{{index .Config.Labels \"a\"}}", kImage) == "1");
    CHECK(render("{{printf \"%-8s|%5d\" .Tag .Size}}", kImage) == "latest  |4270000");
    CHECK(render("{{(index .RepoTags 0) | printf \"%q\"}}", kImage) == "\"busybox:latest\"");
    CHECK(render("{{truncate .Id 9}}", kImage) == "sha256:ab");
    CHECK(render("{{split \"a:b\" \":\"}}", kImage) == "[a b]");
    CHECK(render("{{title \"hello world\"}}", kImage) == "Hello World");
}

TEST_CASE("range over lists and maps, with variables and else") {
    CHECK(render("{{range .RepoTags}}[{{.}}]{{end}}", kImage) == "[busybox:latest][bb:1]");
    CHECK(render("{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}", kImage) == "0=busybox:latest 1=bb:1 ");
    CHECK(render("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}};{{end}}", kImage) == "a:1;b:2;");
    CHECK(render("{{range .Config.Entrypoint}}x{{else}}none{{end}}", kImage) == "none");
    CHECK(render("{{range .Config.Env}}{{.}}\n{{end}}", kImage) == "PATH=/bin\nA=1\n");
    CHECK(render("{{range .RepoTags}}{{$.Id}} {{end}}", kImage) == "sha256:abc sha256:abc ");
}

TEST_CASE("if, else if, with, comparisons, trimming, comments") {
    CHECK(render("{{if .Config.Cmd}}yes{{else}}no{{end}}", kImage) == "yes");
    CHECK(render("{{if .Config.WorkingDir}}yes{{else}}no{{end}}", kImage) == "no");
    CHECK(render("{{if eq .Tag \"x\"}}x{{else if eq .Tag \"latest\"}}L{{else}}?{{end}}", kImage) == "L");
    CHECK(render("{{with .Config}}{{.Labels.a}}{{end}}", kImage) == "1");
    CHECK(render("{{if and (gt .Size 10) (not .Config.WorkingDir)}}ok{{end}}", kImage) == "ok");
    CHECK(render("a  {{- .Tag -}}  b", kImage) == "alatestb");
    CHECK(render("{{/* a comment */}}x", kImage) == "x");
    CHECK(render("{{$x := .Tag}}{{$x}}", kImage) == "latest");
}

TEST_CASE("errors say what is wrong") {
    CHECK_THROWS_WITH_AS(ctr::tmpl::Template::parse("{{.Id"), doctest::Contains("unclosed action"), ctr::Error);
    CHECK_THROWS_WITH_AS(ctr::tmpl::Template::parse("{{if .X}}"), doctest::Contains("missing {{end}}"), ctr::Error);
    CHECK_THROWS_WITH_AS(ctr::tmpl::Template::parse("{{end}}"), doctest::Contains("unexpected {{end}}"), ctr::Error);
    CHECK_THROWS_WITH_AS(render("{{nosuch .Id}}", kImage), doctest::Contains("function \"nosuch\" not defined"), ctr::Error);
    CHECK_THROWS_WITH_AS(render("{{.Id.Sub}}", kImage), doctest::Contains("can't evaluate field Sub in type string"),
                         ctr::Error);
    CHECK_THROWS_WITH_AS(ctr::tmpl::Template::parse("{{.Id \"x}}"), doctest::Contains("unclosed"), ctr::Error);
}
