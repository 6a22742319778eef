#include <doctest/doctest.h>

#include <map>

#include "libcommon/dockerfile/expand.h"
#include "libcommon/dockerfile/instructions.h"
#include "libcommon/dockerfile/parser.h"
#include "libcommon/sys/error.h"

using namespace ctr::dockerfile;

namespace {

Lookup vars(std::map<std::string, std::string> m) {
    return [m](const std::string& k) -> std::optional<std::string> {
        auto it = m.find(k);
        if (it == m.end()) return std::nullopt;
        return it->second;
    };
}

}  // namespace

TEST_CASE("parse: instructions, comments, continuation, line numbers") {
    auto df = parse("# a comment\n"
                    "FROM busybox AS base\n"
                    "\n"
                    "run echo a \\\n"
                    "  # comment inside\n"
                    "\n"
                    "  && echo b\n"
                    "CMD [\"ash\", \"scripts/script.sh\"]\n"
                    "COPY --chown=1:2 --from=base a b /dst/\n");
    REQUIRE(df.instructions.size() == 4);
    CHECK(df.instructions[0].keyword == "FROM");
    CHECK(df.instructions[0].line == 2);
    CHECK(df.instructions[1].keyword == "RUN");
    CHECK(df.instructions[1].line == 4);
    CHECK(df.instructions[1].args == "echo a   && echo b");
    CHECK(df.instructions[1].original == "run echo a   && echo b");
    CHECK_FALSE(df.instructions[1].json);
    REQUIRE(df.instructions[2].json);
    CHECK(*df.instructions[2].json == std::vector<std::string>{"ash", "scripts/script.sh"});
    CHECK(df.instructions[3].flags == std::vector<std::string>{"--chown=1:2", "--from=base"});
    CHECK(df.instructions[3].flag("from") == "base");
    CHECK_FALSE(df.instructions[3].flag("chmod"));
    CHECK(df.instructions[3].args == "a b /dst/");
}

TEST_CASE("parse: directives and the escape character") {
    auto df = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo\n");
    CHECK(df.syntax == "docker/dockerfile:1");
    CHECK(df.escape == '`');
    REQUIRE(df.instructions.size() == 2);
    CHECK(df.instructions[1].args == "dir c:\\   && echo");
    // A directive after a comment is just a comment.
    auto df2 = parse("# hello\n# escape=`\nFROM x\nRUN a \\\n b\n");
    CHECK(df2.escape == '\\');
    CHECK(df2.instructions[1].args == "a  b");
    CHECK_THROWS_WITH_AS(parse("# escape=x\nFROM a\n"), "Dockerfile:1: invalid escape token 'x' does not match ` or \\",
                         ctr::Error);
}

TEST_CASE("parse: errors name the file and line") {
    CHECK_THROWS_WITH_AS(parse("FROM a\nRUN ok\nRUNN bad\n", "Dockerfile.x"),
                         "Dockerfile.x:3: unknown instruction: RUNN", ctr::Error);
    CHECK_THROWS_WITH_AS(validate(parse("FROM a\nCOPY onlyone\n")),
                         doctest::Contains("Dockerfile:2: COPY requires at least two arguments"), ctr::Error);
    CHECK_THROWS_WITH_AS(validate(parse("RUN x\n")), doctest::Contains("Dockerfile:1: no build stage"), ctr::Error);
    CHECK_THROWS_WITH_AS(validate(parse("FROM a\nSHELL /bin/sh\n")),
                         "Dockerfile:2: SHELL requires the arguments to be in JSON form", ctr::Error);
    CHECK_THROWS_WITH_AS(validate(parse("FROM a\nCOPY --bogus=1 a b\n")), "Dockerfile:2: COPY: unknown flag: bogus",
                         ctr::Error);
    CHECK_THROWS_WITH_AS(validate(parse("FROM a b\n")), "Dockerfile:1: FROM requires either one or three arguments",
                         ctr::Error);
    CHECK_THROWS_WITH_AS(validate(parse("FROM a\nONBUILD ONBUILD RUN x\n")),
                         doctest::Contains("Dockerfile:2: Chaining ONBUILD"), ctr::Error);
    CHECK_THROWS_WITH_AS(validate(parse("FROM a AS x\nFROM b AS X\n")),
                         "Dockerfile:2: duplicate stage name \"X\"", ctr::Error);
    CHECK_THROWS_WITH_AS(validate(parse("FROM a\nENV novalue\n")), "Dockerfile:2: ENV must have two arguments",
                         ctr::Error);
    CHECK_NOTHROW(validate(parse("ARG V=1\nFROM a:$V\nENV A=1 B=\"2 3\"\nENV legacy value here\n")));
}

TEST_CASE("parse: heredocs") {
    auto df = parse("FROM a\n"
                    "RUN <<EOF\n"
                    "echo one\n"
                    "echo two\n"
                    "EOF\n"
                    "COPY <<-\"END\" <<file2 /dst/\n"
                    "\t\tliteral $X\n"
                    "\tEND\n"
                    "second $X\n"
                    "file2\n"
                    "CMD x\n");
    REQUIRE(df.instructions.size() == 4);
    auto& run = df.instructions[1];
    REQUIRE(run.heredocs.size() == 1);
    CHECK(run.heredocs[0].name == "EOF");
    CHECK(run.heredocs[0].content == "echo one\necho two\n");
    auto& copy = df.instructions[2];
    REQUIRE(copy.heredocs.size() == 2);
    CHECK(copy.heredocs[0].name == "END");
    CHECK(copy.heredocs[0].content == "literal $X\n");
    CHECK_FALSE(copy.heredocs[0].expand);
    CHECK(copy.heredocs[1].content == "second $X\n");
    CHECK(copy.heredocs[1].expand);
    CHECK(df.instructions[3].line == 11);
    auto c = parse_copy(copy, vars({}), '\\');
    CHECK(c.sources == std::vector<std::string>{"<<END", "<<file2"});
    CHECK(c.dest == "/dst/");
    CHECK_THROWS_WITH_AS(parse("FROM a\nRUN <<EOF\necho\n"), doctest::Contains("Dockerfile:2: unterminated heredoc"),
                         ctr::Error);
}

TEST_CASE("expand_word: variables, defaults, quotes, escapes") {
    auto v = vars({{"A", "x"}, {"EMPTY", ""}, {"SP", "a b"}});
    CHECK(expand_word("$A", v) == "x");
    CHECK(expand_word("${A}y", v) == "xy");
    CHECK(expand_word("$Ay", v) == "");
    CHECK(expand_word("${UNSET:-def}", v) == "def");
    CHECK(expand_word("${EMPTY:-def}", v) == "def");
    CHECK(expand_word("${EMPTY-def}", v) == "");
    CHECK(expand_word("${A:+alt}", v) == "alt");
    CHECK(expand_word("${EMPTY:+alt}", v) == "");
    CHECK(expand_word("${EMPTY+alt}", v) == "alt");
    CHECK(expand_word("${UNSET:-$A}", v) == "x");
    CHECK(expand_word("'$A'", v) == "$A");
    CHECK(expand_word("\"$A b\"", v) == "x b");
    CHECK(expand_word("\\$A", v) == "$A");
    CHECK(expand_word("a\\ b", v) == "a b");
    CHECK(expand_word("\"a\\\"b\"", v) == "a\"b");
    CHECK(expand_word("\"a\\nb\"", v) == "a\\nb");
    CHECK(expand_word("$", v) == "$");
    CHECK(expand_word("a$-b", v) == "a$-b");
    CHECK(expand_word("`$A", v, '`') == "$A");
    CHECK_THROWS_WITH_AS(expand_word("${UNSET:?must be set}", v), "UNSET: must be set", ctr::Error);
    CHECK_THROWS_AS(expand_word("'open", v), ctr::Error);
    CHECK_THROWS_AS(expand_word("${A", v), ctr::Error);
}

TEST_CASE("expand_words: splitting") {
    auto v = vars({{"SP", "a b"}});
    CHECK(expand_words("one  two\tthree", v) == std::vector<std::string>{"one", "two", "three"});
    CHECK(expand_words("\"one two\" x", v) == std::vector<std::string>{"one two", "x"});
    CHECK(expand_words("$SP c", v) == std::vector<std::string>{"a", "b", "c"});
    CHECK(expand_words("\"$SP\" c", v) == std::vector<std::string>{"a b", "c"});
    CHECK(expand_words("\"\" c", v) == std::vector<std::string>{"", "c"});
    CHECK(expand_words("$UNSET c", v) == std::vector<std::string>{"c"});
    CHECK(expand_text("x=$SP \"q\" \\$SP", v) == "x=a b \"q\" $SP");
}

TEST_CASE("ENV and LABEL key/value forms, ARG") {
    auto v = vars({{"A", "1"}});
    auto df = parse("FROM a\nENV K=$A K2=\"two words\" K3=a\\ b\nENV OLD value with  spaces\nLABEL \"a.b\"=c\n"
                    "ARG X Y=$A Z=\"q r\"\n");
    auto kv = parse_key_values(df.instructions[1], v, '\\');
    REQUIRE(kv.size() == 3);
    CHECK(kv[0] == std::pair<std::string, std::string>{"K", "1"});
    CHECK(kv[1].second == "two words");
    CHECK(kv[2].second == "a b");
    auto legacy = parse_key_values(df.instructions[2], v, '\\');
    REQUIRE(legacy.size() == 1);
    CHECK(legacy[0] == std::pair<std::string, std::string>{"OLD", "value with  spaces"});
    auto label = parse_key_values(df.instructions[3], v, '\\');
    CHECK(label[0].first == "a.b");
    auto args = parse_args(df.instructions[4], v, '\\');
    REQUIRE(args.size() == 3);
    CHECK_FALSE(args[0].second);
    CHECK(args[1].second == "1");
    CHECK(args[2].second == "q r");
}

TEST_CASE("FROM, commands, COPY arguments") {
    auto df = parse("FROM --platform=linux/amd64 ${IMG:-busybox}:$TAG AS Build\nRUN echo hi\nCMD [\"a\",\"b\"]\n"
                    "COPY [\"with space\", \"$D/\"]\nCOPY a* \"b c\" ${D}\n");
    auto f = parse_from(df.instructions[0], vars({{"TAG", "1.0"}}), '\\');
    CHECK(f.image == "busybox:1.0");
    CHECK(f.alias == "build");
    CHECK(f.platform == "linux/amd64");
    CHECK(command_of(df.instructions[1], {"/bin/sh", "-c"}) == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
    CHECK(command_of(df.instructions[2], {"/bin/sh", "-c"}) == std::vector<std::string>{"a", "b"});
    auto c = parse_copy(df.instructions[3], vars({{"D", "/d"}}), '\\');
    CHECK(c.sources == std::vector<std::string>{"with space"});
    CHECK(c.dest == "/d/");
    auto c2 = parse_copy(df.instructions[4], vars({{"D", "/d"}}), '\\');
    CHECK(c2.sources == std::vector<std::string>{"a*", "b c"});
    CHECK(c2.dest == "/d");
}

TEST_CASE("HEALTHCHECK, durations, chmod") {
    auto df = parse("FROM a\nHEALTHCHECK --interval=30s --retries=3 CMD curl -f http://localhost/\n"
                    "HEALTHCHECK NONE\nHEALTHCHECK CMD [\"true\"]\n");
    auto hc = parse_healthcheck(df.instructions[1], {"/bin/sh", "-c"});
    CHECK(hc["Test"] == nlohmann::json({"CMD-SHELL", "curl -f http://localhost/"}));
    CHECK(hc["Interval"] == 30000000000LL);
    CHECK(hc["Retries"] == 3);
    CHECK(parse_healthcheck(df.instructions[2], {})["Test"] == nlohmann::json({"NONE"}));
    CHECK(parse_healthcheck(df.instructions[3], {})["Test"] == nlohmann::json({"CMD", "true"}));
    CHECK(parse_duration("1m30s") == 90000000000LL);
    CHECK(parse_duration("250ms") == 250000000LL);
    CHECK(parse_duration("1.5s") == 1500000000LL);
    CHECK_THROWS_AS(parse_duration("10"), ctr::Error);
    CHECK(parse_chmod("755") == 0755);
    CHECK(parse_chmod("4755") == 04755);
    CHECK_THROWS_AS(parse_chmod("8"), ctr::Error);
    CHECK_THROWS_AS(parse_chmod("u+x"), ctr::Error);
}
