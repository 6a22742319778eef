#include "libcommon/template/template.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <vector>

#include "libcommon/sys/error.h"

namespace ctr::tmpl {

using nlohmann::json;

// ---------------------------------------------------------------- the tree

struct Pipeline;

// An operand: ., .A.B, $x.A, a literal, a function name, or (pipeline).A
struct Expr {
    enum class Kind { Dot, Var, Literal, Ident, Paren } kind = Kind::Dot;
    std::string name;                 // variable or function name
    std::vector<std::string> fields;  // field chain after it
    json literal;
    std::shared_ptr<Pipeline> sub;
};

struct Command {
    std::vector<Expr> args;
};

struct Pipeline {
    std::vector<std::string> decl;  // $a or $i, $e
    bool assign = false;            // "=" rather than ":="
    std::vector<Command> cmds;
};

struct Node {
    enum class Kind { List, Text, Action, If, Range, With } kind = Kind::List;
    std::string text;
    Pipeline pipe;
    std::vector<Node> list, else_list;
};

namespace {

[[noreturn]] void fail(const std::string& msg) { throw Error("template: " + msg); }

// ---------------------------------------------------------------- lexing an action

struct Token {
    enum class Kind { Field, Var, Ident, String, Number, LParen, RParen, Pipe, Declare, Assign, Comma, End } kind;
    std::string text;
    std::vector<std::string> fields;
};

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::vector<std::string> field_chain(std::string_view s, size_t& i) {
    std::vector<std::string> out;
    while (i < s.size() && s[i] == '.' && i + 1 < s.size() && ident_char(s[i + 1])) {
        size_t j = i + 1;
        while (j < s.size() && ident_char(s[j])) j++;
        out.emplace_back(s.substr(i + 1, j - i - 1));
        i = j;
    }
    return out;
}

std::vector<Token> lex(std::string_view s, size_t col) {
    std::vector<Token> toks;
    size_t i = 0;
    auto where = [&]() { return "column " + std::to_string(col + i + 1); };
    while (i < s.size()) {
        char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            i++;
        } else if (c == '.') {
            if (i + 1 < s.size() && ident_char(s[i + 1])) {
                toks.push_back({Token::Kind::Field, "", field_chain(s, i)});
            } else {
                toks.push_back({Token::Kind::Field, "", {}});
                i++;
            }
        } else if (c == '$') {
            size_t j = i + 1;
            while (j < s.size() && ident_char(s[j])) j++;
            Token t{Token::Kind::Var, std::string(s.substr(i, j - i)), {}};
            i = j;
            t.fields = field_chain(s, i);
            toks.push_back(t);
        } else if (c == '"') {
            std::string v;
            size_t j = i + 1;
            for (; j < s.size() && s[j] != '"'; j++) {
                if (s[j] == '\\' && j + 1 < s.size()) {
                    char e = s[++j];
                    v += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
                } else {
                    v += s[j];
                }
            }
            if (j >= s.size()) fail(where() + ": unterminated quoted string");
            toks.push_back({Token::Kind::String, v, {}});
            i = j + 1;
        } else if (c == '`') {
            auto j = s.find('`', i + 1);
            if (j == std::string_view::npos) fail(where() + ": unterminated raw string");
            toks.push_back({Token::Kind::String, std::string(s.substr(i + 1, j - i - 1)), {}});
            i = j + 1;
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   ((c == '-' || c == '+') && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
            size_t j = i + 1;
            while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                                    ((s[j] == '-' || s[j] == '+') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
                j++;
            toks.push_back({Token::Kind::Number, std::string(s.substr(i, j - i)), {}});
            i = j;
        } else if (ident_char(c)) {
            size_t j = i;
            while (j < s.size() && ident_char(s[j])) j++;
            toks.push_back({Token::Kind::Ident, std::string(s.substr(i, j - i)), {}});
            i = j;
        } else if (c == '(') {
            toks.push_back({Token::Kind::LParen, "(", {}}), i++;
        } else if (c == ')') {
            Token t{Token::Kind::RParen, ")", {}};
            i++;
            t.fields = field_chain(s, i);
            toks.push_back(t);
        } else if (c == '|') {
            toks.push_back({Token::Kind::Pipe, "|", {}}), i++;
        } else if (c == ',') {
            toks.push_back({Token::Kind::Comma, ",", {}}), i++;
        } else if (c == ':' && i + 1 < s.size() && s[i + 1] == '=') {
            toks.push_back({Token::Kind::Declare, ":=", {}}), i += 2;
        } else if (c == '=') {
            toks.push_back({Token::Kind::Assign, "=", {}}), i++;
        } else {
            fail(where() + ": unexpected \"" + std::string(1, c) + "\" in action");
        }
    }
    toks.push_back({Token::Kind::End, "", {}});
    return toks;
}

// ---------------------------------------------------------------- parsing

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Node parse() {
        Node root;
        std::string stop = parse_list(root.list);
        if (!stop.empty()) fail("unexpected {{" + stop + "}}");
        return root;
    }

private:
    std::string_view text_;
    size_t pos_ = 0;
    bool trim_next_ = false;
    // The action being parsed.
    std::vector<Token> toks_;
    size_t ti_ = 0;
    size_t col_ = 0;

    // Parses nodes until {{end}}, {{else…}} or the end of the text; returns
    // "end", "else" or "" (end of text). For "else", toks_ holds the rest of it.
    std::string parse_list(std::vector<Node>& out) {
        while (pos_ < text_.size()) {
            auto open = text_.find("{{", pos_);
            std::string_view text = text_.substr(pos_, open == std::string_view::npos ? std::string_view::npos : open - pos_);
            if (trim_next_) {
                while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
                trim_next_ = false;
            }
            if (open == std::string_view::npos) {
                if (!text.empty()) out.push_back(text_node(text));
                pos_ = text_.size();
                break;
            }
            size_t start = open + 2;
            bool trim_left = start + 1 < text_.size() && text_[start] == '-' && std::isspace(static_cast<unsigned char>(text_[start + 1]));
            if (trim_left)
                while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
            if (!text.empty()) out.push_back(text_node(text));
            if (trim_left) start += 2;
            size_t close = find_close(start);
            size_t end = close;
            if (close >= start + 2 && text_[close - 1] == '-' && std::isspace(static_cast<unsigned char>(text_[close - 2]))) {
                trim_next_ = true;
                end = close - 1;
            }
            pos_ = close + 2;
            std::string_view body = text_.substr(start, end - start);
            col_ = start;
            auto b = body;
            while (!b.empty() && std::isspace(static_cast<unsigned char>(b.front()))) b.remove_prefix(1);
            if (b.starts_with("/*")) continue;  // a comment
            toks_ = lex(body, start);
            ti_ = 0;
            if (peek().kind == Token::Kind::End) fail(at() + ": empty action");
            if (peek().kind == Token::Kind::Ident) {
                const std::string kw = peek().text;
                if (kw == "end") {
                    ti_++;
                    expect_end();
                    return "end";
                }
                if (kw == "else") {
                    ti_++;
                    return "else";
                }
                if (kw == "if" || kw == "range" || kw == "with") {
                    ti_++;
                    out.push_back(block(kw));
                    continue;
                }
                if (kw == "define" || kw == "template" || kw == "block" || kw == "break" || kw == "continue")
                    fail(at() + ": {{" + kw + "}} is not supported");
            }
            Node n;
            n.kind = Node::Kind::Action;
            n.pipe = pipeline(true);
            expect_end();
            out.push_back(std::move(n));
        }
        return "";
    }

    static Node text_node(std::string_view t) {
        Node n;
        n.kind = Node::Kind::Text;
        n.text = std::string(t);
        return n;
    }

    size_t find_close(size_t start) {
        // "}}" outside quotes.
        char quote = 0;
        for (size_t i = start; i + 1 < text_.size(); i++) {
            char c = text_[i];
            if (quote) {
                if (c == '\\' && quote == '"') i++;
                else if (c == quote) quote = 0;
                continue;
            }
            if (c == '"' || c == '`') quote = c;
            else if (c == '}' && text_[i + 1] == '}') return i;
        }
        col_ = start;
        fail(at() + ": unclosed action (missing }})");
    }

    std::string at() const { return "column " + std::to_string(col_ + 1); }
    const Token& peek() const { return toks_[ti_]; }
    void expect_end() {
        if (peek().kind != Token::Kind::End) fail(at() + ": unexpected \"" + peek().text + "\" at the end of the action");
    }

    Node block(const std::string kw) {
        Node n;
        n.kind = kw == "if" ? Node::Kind::If : kw == "range" ? Node::Kind::Range : Node::Kind::With;
        n.pipe = pipeline(kw == "range");
        expect_end();
        std::string stop = parse_list(n.list);
        if (stop.empty()) fail("missing {{end}} for {{" + kw + "}}");
        if (stop == "else") {
            if (peek().kind == Token::Kind::Ident && (peek().text == "if" || peek().text == "with") && kw != "range") {
                // {{else if …}}: a nested block that shares our {{end}}.
                std::string inner = peek().text;
                ti_++;
                n.else_list.push_back(block(inner));
                return n;
            }
            expect_end();
            stop = parse_list(n.else_list);
            if (stop != "end") fail("missing {{end}} for {{" + kw + "}}");
        }
        return n;
    }

    Pipeline pipeline(bool allow_two_vars) {
        Pipeline p;
        // Declarations: $x := …, $i, $e := …
        size_t save = ti_;
        if (peek().kind == Token::Kind::Var && peek().fields.empty()) {
            std::vector<std::string> vars{peek().text};
            ti_++;
            if (peek().kind == Token::Kind::Comma && allow_two_vars) {
                ti_++;
                if (peek().kind != Token::Kind::Var) fail(at() + ": expected a variable after ','");
                vars.push_back(peek().text);
                ti_++;
            }
            if (peek().kind == Token::Kind::Declare || peek().kind == Token::Kind::Assign) {
                p.assign = peek().kind == Token::Kind::Assign;
                p.decl = vars;
                ti_++;
            } else {
                ti_ = save;
            }
        }
        while (true) {
            Command c;
            while (peek().kind != Token::Kind::Pipe && peek().kind != Token::Kind::End &&
                   peek().kind != Token::Kind::RParen)
                c.args.push_back(operand());
            if (c.args.empty()) fail(at() + ": missing value in pipeline");
            p.cmds.push_back(std::move(c));
            if (peek().kind != Token::Kind::Pipe) break;
            ti_++;
        }
        return p;
    }

    Expr operand() {
        const Token t = peek();
        ti_++;
        Expr e;
        switch (t.kind) {
        case Token::Kind::Field:
            e.kind = Expr::Kind::Dot;
            e.fields = t.fields;
            return e;
        case Token::Kind::Var:
            e.kind = Expr::Kind::Var;
            e.name = t.text;
            e.fields = t.fields;
            return e;
        case Token::Kind::String:
            e.kind = Expr::Kind::Literal;
            e.literal = t.text;
            return e;
        case Token::Kind::Number: {
            e.kind = Expr::Kind::Literal;
            json j = json::parse(t.text[0] == '+' ? t.text.substr(1) : t.text, nullptr, false);
            if (j.is_discarded() || !j.is_number()) fail(at() + ": bad number \"" + t.text + "\"");
            e.literal = j;
            return e;
        }
        case Token::Kind::Ident:
            if (t.text == "true" || t.text == "false") {
                e.kind = Expr::Kind::Literal;
                e.literal = t.text == "true";
            } else if (t.text == "nil") {
                e.kind = Expr::Kind::Literal;
            } else {
                e.kind = Expr::Kind::Ident;
                e.name = t.text;
            }
            return e;
        case Token::Kind::LParen: {
            e.kind = Expr::Kind::Paren;
            e.sub = std::make_shared<Pipeline>(pipeline(false));
            if (peek().kind != Token::Kind::RParen) fail(at() + ": missing )");
            e.fields = peek().fields;
            ti_++;
            return e;
        }
        default:
            fail(at() + ": unexpected \"" + t.text + "\"");
        }
    }
};

// ---------------------------------------------------------------- values

bool truthy(const json& v) {
    switch (v.type()) {
    case json::value_t::null: return false;
    case json::value_t::boolean: return v.get<bool>();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return v.get<double>() != 0;
    case json::value_t::string: return !v.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object: return !v.empty();
    default: return true;
    }
}

std::string type_name(const json& v) {
    switch (v.type()) {
    case json::value_t::null: return "nil";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int";
    case json::value_t::number_float: return "float64";
    case json::value_t::string: return "string";
    case json::value_t::array: return "list";
    case json::value_t::object: return "map";
    default: return "value";
    }
}

std::string number_text(const json& v) {
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e21) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.0f", d);
        return buf;
    }
    return v.dump();
}

}  // namespace

std::string to_text(const json& v) {
    switch (v.type()) {
    case json::value_t::null: return "<no value>";
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return number_text(v);
    case json::value_t::array: {
        std::string s = "[";
        bool first = true;
        for (auto& e : v) {
            if (!first) s += " ";
            first = false;
            s += e.is_null() ? "<nil>" : to_text(e);
        }
        return s + "]";
    }
    case json::value_t::object: {
        std::string s = "map[";
        bool first = true;
        for (auto& [k, e] : v.items()) {
            if (!first) s += " ";
            first = false;
            s += k + ":" + (e.is_null() ? "<nil>" : to_text(e));
        }
        return s + "]";
    }
    default: return v.dump();
    }
}

namespace {

// ---------------------------------------------------------------- functions

std::string go_printf(const std::string& fmt, const std::vector<json>& args) {
    std::string out;
    size_t ai = 0;
    for (size_t i = 0; i < fmt.size(); i++) {
        if (fmt[i] != '%') {
            out += fmt[i];
            continue;
        }
        size_t j = i + 1;
        std::string spec = "%";
        while (j < fmt.size() && std::string_view("-+# 0").find(fmt[j]) != std::string_view::npos) spec += fmt[j++];
        while (j < fmt.size() && (std::isdigit(static_cast<unsigned char>(fmt[j])) || fmt[j] == '.')) spec += fmt[j++];
        if (j >= fmt.size()) {
            out += "%!(NOVERB)";
            break;
        }
        char verb = fmt[j];
        i = j;
        if (verb == '%') {
            out += '%';
            continue;
        }
        if (ai >= args.size()) {
            out += std::string("%!") + verb + "(MISSING)";
            continue;
        }
        const json& a = args[ai++];
        char buf[512];
        switch (verb) {
        case 'd':
            if (!a.is_number()) fail(std::string("printf: %d of a ") + type_name(a));
            std::snprintf(buf, sizeof buf, (spec + "lld").c_str(), static_cast<long long>(a.get<double>()));
            out += buf;
            break;
        case 'f':
        case 'e':
        case 'g':
            if (!a.is_number()) fail(std::string("printf: %") + verb + " of a " + type_name(a));
            std::snprintf(buf, sizeof buf, (spec + verb).c_str(), a.get<double>());
            out += buf;
            break;
        case 'x':
        case 'X':
            if (a.is_number()) {
                std::snprintf(buf, sizeof buf, (spec + "ll" + verb).c_str(), static_cast<long long>(a.get<double>()));
                out += buf;
            } else {
                for (unsigned char c : to_text(a)) {
                    std::snprintf(buf, sizeof buf, verb == 'x' ? "%02x" : "%02X", c);
                    out += buf;
                }
            }
            break;
        case 'q':
            out += json(a.is_string() ? a.get<std::string>() : to_text(a)).dump();
            break;
        case 't':
        case 's':
        case 'v':
        default: {
            std::string s = to_text(a);
            std::snprintf(buf, sizeof buf, (spec + "s").c_str(), s.c_str());
            out += s.size() < 400 ? std::string(buf) : s;
        }
        }
    }
    return out;
}

int compare(const json& a, const json& b, const char* fn) {
    if (a.is_number() && b.is_number()) {
        double x = a.get<double>(), y = b.get<double>();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_string() && b.is_string()) return a.get<std::string>().compare(b.get<std::string>());
    fail(std::string(fn) + ": incompatible types for comparison (" + type_name(a) + " and " + type_name(b) + ")");
}

bool equal(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    return a == b;
}

using Func = std::function<json(const std::vector<json>&)>;

void need(const std::vector<json>& a, size_t n, const char* fn) {
    if (a.size() != n)
        fail(std::string("wrong number of args for ") + fn + ": want " + std::to_string(n) + " got " + std::to_string(a.size()));
}

const std::map<std::string, Func>& functions() {
    static const std::map<std::string, Func> f = {
        {"json", [](const std::vector<json>& a) { need(a, 1, "json"); return json(a[0].dump()); }},
        {"join",
         [](const std::vector<json>& a) {
             need(a, 2, "join");
             if (!a[0].is_array() && !a[0].is_null()) fail("join: first argument must be a list, not " + type_name(a[0]));
             std::string s;
             bool first = true;
             for (auto& e : a[0].is_null() ? json::array() : a[0]) {
                 if (!first) s += to_text(a[1]);
                 first = false;
                 s += to_text(e);
             }
             return json(s);
         }},
        {"split",
         [](const std::vector<json>& a) {
             need(a, 2, "split");
             std::string s = to_text(a[0]), sep = to_text(a[1]);
             json out = json::array();
             if (sep.empty()) {
                 for (char c : s) out.push_back(std::string(1, c));
                 return out;
             }
             size_t i = 0;
             while (true) {
                 auto j = s.find(sep, i);
                 out.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
                 if (j == std::string::npos) break;
                 i = j + sep.size();
             }
             return out;
         }},
        {"upper",
         [](const std::vector<json>& a) {
             need(a, 1, "upper");
             std::string s = to_text(a[0]);
             std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
             return json(s);
         }},
        {"lower",
         [](const std::vector<json>& a) {
             need(a, 1, "lower");
             std::string s = to_text(a[0]);
             std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
             return json(s);
         }},
        {"title",
         [](const std::vector<json>& a) {
             need(a, 1, "title");
             std::string s = to_text(a[0]);
             bool start = true;
             for (auto& c : s) {
                 if (start && std::isalpha(static_cast<unsigned char>(c))) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                 start = std::isspace(static_cast<unsigned char>(c)) != 0;
             }
             return json(s);
         }},
        {"len",
         [](const std::vector<json>& a) {
             need(a, 1, "len");
             if (a[0].is_string()) return json(a[0].get<std::string>().size());
             if (a[0].is_array() || a[0].is_object()) return json(a[0].size());
             if (a[0].is_null()) return json(0);
             fail("len of " + type_name(a[0]));
         }},
        {"index",
         [](const std::vector<json>& a) {
             if (a.empty()) fail("wrong number of args for index");
             json v = a[0];
             for (size_t i = 1; i < a.size(); i++) {
                 if (v.is_array() && a[i].is_number()) {
                     auto k = a[i].get<int64_t>();
                     if (k < 0 || static_cast<size_t>(k) >= v.size()) fail("index out of range: " + std::to_string(k));
                     v = v[static_cast<size_t>(k)];
                 } else if (v.is_object() && a[i].is_string()) {
                     auto it = v.find(a[i].get<std::string>());
                     v = it == v.end() ? json() : *it;
                 } else if (v.is_null()) {
                     return json();
                 } else {
                     fail("can't index " + type_name(v) + " with " + type_name(a[i]));
                 }
             }
             return v;
         }},
        {"printf",
         [](const std::vector<json>& a) {
             if (a.empty()) fail("wrong number of args for printf");
             return json(go_printf(to_text(a[0]), std::vector<json>(a.begin() + 1, a.end())));
         }},
        {"print",
         [](const std::vector<json>& a) {
             std::string s;
             for (size_t i = 0; i < a.size(); i++) {
                 if (i && !a[i].is_string() && !a[i - 1].is_string()) s += " ";
                 s += to_text(a[i]);
             }
             return json(s);
         }},
        {"println",
         [](const std::vector<json>& a) {
             std::string s;
             for (size_t i = 0; i < a.size(); i++) s += (i ? " " : "") + to_text(a[i]);
             return json(s + "\n");
         }},
        {"eq",
         [](const std::vector<json>& a) {
             if (a.size() < 2) fail("wrong number of args for eq");
             for (size_t i = 1; i < a.size(); i++)
                 if (equal(a[0], a[i])) return json(true);
             return json(false);
         }},
        {"ne", [](const std::vector<json>& a) { need(a, 2, "ne"); return json(!equal(a[0], a[1])); }},
        {"lt", [](const std::vector<json>& a) { need(a, 2, "lt"); return json(compare(a[0], a[1], "lt") < 0); }},
        {"le", [](const std::vector<json>& a) { need(a, 2, "le"); return json(compare(a[0], a[1], "le") <= 0); }},
        {"gt", [](const std::vector<json>& a) { need(a, 2, "gt"); return json(compare(a[0], a[1], "gt") > 0); }},
        {"ge", [](const std::vector<json>& a) { need(a, 2, "ge"); return json(compare(a[0], a[1], "ge") >= 0); }},
        {"not", [](const std::vector<json>& a) { need(a, 1, "not"); return json(!truthy(a[0])); }},
        {"and",
         [](const std::vector<json>& a) {
             if (a.empty()) fail("wrong number of args for and");
             for (auto& v : a)
                 if (!truthy(v)) return v;
             return a.back();
         }},
        {"or",
         [](const std::vector<json>& a) {
             if (a.empty()) fail("wrong number of args for or");
             for (auto& v : a)
                 if (truthy(v)) return v;
             return a.back();
         }},
        {"truncate",
         [](const std::vector<json>& a) {
             need(a, 2, "truncate");
             std::string s = to_text(a[0]);
             auto n = static_cast<size_t>(std::max<int64_t>(0, a[1].is_number() ? a[1].get<int64_t>() : 0));
             return json(s.size() > n ? s.substr(0, n) : s);
         }},
        {"pad",
         [](const std::vector<json>& a) {
             need(a, 3, "pad");
             auto n = [](const json& v) { return static_cast<size_t>(std::max<int64_t>(0, v.is_number() ? v.get<int64_t>() : 0)); };
             return json(std::string(n(a[1]), ' ') + to_text(a[0]) + std::string(n(a[2]), ' '));
         }},
        {"contains",
         [](const std::vector<json>& a) {
             need(a, 2, "contains");
             return json(to_text(a[0]).find(to_text(a[1])) != std::string::npos);
         }},
        {"hasPrefix", [](const std::vector<json>& a) { need(a, 2, "hasPrefix"); return json(to_text(a[0]).starts_with(to_text(a[1]))); }},
        {"hasSuffix", [](const std::vector<json>& a) { need(a, 2, "hasSuffix"); return json(to_text(a[0]).ends_with(to_text(a[1]))); }},
    };
    return f;
}

// ---------------------------------------------------------------- evaluation

class Exec {
public:
    Exec(const json& root, std::string& out) : out_(out) { vars_.push_back(Var::bind("$", root)); }

    void run(const std::vector<Node>& list, const json& dot) {
        for (auto& n : list) node(n, dot);
    }

private:
    // A variable: its own value, or (for $ and range elements, which outlive
    // the variable) a reference to one, so no data is copied to be named.
    struct Var {
        std::string name;
        json own;
        const json* ref = nullptr;

        static Var bind(std::string name, const json& v) { return {std::move(name), json(), &v}; }
        const json& value() const { return ref ? *ref : own; }
        void set(json v) {
            own = std::move(v);
            ref = nullptr;
        }
    };
    std::string& out_;
    std::vector<Var> vars_;

    Var* find_var(const std::string& name) {
        auto it = std::find_if(vars_.rbegin(), vars_.rend(), [&](const Var& v) { return v.name == name; });
        return it == vars_.rend() ? nullptr : &*it;
    }

    void node(const Node& n, const json& dot) {
        switch (n.kind) {
        case Node::Kind::Text: out_ += n.text; break;
        case Node::Kind::Action: {
            if (const json* v = named(n.pipe, dot)) {
                append_text(*v);
                break;
            }
            json v = pipeline(n.pipe, dot);
            if (n.pipe.decl.empty()) append_text(v);
            break;
        }
        case Node::Kind::If:
        case Node::Kind::With: {
            size_t mark = vars_.size();
            json v = pipeline(n.pipe, dot);
            if (truthy(v)) run(n.list, n.kind == Node::Kind::With ? v : dot);
            else run(n.else_list, dot);
            vars_.resize(mark);
            break;
        }
        case Node::Kind::Range: {
            size_t mark = vars_.size();
            Pipeline p = n.pipe;
            auto decl = p.decl;
            p.decl.clear();
            json v = pipeline(p, dot);
            if (!v.is_null() && !v.is_array() && !v.is_object()) fail("range can't iterate over " + to_text(v));
            if (!truthy(v)) {
                run(n.else_list, dot);
                break;
            }
            size_t i = 0;
            for (auto it = v.begin(); it != v.end(); ++it, ++i) {
                json key = v.is_object() ? json(it.key()) : json(i);
                size_t inner = vars_.size();
                if (decl.size() == 1) vars_.push_back(Var::bind(decl[0], *it));
                if (decl.size() == 2) vars_.push_back({decl[0], key}), vars_.push_back(Var::bind(decl[1], *it));
                run(n.list, *it);
                vars_.resize(inner);
            }
            vars_.resize(mark);
            break;
        }
        case Node::Kind::List: run(n.list, dot); break;
        }
    }

    json pipeline(const Pipeline& p, const json& dot) {
        json v;
        bool have = false;
        for (auto& c : p.cmds) {
            v = command(c, dot, have ? &v : nullptr);
            have = true;
        }
        if (!p.decl.empty()) {
            if (p.assign) {
                auto* var = find_var(p.decl[0]);
                if (!var) fail("undefined variable: " + p.decl[0]);
                var->set(v);
            } else {
                vars_.push_back({p.decl[0], v});
            }
        }
        return v;
    }

    json command(const Command& c, const json& dot, const json* piped) {
        const Expr& first = c.args[0];
        if (first.kind == Expr::Kind::Ident) {
            auto& fs = functions();
            auto f = fs.find(first.name);
            if (f == fs.end()) fail("function \"" + first.name + "\" not defined");
            std::vector<json> args;
            for (size_t i = 1; i < c.args.size(); i++) args.push_back(expr(c.args[i], dot));
            if (piped) args.push_back(*piped);
            return f->second(args);
        }
        if (c.args.size() > 1 || piped) fail("can't give arguments to a non-function value");
        return expr(first, dot);
    }

    json expr(const Expr& e, const json& dot) {
        switch (e.kind) {
        case Expr::Kind::Dot: return fields(dot, e.fields);
        case Expr::Kind::Literal: return e.literal;
        case Expr::Kind::Var: {
            auto* var = find_var(e.name);
            if (!var) fail("undefined variable: " + e.name);
            return fields(var->value(), e.fields);
        }
        case Expr::Kind::Paren: return fields(pipeline(*e.sub, dot), e.fields);
        case Expr::Kind::Ident: {
            auto& fs = functions();
            if (!fs.count(e.name)) fail("function \"" + e.name + "\" not defined");
            return fs.at(e.name)({});
        }
        }
        return json();
    }

    void append_text(const json& v) {
        if (v.is_string()) out_ += v.get_ref<const std::string&>();
        else out_ += to_text(v);
    }

    // v.A.B…: where it is (a missing field is null), without copying.
    static const json& walk(const json& v, const std::vector<std::string>& names) {
        static const json null_value;
        const json* at = &v;
        for (auto& n : names) {
            if (at->is_null()) return null_value;
            if (!at->is_object()) fail("can't evaluate field " + n + " in type " + type_name(*at));
            auto it = at->find(n);
            if (it == at->end()) return null_value;
            at = &*it;
        }
        return *at;
    }
    static json fields(const json& v, const std::vector<std::string>& names) { return walk(v, names); }

    // The value a pipeline that only names one ({{.A.B}}, {{$x.A}}) prints,
    // where it is; nullptr for every other pipeline.
    const json* named(const Pipeline& p, const json& dot) {
        if (!p.decl.empty() || p.cmds.size() != 1 || p.cmds[0].args.size() != 1) return nullptr;
        const Expr& e = p.cmds[0].args[0];
        if (e.kind == Expr::Kind::Dot) return &walk(dot, e.fields);
        if (e.kind != Expr::Kind::Var) return nullptr;
        const Var* var = find_var(e.name);
        return var ? &walk(var->value(), e.fields) : nullptr;
    }
};

}  // namespace

Template Template::parse(std::string_view text) {
    Template t;
    t.root_ = std::make_shared<Node>(Parser(text).parse());
    return t;
}

std::string Template::render(const json& data) const {
    std::string out;
    Exec(data, out).run(root_->list, data);
    return out;
}

}  // namespace ctr::tmpl
