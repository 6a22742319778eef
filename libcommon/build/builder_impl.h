// The builder's insides, shared by the files that implement it; not for use
// outside libcommon/build (builder.h is the interface).
//
//   builder.cpp        the build: stages from the Dockerfile, step by step, the result tagged
//   stages.cpp         FROM, the base images (pulled if missing) and earlier stages, variables
//   config_steps.cpp   the instructions that change only the image config (ENV, CMD, LABEL, ...)
//   rootfs_steps.cpp   COPY, ADD and WORKDIR: write into an overlay of the image, make the layer
//   run_step.cpp       RUN, through the OCI runtime on an overlay of the image
//   layer_cache.cpp    step images in the store: cache keys, cache hits, commits, layers
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libcommon/build/builder.h"
#include "libcommon/bundle/rootfs.h"
#include "libcommon/dockerfile/dockerignore.h"
#include "libcommon/dockerfile/expand.h"
#include "libcommon/dockerfile/parser.h"
#include "libcommon/store/tmp.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::build::detail {

using json = nlohmann::json;
using dockerfile::Instruction;

// A step's upper directory must hold whole files and directories: no
// redirects (a renamed lower directory) and no metadata-only copies, whatever
// the kernel's defaults, since it becomes the layer.
inline constexpr const char* kOverlayOptions = "redirect_dir=off,metacopy=off";

inline std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < v.size(); i++) out += (i ? sep : "") + v[i];
    return out;
}

// The created_by of a step that runs nothing, as docker writes it.
inline std::string nop(const std::string& s) { return "/bin/sh -c #(nop)  " + s; }

// The image as a build step leaves it.
struct ImageState {
    json config = json::object();      // the whole image config
    std::vector<store::Layer> layers;  // bottom first
    std::optional<oci::Digest> id;     // none for scratch until a step commits
    oci::Descriptor entry;             // the manifest, as index.json knows it
};

// One FROM … section of the Dockerfile.
struct Stage {
    size_t index = 0;
    std::string name;  // the AS name, lower case
    size_t first = 0, last = 0;  // instruction range, FROM included
    ImageState image;
    std::map<std::string, std::optional<std::string>> args;  // ARGs declared in this stage
    std::vector<std::string> shell{"/bin/sh", "-c"};
    bool cmd_set = false;
    bool built = false;
};

// An image's root filesystem mounted read-only (for COPY --from).
struct MountedImage {
    std::unique_ptr<bundle::OverlayMount> mount;
    UniqueFd fd;
};

// BuildKit's automatic platform ARGs (TARGETPLATFORM, BUILDARCH, ...): this machine's.
std::optional<std::string> platform_arg(const std::string& k);

class Builder {
public:
    Builder(const store::Store& store, const BuildOptions& o) : store_(store), o_(o), out_(o.quiet ? nullptr : o.out) {}
    BuildResult run();

private:
    void say(const std::string& line) {
        if (!out_) return;
        std::fputs(line.c_str(), out_);
        std::fputc('\n', out_);
        std::fflush(out_);
    }
    [[noreturn]] void fail(const Instruction& ins, const std::string& what) {
        throw Error(dockerfile::where(df_.name, ins.line) + ": " + what);
    }

    // builder.cpp
    void build_stage(Stage& st);
    void dispatch(Stage& st, const Instruction& ins);

    // stages.cpp
    void from(Stage& st, const Instruction& ins);
    ImageState image_for(const std::string& name);
    int rootfs_of(const ImageState& img, const std::string& what);
    std::vector<std::string> lowerdirs(const ImageState& img);
    dockerfile::Lookup stage_vars(const Stage& st) const;
    dockerfile::Lookup meta_vars() const;

    // config_steps.cpp
    bool config_instruction(Stage& st, const Instruction& ins);
    void config_step(Stage& st, const std::string& created_by, const std::function<void(json&)>& change);

    // rootfs_steps.cpp
    void copy_step(Stage& st, const Instruction& ins, bool add);
    void workdir_step(Stage& st, const Instruction& ins);
    // Mounts the stage's image with a fresh upper directory, lets `change`
    // write into its root (an open directory fd), and makes the layer.
    std::optional<store::Layer> change_rootfs(const Stage& st, const std::function<void(int)>& change);

    // run_step.cpp
    void run_step(Stage& st, const Instruction& ins);
    std::vector<std::string> run_env(const Stage& st) const;

    // layer_cache.cpp
    std::string created() const;
    std::string cache_key(const ImageState& parent, const std::string& created_by) const;
    std::optional<ImageState> cached(const std::string& key);
    ImageState commit(const ImageState& parent, json config, const std::optional<store::Layer>& layer,
                      const std::string& created_by, const std::string& key);
    std::optional<store::Layer> make_layer(const std::string& upper);
    void use(Stage& st, ImageState img, bool from_cache);

    const store::Store& store_;
    const BuildOptions& o_;
    std::FILE* out_;
    dockerfile::Dockerfile df_;
    dockerfile::IgnoreMatcher ignore_;
    UniqueFd context_fd_;
    std::map<std::string, std::optional<std::string>> meta_args_;
    std::set<std::string> used_args_;
    std::vector<Stage> stages_;
    int step_ = 0, total_ = 0;
    std::string runtime_;
    // Declared in this order so that mounts go before the directory holding them.
    std::unique_ptr<store::TempDir> tmp_;
    std::string empty_dir_;
    std::map<std::string, std::unique_ptr<MountedImage>> mounted_;
    int scratch_ = 0;
    int changes_ = 0;
};

}  // namespace ctr::build::detail
