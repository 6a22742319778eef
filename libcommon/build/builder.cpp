#include "libcommon/build/builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "libcommon/build/builder_impl.h"
#include "libcommon/build/rootfs.h"
#include "libcommon/build/run.h"
#include "libcommon/dockerfile/instructions.h"
#include "libcommon/store/fsutil.h"

namespace ctr::build {

namespace detail {

void Builder::dispatch(Stage& st, const Instruction& ins) {
    const std::string& kw = ins.keyword;
    try {
        if (kw == "FROM") return from(st, ins);
        if (kw == "RUN") return run_step(st, ins);
        if (kw == "COPY" || kw == "ADD") return copy_step(st, ins, kw == "ADD");
        if (kw == "WORKDIR") return workdir_step(st, ins);
        if (config_instruction(st, ins)) return;
        fail(ins, "unknown instruction: " + kw);
    } catch (const Error& e) {
        std::string msg = e.what();
        if (msg.starts_with(df_.name + ":")) throw;
        fail(ins, msg);
    }
}

void Builder::build_stage(Stage& st) {
    for (size_t i = st.first; i <= st.last; i++) {
        if (interrupted()) throw Error("interrupted");
        auto& ins = df_.instructions[i];
        step_++;
        say("Step " + std::to_string(step_) + "/" + std::to_string(total_) + " : " + ins.original);
        dispatch(st, ins);
        if (ins.keyword != "FROM" && st.image.id) say(" ---> " + st.image.id->short_hex());
    }
    st.built = true;
}

BuildResult Builder::run() {
    df_ = dockerfile::parse(o_.dockerfile_text, o_.dockerfile_name);
    dockerfile::validate(df_);
    runtime_ = default_runtime(o_.runtime);

    // Global ARGs (before the first FROM), then the stages.
    size_t i = 0;
    for (; i < df_.instructions.size() && df_.instructions[i].keyword == "ARG"; i++)
        for (auto& [name, def] : dockerfile::parse_args(df_.instructions[i], meta_vars(), df_.escape)) {
            auto b = o_.build_args.find(name);
            meta_args_[name] = b != o_.build_args.end() ? std::optional<std::string>(b->second) : def;
        }
    for (; i < df_.instructions.size(); i++) {
        auto& ins = df_.instructions[i];
        if (ins.keyword == "FROM") {
            Stage s;
            s.index = stages_.size();
            s.first = s.last = i;
            auto w = dockerfile::split_raw_words(ins.args, df_.escape);
            if (w.size() == 3) {
                s.name = w[2];
                for (auto& c : s.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            stages_.push_back(s);
        } else {
            stages_.back().last = i;
        }
    }
    size_t target = stages_.size() - 1;
    if (!o_.target.empty()) {
        std::string t = o_.target;
        for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto it = std::find_if(stages_.begin(), stages_.end(), [&](const Stage& s) { return s.name == t; });
        if (it == stages_.end()) throw Error("failed to reach build target " + o_.target + " in Dockerfile");
        target = it->index;
    }
    for (size_t s = 0; s <= target; s++) total_ += int(stages_[s].last - stages_[s].first + 1);
    if (!o_.labels.empty()) total_++;

    if (!o_.context_dir.empty()) {
        context_fd_.reset(::open(o_.context_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!context_fd_) throw_errno("open the build context " + o_.context_dir);
        std::string ignore_text = read_in_root(context_fd_.get(), ".dockerignore");
        try {
            ignore_ = dockerfile::IgnoreMatcher::parse(ignore_text);
        } catch (const Error& e) {
            throw Error(o_.context_dir + "/.dockerignore: " + e.what());
        }
    }

    InterruptGuard guard;
    auto hold = store_.hold();
    tmp_ = std::make_unique<store::TempDir>(store_.tmp_dir(), "build");
    empty_dir_ = tmp_->path() + "/empty";
    store::make_dirs(empty_dir_);

    for (size_t s = 0; s <= target; s++) build_stage(stages_[s]);
    Stage& final = stages_[target];
    if (!o_.labels.empty()) {
        std::vector<std::string> parts;
        for (auto& [k, v] : o_.labels) parts.push_back(k + "=" + v);
        step_++;
        say("Step " + std::to_string(step_) + "/" + std::to_string(total_) + " : LABEL " + join(parts, " "));
        config_step(final, "/bin/sh -c #(nop)  LABEL " + join(parts, " "), [&](json& c) {
            if (!c.contains("Labels") || !c["Labels"].is_object()) c["Labels"] = json::object();
            for (auto& [k, v] : o_.labels) c["Labels"][k] = v;
        });
        say(" ---> " + final.image.id->short_hex());
    }
    if (!final.image.id) {
        // FROM scratch and nothing else: an empty image, as docker makes.
        final.image = commit(final.image, final.image.config, std::nullopt, "/bin/sh -c #(nop)  FROM scratch",
                             cache_key(final.image, "FROM scratch"));
    }
    // The result is not intermediate: it shows in `ctr-images` (as <none> if untagged).
    oci::Descriptor entry = final.image.entry;
    store_.update_index([&](oci::Index& idx) {
        bool found = false;
        for (auto& e : idx.manifests)
            if (e.digest == entry.digest) {
                e.annotations.erase(std::string(oci::annotation::kIntermediate));
                entry = e;
                found = true;
            }
        if (!found) idx.manifests.push_back(entry);
    });
    mounted_.clear();
    for (auto& t : o_.tags) store_.tag(entry, t);

    std::set<std::string> unused;
    for (auto& [k, v] : o_.build_args)
        if (!used_args_.count(k) && !meta_args_.count(k)) unused.insert(k);
    if (!unused.empty()) {
        std::string list;
        for (auto& u : unused) list += (list.empty() ? "" : " ") + u;
        std::fprintf(stderr, "[Warning] One or more build-args [%s] were not consumed\n", list.c_str());
    }
    say("Successfully built " + final.image.id->short_hex());
    for (auto& t : o_.tags) say("Successfully tagged " + t.tag_name());
    return {*final.image.id};
}

}  // namespace detail

std::string default_runtime(const std::string& explicit_choice) {
    if (!explicit_choice.empty()) return explicit_choice;
    if (const char* env = std::getenv("CTR_RUNTIME"); env && *env) return env;
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        std::string dir = store::dirname_of(self);
        if (::access((dir + "/ctr-run").c_str(), X_OK) == 0) return dir + "/ctr-run";
    }
    if (const char* path = std::getenv("PATH")) {
        std::string p = path;
        size_t i = 0;
        while (i <= p.size()) {
            size_t j = p.find(':', i);
            if (j == std::string::npos) j = p.size();
            std::string d = p.substr(i, j - i);
            if (!d.empty() && ::access((d + "/ctr-run").c_str(), X_OK) == 0) return d + "/ctr-run";
            i = j + 1;
        }
    }
    return "runc";
}

BuildResult build(const store::Store& store, const BuildOptions& options) {
    detail::Builder b(store, options);
    return b.run();
}

}  // namespace ctr::build
