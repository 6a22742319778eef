// ctr-run spec: write a default config.json.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cmd/ctr-run/commands.h"
#include "libcommon/runtime/spec.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run spec [options]

Writes a default config.json (the same as `runc spec`) in the bundle
directory. Edit it, put a root filesystem in rootfs/, and `ctr-run run ID`.

Options:
  -b, --bundle DIR   where to write config.json (default: the current directory)
  --rootless         a config for an unprivileged user (user namespace, no network namespace)
)";
}

int cmd_spec(const Globals&, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({{{"bundle", "b"}, true}, {{"rootless"}, false}}, args, kUsage, f)) return 0;
    need_args(f, 0, "spec");
    std::string dir = absolute(f.get("bundle", "."));
    std::string path = dir + "/config.json";
    auto spec = ctr::runtime::default_spec(f.on("rootless"), getuid(), getgid());
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        if (errno == EEXIST) throw ctr::Error("File " + path + " exists. Remove it first");
        ctr::throw_errno("create " + path);
    }
    std::string text = spec.dump(1, '\t') + "\n";
    ssize_t n = write(fd, text.data(), text.size());
    close(fd);
    if (n != static_cast<ssize_t>(text.size())) ctr::throw_errno("write " + path);
    return 0;
}

}  // namespace ctr_run
