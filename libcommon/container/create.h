// ctr-create's work: an image becomes a container directory (an OCI bundle
// plus its record). See docs/design.md, "Containers on disk".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libcommon/bundle/rootfs.h"
#include "libcommon/bundle/spec.h"
#include "libcommon/container/options.h"
#include "libcommon/store/store.h"

namespace ctr::container {

// Everything `ctr-create` was asked for, parsed.
struct CreateRequest {
    std::string image_ref;
    std::string name;  // "" = generated
    bundle::SpecOptions spec;  // process, mounts (filled by create from volumes), security, resources
    bool hostname_given = false;
    std::vector<VolumeSpec> volumes;
    std::vector<PortBinding> ports;
    bool publish_all = false;  // -P
    RestartPolicy restart;
    LogOptions log;  // --log-opt
    bool auto_remove = false;  // --rm
    bool open_stdin = false;   // -i
    // docker's Config.AttachStd*: what `run` (the front) attaches to; -d clears them.
    bool attach_stdin = false, attach_stdout = true, attach_stderr = true;
    std::optional<std::string> stop_signal;
    std::optional<int> stop_timeout;
    std::map<std::string, std::string> labels;
    std::vector<std::string> security_opt;  // as given, for the record
    bundle::InitFiles init_files;           // --add-host, --dns*
    std::string network_name = "private";   // as given: private, host, none, container:…
    std::string runtime;       // runtime binary ("" = the default)
    std::string runtime_root;  // its --root ("" = its own default)
    std::string cgroup_parent;
    std::string pull = "missing";  // missing, always, never
};

// The runtime a container uses when none is named: $CTR_RUNTIME, else ctr-run
// beside this program, else ctr-run on PATH, else runc on PATH.
std::string default_runtime();
// The runtime named NAME (--runtime, CTR_RUNTIME: WHAT) as an absolute path:
// a bare name is looked up on PATH, a relative path made absolute (the
// monitor runs it later, elsewhere). Throws naming WHAT when it isn't there.
std::string runtime_binary(const std::string& name, const std::string& what);

// Creates the container and returns its id. Holds Store::hold() from
// unpacking the image's layers until container.json names the image. On
// failure nothing is left: no directory, no mount.
std::string create(const store::Store& store, CreateRequest req);

}  // namespace ctr::container
