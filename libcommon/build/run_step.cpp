// RUN: the command runs through the OCI runtime in a bundle over an overlay of
// the image (with an init layer for /etc/hosts and the like); the overlay's
// upper directory becomes the layer.
#include "libcommon/build/builder_impl.h"

#include <fcntl.h>

#include <algorithm>
#include <random>

#include "libcommon/build/rootfs.h"
#include "libcommon/build/run.h"
#include "libcommon/bundle/spec.h"
#include "libcommon/bundle/user.h"
#include "libcommon/dockerfile/instructions.h"
#include "libcommon/store/fsutil.h"

namespace ctr::build::detail {

namespace {

std::string random_id() {
    std::random_device rd;
    std::string out;
    const char* hex = "0123456789abcdef";
    for (int i = 0; i < 64; i++) out += hex[rd() & 15];
    return out;
}

}  // namespace

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

}  // namespace ctr::build::detail
