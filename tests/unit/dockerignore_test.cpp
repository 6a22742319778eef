#include <doctest/doctest.h>

#include "libcommon/dockerfile/dockerignore.h"
#include "libcommon/sys/error.h"

using namespace ctr::dockerfile;

TEST_CASE("glob_match: *, ?, classes, **, escapes") {
    CHECK(glob_match("*.md", "README.md"));
    CHECK_FALSE(glob_match("*.md", "docs/README.md"));
    CHECK(glob_match("*/*.md", "docs/README.md"));
    CHECK(glob_match("**/*.md", "README.md"));
    CHECK(glob_match("**/*.md", "a/b/c.md"));
    CHECK(glob_match("a/**", "a/b/c"));
    CHECK(glob_match("a/**/z", "a/z"));
    CHECK(glob_match("a/**/z", "a/b/c/z"));
    CHECK_FALSE(glob_match("a/**/z", "b/z"));
    CHECK(glob_match("file?.txt", "file1.txt"));
    CHECK_FALSE(glob_match("file?.txt", "file12.txt"));
    CHECK(glob_match("[a-c]x", "bx"));
    CHECK_FALSE(glob_match("[a-c]x", "dx"));
    CHECK(glob_match("[^a-c]x", "dx"));
    CHECK(glob_match("\\*lit", "*lit"));
    CHECK_FALSE(glob_match("\\*lit", "xlit"));
    CHECK_THROWS_AS(glob_match("[abc", "a"), ctr::Error);
    CHECK(has_glob("a*"));
    CHECK_FALSE(has_glob("a\\*"));
    CHECK_FALSE(has_glob("plain/path"));
}

TEST_CASE("clean_path") {
    CHECK(clean_path("./a//b/") == "a/b");
    CHECK(clean_path("a/../b") == "b");
    CHECK(clean_path("/a/../../b") == "/b");
    CHECK(clean_path("") == ".");
    CHECK(clean_path("../x") == "../x");
}

TEST_CASE(".dockerignore: docker's rules") {
    auto m = IgnoreMatcher::parse("# comment\n"
                                  "*.log\n"
                                  "  /secret  \n"
                                  "node_modules\n"
                                  "docs/**/*.tmp\n"
                                  "build\n"
                                  "!build/keep.txt\n"
                                  "!*.md\n"
                                  "temp?\n");
    CHECK(m.excluded("a.log"));
    CHECK_FALSE(m.excluded("sub/a.log"));  // * does not cross directories
    CHECK(m.excluded("secret"));
    CHECK(m.excluded("secret/inner/file"));  // a matched directory takes its contents
    CHECK(m.excluded("node_modules/x/y.js"));
    CHECK(m.excluded("docs/a/b/c.tmp"));
    CHECK(m.excluded("docs/c.tmp"));
    CHECK_FALSE(m.excluded("docs/c.txt"));
    CHECK(m.excluded("build/out.o"));
    CHECK_FALSE(m.excluded("build/keep.txt"));  // the exception wins, being later
    CHECK_FALSE(m.excluded("x.md"));
    CHECK(m.excluded("temp1"));
    CHECK_FALSE(m.excluded("temp12"));
    CHECK_FALSE(m.excluded("src/main.c"));
    CHECK(m.may_include_below("build"));
    CHECK(m.may_include_below("node_modules"));  // "!*.md" could match anywhere: look inside
    auto plain = IgnoreMatcher::parse("node_modules\nbuild\n!build/keep.txt\n");
    CHECK_FALSE(plain.may_include_below("node_modules"));
    CHECK(plain.may_include_below("build"));
}

TEST_CASE(".dockerignore: the last matching line wins") {
    auto m = IgnoreMatcher::parse("!keep\n*\n");
    CHECK(m.excluded("keep"));
    auto m2 = IgnoreMatcher::parse("*\n!keep\n");
    CHECK_FALSE(m2.excluded("keep"));
    CHECK(m2.excluded("other"));
    auto m3 = IgnoreMatcher::parse("**\n!src/**\n");
    CHECK_FALSE(m3.excluded("src/a/b"));
    CHECK(m3.excluded("Dockerfile"));
}
