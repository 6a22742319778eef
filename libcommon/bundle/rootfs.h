// A container's root filesystem: an overlay of an image's unpacked layers
// (read-only, shared by every container) under the container's own upper and
// work directories, and the small "init" layer every container gets on top of
// the image (/.dockerenv, /etc/hostname, /etc/hosts, /etc/resolv.conf,
// /etc/mtab), kept out of the upper directory so that a build's layer diff
// (the upper directory) never contains them.
//
//   auto lowers = bundle::image_lowerdirs(store, image);   // under Store::hold()
//   bundle::write_init_layer(dir + "/init", files);
//   lowers.insert(lowers.begin(), dir + "/init");
//   bundle::OverlayMount m({lowers, dir + "/upper", dir + "/work", dir + "/rootfs"});
//   ...  m.release() to leave it mounted, or let it unmount at scope end.
#pragma once

#include <string>
#include <vector>

#include "libcommon/bundle/spec.h"
#include "libcommon/store/store.h"

namespace ctr::bundle {

// The directories of one overlay mount.
struct OverlayLayout {
    std::vector<std::string> lowers;  // top first, as overlayfs wants them
    std::string upper;
    std::string work;
    std::string target;
    // More mount options, appended as given ("redirect_dir=off,metacopy=off":
    // what a build needs so that the upper directory holds whole files and
    // directories, whatever the kernel's defaults).
    std::string extra_options;
};

// The image's layers unpacked into the store (Store::unpack_layer, once per
// layer), as overlay lowerdirs, top first. Call it under Store::hold().
std::vector<std::string> image_lowerdirs(const store::Store& store, const store::Image& image);

// The option string for mount(2): lowerdir=…,upperdir=…,workdir=…, with paths
// relative to `base` when base is not empty.
std::string overlay_options(const OverlayLayout& l, const std::string& base = "");

// An overlay mounted at layout.target (created, with upper and work, if
// missing); unmounted (lazily) when the object dies unless release()d.
// Layer lists too long for one mount(2) option page are mounted with paths
// relative to their common directory.
class OverlayMount {
public:
    explicit OverlayMount(const OverlayLayout& layout);
    ~OverlayMount();
    OverlayMount(OverlayMount&& o) noexcept : target_(std::move(o.target_)) { o.target_.clear(); }
    OverlayMount& operator=(OverlayMount&&) = delete;

    const std::string& target() const { return target_; }
    // Leaves the overlay mounted; the caller (or unmount_rootfs) undoes it.
    void release() { target_.clear(); }

private:
    std::string target_;
};

// True if `path` is a mount point (its device differs from its parent's, or
// /proc/self/mountinfo lists it).
bool is_mount_point(const std::string& path);
// Unmounts `path` (lazily: MNT_DETACH) if something is mounted there.
void unmount_rootfs(const std::string& path);

// What goes in the init layer.
struct InitFiles {
    std::string hostname;
    std::string domainname;
    NetworkMode network = NetworkMode::Private;
    std::vector<std::string> extra_hosts;  // --add-host "name:ip"
    std::vector<std::string> dns;          // --dns
    std::vector<std::string> dns_search;   // --dns-search
    std::vector<std::string> dns_options;  // --dns-option
    bool dockerenv = true;                 // create /.dockerenv
};

// /etc/hosts: localhost lines, the container's hostname on 127.0.1.1 (its
// only interface is loopback), then --add-host entries. With the host's
// network, the host's own /etc/hosts text (`host_hosts`) plus the extra entries.
std::string hosts_file(const InitFiles& f, const std::string& host_hosts = "");
// /etc/resolv.conf from the host's (`host_resolv`): --dns/--dns-search/
// --dns-option replace their lines; in a private network namespace the
// host's loopback name servers (127.0.0.53 and the like) cannot be reached and
// are dropped, and with none left docker's fallback (8.8.8.8, 8.8.4.4) is used.
std::string resolv_conf(const std::string& host_resolv, const InitFiles& f);
// Makes `dir` (fresh or existing) hold the init layer's files.
void write_init_layer(const std::string& dir, const InitFiles& f);

}  // namespace ctr::bundle
