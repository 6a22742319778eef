#include "libcommon/dockerfile/expand.h"

#include <cctype>

#include "libcommon/sys/error.h"

namespace ctr::dockerfile {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Collects words as the lexer produces characters: literal characters split on
// whitespace, quoted (raw) ones never do.
class Words {
public:
    void add(char c) {
        if (is_space(c)) {
            end_word();
        } else {
            cur_ += c;
            in_word_ = true;
        }
    }
    void add_raw(char c) {
        cur_ += c;
        in_word_ = true;
    }
    void add(std::string_view s) {
        for (char c : s) add(c);
    }
    void add_raw(std::string_view s) {
        for (char c : s) add_raw(c);
    }
    // A quoted empty string still makes a word.
    void mark_word() { in_word_ = true; }
    std::vector<std::string> finish() {
        end_word();
        return std::move(words_);
    }

private:
    void end_word() {
        if (in_word_) words_.push_back(std::move(cur_));
        cur_.clear();
        in_word_ = false;
    }
    std::vector<std::string> words_;
    std::string cur_;
    bool in_word_ = false;
};

class Lexer {
public:
    Lexer(std::string_view s, const Lookup& vars, char escape, bool quotes = true)
        : s_(s), vars_(vars), esc_(escape), quotes_(quotes) {}

    // Processes up to `stop` (or the end), returning the text and feeding `words`.
    std::string run(Words& words, char stop = 0) {
        std::string out;
        while (pos_ < s_.size()) {
            char c = s_[pos_];
            if (stop && c == stop) {
                pos_++;
                return out;
            }
            pos_++;
            if (quotes_ && c == esc_) {
                if (pos_ >= s_.size()) break;  // a trailing escape is dropped
                char n = s_[pos_++];
                out += n;
                words.add_raw(n);
            } else if (!quotes_ && c == esc_ && pos_ < s_.size() && s_[pos_] == '$') {
                out += '$';
                words.add_raw('$');
                pos_++;
            } else if (quotes_ && c == '\'') {
                std::string q = single_quoted();
                out += q;
                words.add_raw(q);
                words.mark_word();
            } else if (quotes_ && c == '"') {
                std::string q = double_quoted();
                out += q;
                words.add_raw(q);
                words.mark_word();
            } else if (c == '$') {
                std::string v = dollar();
                out += v;
                words.add(v);
            } else {
                out += c;
                words.add(c);
            }
        }
        if (stop) throw Error("missing '" + std::string(1, stop) + "' in \"" + std::string(s_) + "\"");
        return out;
    }

private:
    std::string single_quoted() {
        std::string out;
        while (pos_ < s_.size()) {
            char c = s_[pos_++];
            if (c == '\'') return out;
            out += c;
        }
        throw Error("unexpected end of statement while looking for matching single-quote in \"" + std::string(s_) +
                    "\"");
    }

    std::string double_quoted() {
        std::string out;
        while (pos_ < s_.size()) {
            char c = s_[pos_++];
            if (c == '"') return out;
            if (c == esc_) {
                if (pos_ >= s_.size()) break;
                char n = s_[pos_];
                if (n == '"' || n == '$' || n == esc_) {
                    out += n;
                    pos_++;
                } else {
                    out += c;
                }
            } else if (c == '$') {
                out += dollar();
            } else {
                out += c;
            }
        }
        throw Error("unexpected end of statement while looking for matching double-quote in \"" + std::string(s_) +
                    "\"");
    }

    // After a '$'.
    std::string dollar() {
        if (pos_ >= s_.size()) return "$";
        char c = s_[pos_];
        if (c != '{') {
            if (!is_name_char(c)) return "$";
            size_t start = pos_;
            while (pos_ < s_.size() && is_name_char(s_[pos_])) pos_++;
            return value(std::string(s_.substr(start, pos_ - start))).value_or("");
        }
        pos_++;
        size_t start = pos_;
        while (pos_ < s_.size() && is_name_char(s_[pos_])) pos_++;
        std::string name(s_.substr(start, pos_ - start));
        if (pos_ >= s_.size()) throw Error("missing '}' in \"" + std::string(s_) + "\"");
        if (name.empty()) throw Error("bad substitution in \"" + std::string(s_) + "\"");
        char op = s_[pos_++];
        if (op == '}') return value(name).value_or("");
        bool colon = false;
        if (op == ':') {
            if (pos_ >= s_.size()) throw Error("missing '}' in \"" + std::string(s_) + "\"");
            colon = true;
            op = s_[pos_++];
        }
        if (op != '-' && op != '+' && op != '?')
            throw Error("unsupported modifier (" + std::string(colon ? ":" : "") + std::string(1, op) +
                        ") in substitution of \"" + name + "\" in \"" + std::string(s_) + "\"");
        Words ignored;
        std::string word = run(ignored, '}');
        auto v = value(name);
        bool set = v.has_value() && (!colon || !v->empty());
        switch (op) {
        case '-':
            return set ? *v : word;
        case '+':
            return set ? word : "";
        default:
            if (!set) throw Error(name + ": " + (word.empty() ? "is not allowed to be unset" : word));
            return *v;
        }
    }

    std::optional<std::string> value(const std::string& name) { return vars_ ? vars_(name) : std::nullopt; }

    std::string_view s_;
    size_t pos_ = 0;
    const Lookup& vars_;
    char esc_;
    bool quotes_;
};

}  // namespace

std::string expand_word(std::string_view word, const Lookup& vars, char escape) {
    Words w;
    return Lexer(word, vars, escape).run(w);
}

std::vector<std::string> expand_words(std::string_view text, const Lookup& vars, char escape) {
    Words w;
    Lexer(text, vars, escape).run(w);
    return w.finish();
}

std::string expand_text(std::string_view text, const Lookup& vars, char escape) {
    Words w;
    return Lexer(text, vars, escape, false).run(w);
}

std::vector<std::string> split_raw_words(std::string_view s, char escape) {
    std::vector<std::string> words;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (quote) {
            cur += c;
            if (c == escape && quote == '"' && i + 1 < s.size()) cur += s[++i];
            else if (c == quote) quote = 0;
            continue;
        }
        if (is_space(c)) {
            if (in_word) words.push_back(std::move(cur));
            cur.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        cur += c;
        if (c == escape && i + 1 < s.size()) cur += s[++i];
        else if (c == '"' || c == '\'') quote = c;
    }
    if (quote) throw Error("unmatched " + std::string(1, quote) + " in \"" + std::string(s) + "\"");
    if (in_word) words.push_back(std::move(cur));
    return words;
}

}  // namespace ctr::dockerfile
