// The stages of a build: FROM (a base image, pulled when missing, or an earlier
// stage; its ONBUILD triggers), images mounted for COPY --from, and the
// variables a stage sees.
#include "libcommon/build/builder_impl.h"

#include <fcntl.h>

#include "libcommon/cli/missing_image.h"
#include "libcommon/dockerfile/instructions.h"
#include "libcommon/oci/manifest.h"
#include "libcommon/registry/pull.h"

namespace ctr::build::detail {

// BuildKit's automatic platform ARGs (TARGETPLATFORM, BUILDARCH, ...): this machine's.
std::optional<std::string> platform_arg(const std::string& k) {
    auto p = oci::Platform::host();
    std::string kind = k.starts_with("TARGET") ? "TARGET" : k.starts_with("BUILD") ? "BUILD" : "";
    if (kind.empty()) return std::nullopt;
    std::string what = k.substr(kind.size());
    if (what == "PLATFORM") return p.str();
    if (what == "OS") return p.os;
    if (what == "ARCH") return p.architecture;
    if (what == "VARIANT") return p.variant;
    return std::nullopt;
}

dockerfile::Lookup Builder::meta_vars() const {
    return [this](const std::string& k) -> std::optional<std::string> {
        auto it = meta_args_.find(k);
        if (it == meta_args_.end()) return platform_arg(k);
        return it->second;
    };
}

dockerfile::Lookup Builder::stage_vars(const Stage& st) const {
    return [&st](const std::string& k) -> std::optional<std::string> {
        if (auto c = st.image.config.find("config"); c != st.image.config.end() && c->is_object())
            if (auto env = c->find("Env"); env != c->end() && env->is_array())
                for (auto it = env->rbegin(); it != env->rend(); ++it) {
                    if (!it->is_string()) continue;
                    auto s = it->get<std::string>();
                    if (s.size() > k.size() && s.compare(0, k.size(), k) == 0 && s[k.size()] == '=')
                        return s.substr(k.size() + 1);
                }
        auto a = st.args.find(k);
        if (a != st.args.end()) return a->second;
        return std::nullopt;
    };
}

void Builder::from(Stage& st, const Instruction& ins) {
    auto f = dockerfile::parse_from(ins, meta_vars(), df_.escape);
    if (!f.platform.empty()) {
        auto want = oci::Platform::parse(f.platform);
        auto host = oci::Platform::host();
        if (want.os != host.os || want.architecture != host.architecture)
            fail(ins, "FROM --platform=" + f.platform + ": only this machine's platform (" + host.str() +
                          ") can be built");
    }
    for (auto& [k, v] : meta_args_)
        if (ins.args.find(k) != std::string::npos) used_args_.insert(k);
    // An earlier stage by name (or number) is that stage's image.
    const Stage* prev = nullptr;
    for (auto& s : stages_) {
        if (s.index >= st.index) break;
        if (s.name == f.image || (s.name.empty() && std::to_string(s.index) == f.image)) prev = &s;
    }
    if (prev) {
        st.image = prev->image;
        st.shell = prev->shell;
    } else {
        st.image = image_for(f.image);
    }
    auto& cfg = st.image.config["config"];
    if (cfg.is_object() && cfg.contains("Shell") && cfg["Shell"].is_array() && !cfg["Shell"].empty())
        st.shell = cfg["Shell"].get<std::vector<std::string>>();
    if (st.image.id) say(" ---> " + st.image.id->short_hex());
    // ONBUILD triggers of the base run now, as part of FROM.
    if (cfg.is_object() && cfg.contains("OnBuild") && cfg["OnBuild"].is_array() && !cfg["OnBuild"].empty()) {
        auto triggers = cfg["OnBuild"].get<std::vector<std::string>>();
        say("# Executing " + std::to_string(triggers.size()) + " build trigger" + (triggers.size() > 1 ? "s" : ""));
        st.image.config["config"]["OnBuild"] = nullptr;
        for (auto& t : triggers) {
            Instruction trig = dockerfile::parse_instruction(t, df_.escape, df_.name, ins.line);
            dockerfile::validate_instruction(trig, df_.name);
            dispatch(st, trig);
        }
    }
}

ImageState Builder::image_for(const std::string& name) {
    if (name == "scratch") {
        ImageState s;
        s.config = {{"architecture", oci::Platform::host().architecture},
                    {"os", "linux"},
                    {"config", json::object()},
                    {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
                    {"history", json::array()}};
        return s;
    }
    auto pull = [&] {
        say("Pulling " + name + " ...");
        registry::PullOptions po;
        po.access = o_.access;
        auto r = registry::pull(store_, name, po);
        return store_.resolve(r.tag_name.empty() ? r.entry.str() : r.tag_name);
    };
    store::Image img;
    if (o_.pull == true) {
        img = pull();
    } else {
        try {
            img = store_.resolve(name);
        } catch (const Error& e) {
            if (o_.pull == false)
                throw Error("image not in store: " + name + " (and --pull=false); " + cli::how_to_get_image(name));
            try {
                img = pull();
            } catch (const Error& pe) {
                throw Error(std::string(e.what()) + "; pulling it failed: " + pe.what() + "; " +
                            cli::how_to_get_image(name));
            }
        }
    }
    ImageState s;
    s.config = img.config;
    s.layers = img.layers();
    s.id = img.id();
    s.entry = img.manifest_desc;
    return s;
}

std::vector<std::string> Builder::lowerdirs(const ImageState& img) {
    std::vector<std::string> lowers;
    for (auto& l : img.layers) lowers.insert(lowers.begin(), store_.unpack_layer(l));
    if (lowers.empty()) lowers.push_back(empty_dir_);
    return lowers;
}

// The root of an image mounted read-only for the rest of the build.
int Builder::rootfs_of(const ImageState& img, const std::string& what) {
    std::string key = img.id ? img.id->hex() : "scratch" + std::to_string(scratch_++);
    auto it = mounted_.find(key);
    if (it != mounted_.end()) return it->second->fd.get();
    auto m = std::make_unique<MountedImage>();
    std::string dir = tmp_->path() + "/from-" + key.substr(0, 12);
    m->mount = std::make_unique<bundle::OverlayMount>(
        bundle::OverlayLayout{lowerdirs(img), dir + "/upper", dir + "/work", dir + "/rootfs", kOverlayOptions});
    m->fd.reset(::open((dir + "/rootfs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!m->fd) throw_errno("open the root filesystem of " + what);
    int fd = m->fd.get();
    mounted_[key] = std::move(m);
    return fd;
}

}  // namespace ctr::build::detail
