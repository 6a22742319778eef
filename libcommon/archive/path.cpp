#include "libcommon/archive/path.h"

#include <deque>
#include <vector>

#include "libcommon/sys/error.h"

namespace ctr::archive {

namespace {

std::vector<std::string> split(std::string_view p) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= p.size()) {
        auto j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        auto c = p.substr(i, j - i);
        if (!c.empty() && c != ".") parts.emplace_back(c);
        i = j + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, size_t n) {
    std::string s;
    for (size_t i = 0; i < n && i < parts.size(); i++) {
        if (i) s += '/';
        s += parts[i];
    }
    return s;
}

}  // namespace

std::string clean_entry_path(std::string_view name) {
    if (name.empty()) throw Error("entry with an empty name");
    if (name.front() == '/') throw Error("entry \"" + std::string(name) + "\": absolute path");
    auto parts = split(name);
    for (auto& p : parts)
        if (p == "..") throw Error("entry \"" + std::string(name) + "\": path contains \"..\"");
    return join(parts, parts.size());
}

void SymlinkGuard::add_symlink(const std::string& path, const std::string& target) { links_[path] = target; }

void SymlinkGuard::forget(const std::string& path, bool subtree) {
    if (links_.empty()) return;
    links_.erase(path);
    if (!subtree) return;
    auto it = links_.lower_bound(path + "/");
    while (it != links_.end() && it->first.starts_with(path + "/")) it = links_.erase(it);
}

std::string SymlinkGuard::resolve_parent(const std::string& path) const {
    auto parts = split(path);
    if (parts.empty()) return "";
    parts.pop_back();
    if (links_.empty()) return join(parts, parts.size());
    std::vector<std::string> done;  // the resolved prefix, always inside the layer
    std::deque<std::string> todo(parts.begin(), parts.end());
    std::string via;  // the last symlink followed, for the error message
    int hops = 0;
    auto escape = [&]() -> Error {
        return Error("entry \"" + path + "\": would be written through symlink " + via + ", outside the layer");
    };
    while (!todo.empty()) {
        std::string c = std::move(todo.front());
        todo.pop_front();
        if (c == "..") {
            if (done.empty()) throw escape();
            done.pop_back();
            continue;
        }
        done.push_back(std::move(c));
        auto it = links_.find(join(done, done.size()));
        if (it == links_.end()) continue;
        if (++hops > 40) throw Error("entry \"" + path + "\": too many levels of symlinks");
        via = "\"" + it->first + "\" -> \"" + it->second + "\"";
        if (!it->second.empty() && it->second.front() == '/') throw escape();
        done.pop_back();
        auto target = split(it->second);
        todo.insert(todo.begin(), target.begin(), target.end());
    }
    return join(done, done.size());
}

}  // namespace ctr::archive
