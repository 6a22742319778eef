#include "libcommon/build/builder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "libcommon/archive/gzip.h"
#include "libcommon/archive/pack.h"
#include "libcommon/build/copy.h"
#include "libcommon/build/fetch.h"
#include "libcommon/build/rootfs.h"
#include "libcommon/build/run.h"
#include "libcommon/bundle/rootfs.h"
#include "libcommon/bundle/spec.h"
#include "libcommon/bundle/user.h"
#include "libcommon/cli/missing_image.h"
#include "libcommon/dockerfile/dockerignore.h"
#include "libcommon/dockerfile/instructions.h"
#include "libcommon/dockerfile/parser.h"
#include "libcommon/oci/manifest.h"
#include "libcommon/registry/pull.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/tmp.h"
#include "libcommon/sys/error.h"

namespace ctr::build {

namespace {

using json = nlohmann::json;
using dockerfile::Instruction;

// A step's upper directory must hold whole files and directories: no
// redirects (a renamed lower directory) and no metadata-only copies, whatever
// the kernel's defaults, since it becomes the layer.
const char* const kOverlayOptions = "redirect_dir=off,metacopy=off";

std::string rfc3339(int64_t secs, long nsec) {
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string s = buf;
    if (nsec) {
        char frac[16];
        std::snprintf(frac, sizeof frac, ".%09ld", nsec);
        std::string f = frac;
        while (f.back() == '0') f.pop_back();
        s += f;
    }
    return s + "Z";
}

std::string random_id() {
    std::random_device rd;
    std::string out;
    const char* hex = "0123456789abcdef";
    for (int i = 0; i < 64; i++) out += hex[rd() & 15];
    return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < v.size(); i++) out += (i ? sep : "") + v[i];
    return out;
}

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

    void build_stage(Stage& st);
    void dispatch(Stage& st, const Instruction& ins);
    void from(Stage& st, const Instruction& ins);
    void run_step(Stage& st, const Instruction& ins);
    void copy_step(Stage& st, const Instruction& ins, bool add);
    void config_step(Stage& st, const std::string& created_by, const std::function<void(json&)>& change);

    dockerfile::Lookup stage_vars(const Stage& st) const;
    dockerfile::Lookup meta_vars() const;
    std::vector<std::string> run_env(const Stage& st) const;

    ImageState image_for(const std::string& name);
    int rootfs_of(const ImageState& img, const std::string& what);
    std::vector<std::string> lowerdirs(const ImageState& img);

    std::string created() const;
    std::string cache_key(const ImageState& parent, const std::string& created_by) const;
    std::optional<ImageState> cached(const std::string& key);
    ImageState commit(const ImageState& parent, json config, const std::optional<store::Layer>& layer,
                      const std::string& created_by, const std::string& key);
    std::optional<store::Layer> make_layer(const std::string& upper);
    // Mounts the stage's image with a fresh upper directory, lets `change`
    // write into its root (an open directory fd), and makes the layer.
    std::optional<store::Layer> change_rootfs(const Stage& st, const std::function<void(int)>& change);
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

std::string Builder::created() const {
    if (o_.source_date_epoch) return rfc3339(*o_.source_date_epoch, 0);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    return rfc3339(ns / 1000000000, static_cast<long>(ns % 1000000000));
}

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

// KEY=VALUE for every ARG in scope with a value that ENV does not override.
std::vector<std::string> Builder::run_env(const Stage& st) const {
    std::vector<std::string> env;
    std::set<std::string> in_env;
    if (auto c = st.image.config.find("config"); c != st.image.config.end() && c->is_object())
        if (auto e = c->find("Env"); e != c->end() && e->is_array())
            for (auto& v : *e)
                if (v.is_string()) in_env.insert(v.get<std::string>().substr(0, v.get<std::string>().find('=')));
    for (auto& [k, v] : st.args)
        if (v && !in_env.count(k)) env.push_back(k + "=" + *v);
    return env;
}

std::string Builder::cache_key(const ImageState& parent, const std::string& created_by) const {
    return oci::Digest::of((parent.id ? parent.id->str() : "scratch") + "\n" + created_by).hex();
}

std::optional<ImageState> Builder::cached(const std::string& key) {
    if (o_.no_cache) return std::nullopt;
    auto idx = store_.read_index();
    for (auto it = idx.manifests.rbegin(); it != idx.manifests.rend(); ++it) {
        std::string keys = " " + it->annotation(kCacheKeyAnnotation) + " ";
        if (keys.find(" " + key + " ") == std::string::npos) continue;
        try {
            auto img = store_.load_image(*it);
            ImageState s;
            s.layers = img.layers();
            bool complete = true;
            for (auto& l : s.layers) complete = complete && store_.has_blob(l.blob.digest);
            if (!complete) continue;
            s.config = img.config;
            s.id = img.id();
            s.entry = img.manifest_desc;
            return s;
        } catch (const Error&) {
            continue;  // a damaged cache entry is simply not used
        }
    }
    return std::nullopt;
}

ImageState Builder::commit(const ImageState& parent, json cfg, const std::optional<store::Layer>& layer,
                           const std::string& created_by, const std::string& key) {
    ImageState next;
    next.layers = parent.layers;
    if (layer) next.layers.push_back(*layer);
    std::string ts = created();
    cfg["created"] = ts;
    if (!cfg.contains("architecture")) cfg["architecture"] = oci::Platform::host().architecture;
    if (!cfg.contains("os")) cfg["os"] = "linux";
    if (!cfg.contains("config") || !cfg["config"].is_object()) cfg["config"] = json::object();
    json diff_ids = json::array();
    for (auto& l : next.layers) diff_ids.push_back(l.diff_id.str());
    cfg["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
    json h = {{"created", ts}, {"created_by", created_by}};
    if (!layer) h["empty_layer"] = true;
    if (!cfg.contains("history") || !cfg["history"].is_array()) cfg["history"] = json::array();
    cfg["history"].push_back(h);
    next.config = cfg;

    auto config_desc = store_.write_blob(cfg.dump(), std::string(oci::media::kConfig));
    std::vector<oci::Descriptor> blobs;
    for (auto& l : next.layers) blobs.push_back(l.blob);
    auto manifest = oci::Manifest::make(config_desc, blobs);
    auto mdesc = store_.write_blob(manifest.serialize(), std::string(oci::media::kManifest));
    // One index.json update: the entry (new, intermediate) with its cache key.
    store_.update_index([&](oci::Index& idx) {
        bool found = false;
        for (auto& e : idx.manifests) {
            if (e.digest != mdesc.digest) continue;
            found = true;
            std::string keys = e.annotation(kCacheKeyAnnotation);
            if ((" " + keys + " ").find(" " + key + " ") == std::string::npos)
                e.annotations[kCacheKeyAnnotation] = keys.empty() ? key : keys + " " + key;
        }
        if (!found) {
            oci::Descriptor d = mdesc;
            d.annotations[std::string(oci::annotation::kIntermediate)] = "true";
            d.annotations[kCacheKeyAnnotation] = key;
            idx.manifests.push_back(d);
        }
    });
    next.id = config_desc.digest;
    next.entry = mdesc;
    return next;
}

std::optional<store::Layer> Builder::make_layer(const std::string& upper) {
    UniqueFd fd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno("open " + upper);
    auto writer = store_.new_blob();
    archive::GzipWriter gz([&](const void* d, size_t n) { writer.write(d, n); }, 1);
    archive::PackOptions po;
    po.clamp_mtime = o_.source_date_epoch;
    auto r = archive::pack_dir(fd.get(), upper, [&](const void* d, size_t n) { gz.write(d, n); }, po);
    if (r.entries == 0) return std::nullopt;
    gz.finish();
    store::Layer layer{writer.commit(std::string(oci::media::kLayerGzip)), r.diff_id};
    // The upper directory already is the layer in overlay form: it becomes
    // layers/<diff_id>/ as it is, so the next step need not unpack the blob.
    std::string dest = store_.layer_path(r.diff_id);
    if (!store::path_exists(dest)) {
        ::syncfs(fd.get());
        if (::rename(upper.c_str(), dest.c_str()) == 0) store::fsync_path(store_.layers_dir());
    }
    return layer;
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

void Builder::use(Stage& st, ImageState img, bool from_cache) {
    if (from_cache) say(" ---> Using cache");
    st.image = std::move(img);
}

void Builder::config_step(Stage& st, const std::string& created_by, const std::function<void(json&)>& change) {
    std::string key = cache_key(st.image, created_by);
    if (auto hit = cached(key)) return use(st, *hit, true);
    json cfg = st.image.config;
    if (!cfg.contains("config") || !cfg["config"].is_object()) cfg["config"] = json::object();
    change(cfg["config"]);
    use(st, commit(st.image, cfg, std::nullopt, created_by, key), false);
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

void Builder::run_step(Stage& st, const Instruction& ins) {
    std::vector<std::string> cmd;
    if (ins.json) {
        cmd = *ins.json;
    } else if (!ins.heredocs.empty() && dockerfile::heredoc_name(dockerfile::split_raw_words(ins.args)[0])) {
        cmd = st.shell;  // RUN <<EOF: the heredoc is the script
        cmd.push_back(ins.heredocs[0].content);
    } else {
        std::string script = ins.args;
        for (auto& h : ins.heredocs) script += "\n" + h.content + h.name;
        cmd = st.shell;
        cmd.push_back(script);
    }
    auto env = run_env(st);
    for (auto& e : env) used_args_.insert(e.substr(0, e.find('=')));
    std::vector<std::string> sorted_env = env;
    std::sort(sorted_env.begin(), sorted_env.end());
    std::string created_by = join(cmd, " ");
    if (!sorted_env.empty())
        created_by = "|" + std::to_string(sorted_env.size()) + " " + join(sorted_env, " ") + " " + created_by;
    std::string network = ins.flag("network").value_or(o_.network);
    if (network == "default") network = o_.network == "none" ? "none" : "host";
    std::string key = cache_key(st.image, created_by + (network == "none" ? "\n--network=none" : ""));
    if (auto hit = cached(key)) return use(st, *hit, true);

    std::string id = random_id();
    std::string dir = tmp_->path() + "/run-" + id.substr(0, 12);
    say(" ---> Running in " + id.substr(0, 12));
    bundle::InitFiles init;
    init.hostname = id.substr(0, 12);
    init.network = network == "none" ? bundle::NetworkMode::None : bundle::NetworkMode::Host;
    init.dockerenv = false;
    bundle::write_init_layer(dir + "/init", init);
    for (auto d : {"/proc", "/sys", "/dev"}) store::make_dirs(dir + "/init" + d);
    auto lowers = lowerdirs(st.image);
    lowers.insert(lowers.begin(), dir + "/init");
    int code;
    {
        bundle::OverlayMount mount({lowers, dir + "/upper", dir + "/work", dir + "/rootfs", kOverlayOptions});
        const json& image_cfg = st.image.config.contains("config") ? st.image.config["config"] : json(nullptr);
        std::string workdir = image_cfg.is_object() && image_cfg.value("WorkingDir", "") != ""
                                  ? image_cfg["WorkingDir"].get<std::string>()
                                  : "/";
        {
            UniqueFd root(::open((dir + "/rootfs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!root) throw_errno("open " + dir + "/rootfs");
            mkdirs_in_root(root.get(), workdir);  // docker creates the working directory for RUN
        }
        bundle::SpecOptions so;
        so.cmd = cmd;
        so.entrypoint = std::vector<std::string>{};
        so.env = env;
        so.hostname = id.substr(0, 12);
        so.network = network == "none" ? bundle::NetworkMode::None : bundle::NetworkMode::Host;
        auto users = bundle::UserDb::read_rootfs(dir + "/rootfs");
        json spec;
        try {
            spec = bundle::make_spec(image_cfg, so, users);
        } catch (const Error& e) {
            fail(ins, e.what());
        }
        store::replace_file(dir + "/config.json", spec.dump(2));
        int out_fd = 1, err_fd = 2;
        UniqueFd capture;
        if (!out_) {
            capture.reset(::open((dir + "/output").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
            if (!capture) throw_errno("create " + dir + "/output");
            out_fd = err_fd = capture.get();
        } else {
            std::fflush(out_);
            out_fd = ::fileno(out_);
        }
        store::make_dirs(tmp_->path() + "/runtime", 0700);
        code = run_in_runtime({runtime_, tmp_->path() + "/runtime", dir, id, out_fd, err_fd});
    }
    if (code != 0) {
        if (!out_) {
            std::string captured = store::read_file(dir + "/output");
            std::fputs(captured.c_str(), stderr);
        }
        if (interrupted()) fail(ins, "interrupted");
        fail(ins, "The command '" + join(cmd, " ") + "' returned a non-zero code: " + std::to_string(code));
    }
    store::remove_tree(dir + "/work");
    auto layer = make_layer(dir + "/upper");
    say("Removing intermediate container " + id.substr(0, 12));
    use(st, commit(st.image, st.image.config, layer, created_by, key), false);
    store::remove_tree(dir);
}

void Builder::copy_step(Stage& st, const Instruction& ins, bool add) {
    auto vars = stage_vars(st);
    for (auto& [k, v] : st.args)
        if (v && ins.original.find(k) != std::string::npos) used_args_.insert(k);
    auto args = dockerfile::parse_copy(ins, vars, df_.escape);
    CopyOptions opts;
    opts.extract_archives = add;
    std::string chown, chmod;
    if (auto c = ins.flag("chown")) chown = dockerfile::expand_word(*c, vars, df_.escape);
    if (auto c = ins.flag("chmod")) {
        chmod = dockerfile::expand_word(*c, vars, df_.escape);
        try {
            opts.mode = dockerfile::parse_chmod(chmod);
        } catch (const Error& e) {
            fail(ins, e.what());
        }
    }
    // Where the files come from.
    SourceRoot src;
    std::string from;
    if (auto f = ins.flag("from")) {
        from = dockerfile::expand_word(*f, vars, df_.escape);
        std::string lower = from;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const Stage* s = nullptr;
        for (auto& p : stages_) {
            if (p.index >= st.index) break;
            if (p.name == lower || std::to_string(p.index) == lower) s = &p;
        }
        ImageState img = s ? s->image : image_for(from);
        src.what = s ? "stage " + from : "image " + from;
        src.fd = rootfs_of(img, src.what);
        src.keep_owner = true;
    } else {
        if (!context_fd_) {
            bool only_heredocs = std::all_of(args.sources.begin(), args.sources.end(),
                                             [](const std::string& s) { return s.starts_with("<<"); });
            if (!only_heredocs) fail(ins, ins.keyword + " needs a build context, and the Dockerfile came without one");
        }
        src.fd = context_fd_.get();
        src.what = "build context";
        src.ignore = &ignore_;
    }
    // What exactly is copied, for the cache.
    std::vector<std::string> rels;
    std::vector<const dockerfile::Heredoc*> inline_files;
    std::vector<std::string> urls;
    oci::Sha256 h;
    for (auto& s : args.sources) {
        if (s.starts_with("<<")) {
            for (auto& hd : ins.heredocs)
                if ("<<" + hd.name == s) inline_files.push_back(&hd);
            continue;
        }
        if (s.find("://") != std::string::npos) {
            if (!add) fail(ins, "COPY cannot take a URL (" + s + "): use ADD");
            urls.push_back(s);
            continue;
        }
        try {
            for (auto& r : resolve_sources(src, s)) rels.push_back(r);
        } catch (const Error& e) {
            fail(ins, ins.keyword + " failed: " + e.what());
        }
    }
    // Remote files are fetched every time (as docker does): their bytes decide the cache.
    SourceRoot downloads;
    UniqueFd downloads_fd;
    std::vector<std::string> fetched;
    if (!urls.empty()) {
        std::string dl = tmp_->path() + "/download-" + std::to_string(step_);
        store::make_dirs(dl, 0700);
        for (auto& u : urls) {
            try {
                fetched.push_back(fetch_url(u, dl).name);
            } catch (const Error& e) {
                fail(ins, e.what());
            }
            h.update("url:" + u + "\n");
        }
        downloads_fd.reset(::open(dl.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!downloads_fd) throw_errno("open " + dl);
        downloads.fd = downloads_fd.get();
        downloads.what = "downloads";
        h.update(hash_sources(downloads, fetched).str());
    }
    std::vector<std::string> contents;
    for (auto* hd : inline_files) {
        std::string body = hd->expand ? dockerfile::expand_text(hd->content, vars, df_.escape) : hd->content;
        contents.push_back(body);
        h.update(hd->name + "\n" + body + "\n");
    }
    size_t nsources = rels.size() + inline_files.size() + fetched.size();
    std::string kind = nsources > 1 ? "multi"
                       : inline_files.size() == 1          ? "heredoc"
                       : "file";
    if (!rels.empty()) {
        h.update(hash_sources(src, rels).str());
        if (rels.size() == 1 && kind == "file") {
            auto sst = stat_in_root(src.fd, rels[0].empty() ? "." : rels[0]);
            if (sst && S_ISDIR(sst->st_mode)) kind = "dir";
        }
    }
    std::string dest = args.dest;
    std::string workdir = st.image.config["config"].is_object() ? st.image.config["config"].value("WorkingDir", "") : "";
    if (!dest.starts_with("/")) dest = (workdir.empty() ? std::string("/") : workdir + "/") + dest;
    bool dest_dir = args.dest.ends_with("/") || args.dest == "." || nsources > 1;
    if (dest_dir && !dest.ends_with("/")) dest += "/";
    std::string flags;
    if (!chown.empty()) flags += "--chown=" + chown + " ";
    if (!chmod.empty()) flags += "--chmod=" + chmod + " ";
    std::string created_by = "/bin/sh -c #(nop) " + ins.keyword + " " + flags + kind + ":" + h.finish().hex() +
                             " in " + args.dest + " ";
    std::string key = cache_key(st.image, created_by);
    if (auto hit = cached(key)) return use(st, *hit, true);

    auto layer = change_rootfs(st, [&](int root) {
        try {
            if (!chown.empty()) opts.owner = resolve_chown(root, chown);
            if (!rels.empty()) copy_sources(src, rels, root, dest, opts);
            if (!fetched.empty()) {
                CopyOptions remote = opts;
                remote.extract_archives = false;  // docker never unpacks what it downloads
                copy_sources(downloads, fetched, root, dest, remote);
            }
            for (size_t i = 0; i < inline_files.size(); i++)
                write_inline_file(root, inline_files[i]->name, contents[i], dest, dest_dir, opts);
        } catch (const Error& e) {
            fail(ins, ins.keyword + " failed: " + e.what());
        }
    });
    use(st, commit(st.image, st.image.config, layer, created_by, key), false);
}

std::optional<store::Layer> Builder::change_rootfs(const Stage& st, const std::function<void(int)>& change) {
    std::string dir = tmp_->path() + "/step-" + std::to_string(step_) + "-" + std::to_string(++changes_);
    {
        bundle::OverlayMount mount(
            {lowerdirs(st.image), dir + "/upper", dir + "/work", dir + "/rootfs", kOverlayOptions});
        UniqueFd root(::open((dir + "/rootfs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno("open " + dir + "/rootfs");
        change(root.get());
    }
    store::remove_tree(dir + "/work");
    auto layer = make_layer(dir + "/upper");
    store::remove_tree(dir);
    return layer;
}

void Builder::dispatch(Stage& st, const Instruction& ins) {
    const std::string& kw = ins.keyword;
    auto vars = stage_vars(st);
    char esc = df_.escape;
    auto nop = [](const std::string& s) { return "/bin/sh -c #(nop)  " + s; };
    try {
        if (kw == "FROM") return from(st, ins);
        if (kw == "RUN") return run_step(st, ins);
        if (kw == "COPY" || kw == "ADD") return copy_step(st, ins, kw == "ADD");
        if (kw == "ARG") {
            std::vector<std::string> names;
            for (auto& [name, def] : dockerfile::parse_args(ins, vars, esc)) {
                std::optional<std::string> v = def;
                if (auto b = o_.build_args.find(name); b != o_.build_args.end()) v = b->second;
                else if (!def) {
                    if (auto m = meta_args_.find(name); m != meta_args_.end()) v = m->second;
                    else v = platform_arg(name);
                }
                st.args[name] = v;
                names.push_back(name + (def ? "=" + *def : ""));
                used_args_.insert(name);
            }
            return config_step(st, nop("ARG " + join(names, " ")), [](json&) {});
        }
        if (kw == "ENV") {
            auto kvs = dockerfile::parse_key_values(ins, vars, esc);
            std::vector<std::string> parts;
            for (auto& [k, v] : kvs) parts.push_back(k + "=" + v);
            return config_step(st, nop("ENV " + join(parts, " ")), [&](json& c) {
                json env = c.contains("Env") && c["Env"].is_array() ? c["Env"] : json::array();
                for (auto& [k, v] : kvs) {
                    bool replaced = false;
                    for (auto& e : env)
                        if (e.is_string() && e.get<std::string>().substr(0, e.get<std::string>().find('=')) == k) {
                            e = k + "=" + v;
                            replaced = true;
                        }
                    if (!replaced) env.push_back(k + "=" + v);
                }
                c["Env"] = env;
            });
        }
        if (kw == "LABEL") {
            auto kvs = dockerfile::parse_key_values(ins, vars, esc);
            std::vector<std::string> parts;
            for (auto& [k, v] : kvs) parts.push_back(k + "=" + v);
            return config_step(st, nop("LABEL " + join(parts, " ")), [&](json& c) {
                if (!c.contains("Labels") || !c["Labels"].is_object()) c["Labels"] = json::object();
                for (auto& [k, v] : kvs) c["Labels"][k] = v;
            });
        }
        if (kw == "CMD" || kw == "ENTRYPOINT") {
            auto cmd = dockerfile::command_of(ins, st.shell);
            bool entry = kw == "ENTRYPOINT";
            bool reset_cmd = entry && !st.cmd_set;
            if (!entry) st.cmd_set = true;
            return config_step(st, nop(kw + " " + json(cmd).dump()), [&](json& c) {
                c[entry ? "Entrypoint" : "Cmd"] = cmd;
                if (reset_cmd) c["Cmd"] = nullptr;
            });
        }
        if (kw == "WORKDIR") {
            std::string dir = dockerfile::expand_word(ins.args, vars, esc);
            std::string cur = st.image.config["config"].is_object() ? st.image.config["config"].value("WorkingDir", "") : "";
            if (!dir.starts_with("/")) dir = (cur.empty() ? "/" : cur + "/") + dir;
            dir = dockerfile::clean_path(dir);
            // Like docker, WORKDIR creates the directory (a small layer) when the image lacks it.
            std::string created_by = nop("WORKDIR " + dir);
            std::string key = cache_key(st.image, created_by);
            if (auto hit = cached(key)) return use(st, *hit, true);
            auto layer = change_rootfs(st, [&](int root) {
                auto existing = stat_in_root(root, dir);
                if (!existing) mkdirs_in_root(root, dir);
                else if (!S_ISDIR(existing->st_mode)) fail(ins, "WORKDIR " + dir + ": not a directory in the image");
            });
            json cfg = st.image.config;
            if (!cfg.contains("config") || !cfg["config"].is_object()) cfg["config"] = json::object();
            cfg["config"]["WorkingDir"] = dir;
            return use(st, commit(st.image, cfg, layer, created_by, key), false);
        }
        if (kw == "USER") {
            std::string user = dockerfile::expand_word(ins.args, vars, esc);
            return config_step(st, nop("USER " + user), [&](json& c) { c["User"] = user; });
        }
        if (kw == "EXPOSE") {
            std::vector<std::string> ports;
            for (auto& w : dockerfile::expand_words(ins.args, vars, esc)) {
                std::string proto = "tcp", p = w;
                if (auto s = w.find('/'); s != std::string::npos) {
                    proto = w.substr(s + 1);
                    p = w.substr(0, s);
                }
                for (auto& ch : proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (proto != "tcp" && proto != "udp" && proto != "sctp") fail(ins, "invalid proto: " + proto);
                auto dash = p.find('-');
                try {
                    size_t pos;
                    int lo = std::stoi(p.substr(0, dash), &pos);
                    int hi = dash == std::string::npos ? lo : std::stoi(p.substr(dash + 1));
                    if (lo < 0 || hi > 65535 || hi < lo) throw std::out_of_range(p);
                    for (int i = lo; i <= hi; i++) ports.push_back(std::to_string(i) + "/" + proto);
                } catch (const std::exception&) {
                    fail(ins, "invalid containerPort: " + w);
                }
            }
            return config_step(st, nop("EXPOSE " + join(ports, " ")), [&](json& c) {
                if (!c.contains("ExposedPorts") || !c["ExposedPorts"].is_object()) c["ExposedPorts"] = json::object();
                for (auto& p : ports) c["ExposedPorts"][p] = json::object();
            });
        }
        if (kw == "VOLUME") {
            std::vector<std::string> vols;
            if (ins.json) {
                for (auto& v : *ins.json) vols.push_back(dockerfile::expand_text(v, vars, esc));
            } else {
                vols = dockerfile::expand_words(ins.args, vars, esc);
            }
            for (auto& v : vols)
                if (v.empty()) fail(ins, "VOLUME specified can not be an empty string");
            return config_step(st, nop("VOLUME [" + join(vols, " ") + "]"), [&](json& c) {
                if (!c.contains("Volumes") || !c["Volumes"].is_object()) c["Volumes"] = json::object();
                for (auto& v : vols) c["Volumes"][v] = json::object();
            });
        }
        if (kw == "STOPSIGNAL") {
            std::string sig = dockerfile::expand_word(ins.args, vars, esc);
            return config_step(st, nop("STOPSIGNAL " + sig), [&](json& c) { c["StopSignal"] = sig; });
        }
        if (kw == "SHELL") {
            st.shell = *ins.json;
            return config_step(st, nop("SHELL " + json(*ins.json).dump()), [&](json& c) { c["Shell"] = *ins.json; });
        }
        if (kw == "HEALTHCHECK") {
            json hc = dockerfile::parse_healthcheck(ins, st.shell);
            return config_step(st, nop("HEALTHCHECK " + hc.dump()), [&](json& c) { c["Healthcheck"] = hc; });
        }
        if (kw == "ONBUILD") {
            Instruction inner = dockerfile::parse_instruction(ins.args, esc, df_.name, ins.line);
            std::string trigger = inner.keyword + ins.args.substr(std::min(ins.args.size(), ins.args.find_first_of(" \t")));
            return config_step(st, nop("ONBUILD " + trigger), [&](json& c) {
                if (!c.contains("OnBuild") || !c["OnBuild"].is_array()) c["OnBuild"] = json::array();
                c["OnBuild"].push_back(trigger);
            });
        }
        if (kw == "MAINTAINER") {
            std::string who = ins.args;
            std::string key = cache_key(st.image, nop("MAINTAINER " + who));
            if (auto hit = cached(key)) return use(st, *hit, true);
            json cfg = st.image.config;
            cfg["author"] = who;
            return use(st, commit(st.image, cfg, std::nullopt, nop("MAINTAINER " + who), key), false);
        }
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

}  // namespace

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
    Builder b(store, options);
    return b.run();
}

}  // namespace ctr::build
