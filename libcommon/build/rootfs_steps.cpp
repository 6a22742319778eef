// The steps that write into the image's root filesystem directly (COPY, ADD,
// WORKDIR): an overlay of the image's layers, changed through a directory fd,
// whose upper directory becomes the layer.
#include "libcommon/build/builder_impl.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "libcommon/build/copy.h"
#include "libcommon/build/fetch.h"
#include "libcommon/build/rootfs.h"
#include "libcommon/dockerfile/instructions.h"
#include "libcommon/oci/digest.h"
#include "libcommon/store/fsutil.h"

namespace ctr::build::detail {

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

// WORKDIR: the config's WorkingDir and, like docker, the directory itself
// (a small layer) when the image lacks it.
void Builder::workdir_step(Stage& st, const Instruction& ins) {
    auto vars = stage_vars(st);
    char esc = df_.escape;
    std::string dir = dockerfile::expand_word(ins.args, vars, esc);
    std::string cur = st.image.config["config"].is_object() ? st.image.config["config"].value("WorkingDir", "") : "";
    if (!dir.starts_with("/")) dir = (cur.empty() ? "/" : cur + "/") + dir;
    dir = dockerfile::clean_path(dir);
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

}  // namespace ctr::build::detail
