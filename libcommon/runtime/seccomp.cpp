#include "libcommon/runtime/seccomp.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cerrno>
#include <cstring>
#include <map>

#include "libcommon/oci/digest.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::runtime {

using nlohmann::json;

struct SeccompFilter::Impl {
    std::vector<sock_filter> program;  // empty: no filter
    unsigned flags = 0;
    bool notify = false;
    std::string listener_path;
};

namespace {

// libseccomp's context, released on scope exit.
struct Context {
    scmp_filter_ctx ctx = nullptr;
    ~Context() {
        if (ctx) seccomp_release(ctx);
    }
};

const std::map<std::string, uint32_t>& arch_names() {
    static const std::map<std::string, uint32_t> m = {
        {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},
        {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
        {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
        {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
        {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
        {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
        {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
        {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
        {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
        {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
        {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
        {"SCMP_ARCH_S390", SCMP_ARCH_S390},
        {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
        {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
        {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
        {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
        {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
        {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
        {"SCMP_ARCH_SH", SCMP_ARCH_SH},
        {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
    };
    return m;
}

// An OCI action name and its errnoRet as a libseccomp action; nullopt when
// the name is unknown.
std::optional<uint32_t> action_of(const std::string& name, std::optional<uint32_t> errno_ret) {
    uint32_t err = errno_ret.value_or(EPERM);
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(err);
    if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(err);
    if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
    return std::nullopt;
}

std::optional<scmp_compare> operator_of(const std::string& name) {
    static const std::map<std::string, scmp_compare> m = {
        {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
}

std::optional<unsigned> flag_of(const std::string& name) {
    if (name == "SECCOMP_FILTER_FLAG_TSYNC") return SECCOMP_FILTER_FLAG_TSYNC;
    if (name == "SECCOMP_FILTER_FLAG_LOG") return SECCOMP_FILTER_FLAG_LOG;
    if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (name == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") return 1u << 5;
    return std::nullopt;
}

std::string str_field(const json& obj, const char* key, const std::string& where, bool required) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        if (required) throw Error(where + "." + key + ": required");
        return "";
    }
    if (!it->is_string()) throw Error(where + "." + key + ": expected a string, got " + it->dump());
    return it->get<std::string>();
}

std::optional<uint64_t> u64_field(const json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer() || (!it->is_number_unsigned() && it->get<int64_t>() < 0))
        throw Error(where + "." + key + ": expected a non-negative integer, got " + it->dump());
    return it->get<uint64_t>();
}

const json& array_field(const json& obj, const char* key, const std::string& where) {
    static const json empty = json::array();
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return empty;
    if (!it->is_array()) throw Error(where + "." + key + ": expected an array");
    return *it;
}

std::vector<sock_filter> export_bpf(scmp_filter_ctx ctx) {
    UniqueFd fd(::memfd_create("ctr-seccomp", MFD_CLOEXEC));
    if (!fd) throw_errno("create a memfd for the seccomp program");
    if (int r = seccomp_export_bpf(ctx, fd.get()); r < 0) throw_errno("generate the seccomp program", -r);
    off_t size = ::lseek(fd.get(), 0, SEEK_END);
    if (size < 0 || size % sizeof(sock_filter) != 0) throw Error("generate the seccomp program: bad size");
    std::vector<sock_filter> prog(size_t(size) / sizeof(sock_filter));
    if (::pread(fd.get(), prog.data(), size_t(size), 0) != size) throw_errno("read the seccomp program");
    return prog;
}

// A classic BPF prefix for libseccomp's program: on each architecture of the
// filter, a syscall number above the highest one the profile names returns
// ENOSYS; anything else falls through to the program, which starts by
// loading what it needs. x32 calls (x86_64's audit arch with bit 30 set) have
// their own highest number.
std::vector<sock_filter> enosys_stub(const std::vector<uint32_t>& tokens, const std::vector<std::string>& names) {
    constexpr uint32_t x32_bit = 0x40000000;
    struct Arch {
        uint32_t audit;
        int64_t max = -1;
        int64_t x32_max = -1;
        bool x32 = false;
    };
    std::vector<Arch> arches;
    auto highest = [&](uint32_t token) {
        int64_t max = -1;
        for (const auto& n : names) max = std::max<int64_t>(max, seccomp_syscall_resolve_name_arch(token, n.c_str()));
        return max;
    };
    for (uint32_t t : tokens) {
        if (t == SCMP_ARCH_X32) continue;
        if (std::any_of(arches.begin(), arches.end(), [&](const Arch& a) { return a.audit == t; })) continue;
        arches.push_back({t, highest(t)});
    }
    if (std::find(tokens.begin(), tokens.end(), SCMP_ARCH_X32) != tokens.end())
        for (auto& a : arches)
            if (a.audit == SCMP_ARCH_X86_64) a.x32 = true, a.x32_max = highest(SCMP_ARCH_X32);

    // Layout: load arch; one jeq per arch to its block; jump to the program;
    // the blocks; "return ENOSYS"; then libseccomp's program.
    std::vector<std::vector<sock_filter>> blocks;  // each ends by jumping to enosys or the program
    // Jump targets, patched into relative offsets below (real offsets here are tiny).
    constexpr uint8_t to_enosys = 0xff, to_program = 0xfe;
    for (const Arch& a : arches) {
        std::vector<sock_filter> b;
        if (a.max < 0 && (!a.x32 || a.x32_max < 0)) {
            b.push_back(BPF_JUMP(BPF_JMP | BPF_JA, to_program, 0, 0));
            blocks.push_back(b);
            continue;
        }
        b.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
        if (a.audit == SCMP_ARCH_X86_64) {
            // x32 numbers: their own limit, or left to the program.
            b.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, x32_bit, 1, 0));
        }
        if (a.max >= 0) b.push_back(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, uint32_t(a.max), to_enosys, to_program));
        else b.push_back(BPF_JUMP(BPF_JMP | BPF_JA, to_program, 0, 0));
        if (a.audit == SCMP_ARCH_X86_64) {
            if (a.x32 && a.x32_max >= 0)
                b.push_back(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, uint32_t(a.x32_max), to_enosys, to_program));
            else
                b.push_back(BPF_JUMP(BPF_JMP | BPF_JA, to_program, 0, 0));
        }
        blocks.push_back(b);
    }

    std::vector<sock_filter> out;
    out.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    size_t header = 1 + arches.size() + 1;  // ld, the jeqs, the jump to the program
    size_t total = header;
    std::vector<size_t> block_at;
    for (const auto& b : blocks) block_at.push_back(total), total += b.size();
    size_t enosys_at = total;
    size_t program_at = total + 1;
    for (size_t i = 0; i < arches.size(); ++i) {
        size_t here = out.size();
        out.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arches[i].audit, uint8_t(block_at[i] - here - 1), 0));
    }
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JA, uint32_t(program_at - out.size() - 1), 0, 0));
    for (const auto& b : blocks)
        for (sock_filter f : b) {
            size_t here = out.size();
            auto target = [&](uint32_t off) -> size_t {
                if (off == to_enosys) return enosys_at - here - 1;
                if (off == to_program) return program_at - here - 1;
                return off;
            };
            if (BPF_OP(f.code) == BPF_JA && BPF_CLASS(f.code) == BPF_JMP) {
                f.k = uint32_t(target(f.k));
            } else if (BPF_CLASS(f.code) == BPF_JMP) {
                f.jt = uint8_t(target(f.jt));
                f.jf = uint8_t(target(f.jf));
            }
            out.push_back(f);
        }
    out.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
    return out;
}

}  // namespace

SeccompFilter::SeccompFilter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SeccompFilter::SeccompFilter(SeccompFilter&&) noexcept = default;
SeccompFilter& SeccompFilter::operator=(SeccompFilter&&) noexcept = default;
SeccompFilter::~SeccompFilter() = default;

SeccompFilter SeccompFilter::compile(const json& seccomp) {
    const std::string where = "linux.seccomp";
    auto impl = std::make_unique<Impl>();
    if (seccomp.is_null()) return SeccompFilter(std::move(impl));
    if (!seccomp.is_object()) throw Error(where + ": expected an object");

    std::string default_name = str_field(seccomp, "defaultAction", where, true);
    auto default_errno = u64_field(seccomp, "defaultErrnoRet", where);
    auto default_action = action_of(default_name, default_errno ? std::optional<uint32_t>(uint32_t(*default_errno))
                                                                : std::nullopt);
    if (!default_action) throw Error(where + ".defaultAction: unknown action " + default_name);
    // The init could never report the notify fd if everything waited on the agent.
    if (*default_action == SCMP_ACT_NOTIFY)
        throw Error(where + ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

    Context c;
    c.ctx = seccomp_init(*default_action);
    if (!c.ctx) throw Error(where + ".defaultAction: libseccomp refused " + default_name);
    seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0);
    // A binary tree of syscall numbers: large profiles cost O(log n) per call.
    seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

    std::vector<uint32_t> arch_tokens = {seccomp_arch_native()};
    std::vector<std::string> all_names;
    const json& arches = array_field(seccomp, "architectures", where);
    for (size_t i = 0; i < arches.size(); ++i) {
        std::string field = where + ".architectures[" + std::to_string(i) + "]";
        if (!arches[i].is_string()) throw Error(field + ": expected a string");
        auto it = arch_names().find(arches[i].get<std::string>());
        if (it == arch_names().end()) throw Error(field + ": unknown architecture " + arches[i].get<std::string>());
        int r = seccomp_arch_add(c.ctx, it->second);
        if (r < 0 && r != -EEXIST) throw Error(field + ": libseccomp can't add " + it->first + ": " + std::strerror(-r));
        arch_tokens.push_back(it->second);
    }

    const json& flags = array_field(seccomp, "flags", where);
    for (size_t i = 0; i < flags.size(); ++i) {
        std::string field = where + ".flags[" + std::to_string(i) + "]";
        if (!flags[i].is_string()) throw Error(field + ": expected a string");
        auto bit = flag_of(flags[i].get<std::string>());
        if (!bit) throw Error(field + ": unknown flag " + flags[i].get<std::string>());
        impl->flags |= *bit;
    }
    impl->listener_path = str_field(seccomp, "listenerPath", where, false);

    const json& syscalls = array_field(seccomp, "syscalls", where);
    for (size_t i = 0; i < syscalls.size(); ++i) {
        const json& call = syscalls[i];
        std::string field = where + ".syscalls[" + std::to_string(i) + "]";
        if (!call.is_object()) throw Error(field + ": expected an object");
        std::string action_name = str_field(call, "action", field, true);
        auto errno_ret = u64_field(call, "errnoRet", field);
        auto action = action_of(action_name, errno_ret ? std::optional<uint32_t>(uint32_t(*errno_ret)) : std::nullopt);
        if (!action) throw Error(field + ".action: unknown action " + action_name);

        std::vector<std::string> names;
        for (const auto& n : array_field(call, "names", field)) {
            if (!n.is_string() || n.get<std::string>().empty())
                throw Error(field + ".names: expected non-empty strings, got " + n.dump());
            names.push_back(n.get<std::string>());
        }
        if (std::string one = str_field(call, "name", field, false); !one.empty()) names.push_back(one);
        all_names.insert(all_names.end(), names.begin(), names.end());

        std::vector<scmp_arg_cmp> conds;
        int per_index[6] = {};
        const json& args = array_field(call, "args", field);
        for (size_t a = 0; a < args.size(); ++a) {
            std::string afield = field + ".args[" + std::to_string(a) + "]";
            if (!args[a].is_object()) throw Error(afield + ": expected an object");
            auto index = u64_field(args[a], "index", afield);
            if (!index || *index > 5) throw Error(afield + ".index: expected 0..5");
            std::string op_name = str_field(args[a], "op", afield, true);
            auto op = operator_of(op_name);
            if (!op) throw Error(afield + ".op: unknown operator " + op_name);
            scmp_arg_cmp cmp{};
            cmp.arg = unsigned(*index);
            cmp.op = *op;
            cmp.datum_a = u64_field(args[a], "value", afield).value_or(0);
            cmp.datum_b = u64_field(args[a], "valueTwo", afield).value_or(0);
            conds.push_back(cmp);
            ++per_index[*index];
        }

        if (*action == SCMP_ACT_NOTIFY) {
            for (const auto& n : names)
                if (n == "write")
                    throw Error(field + ": SCMP_ACT_NOTIFY cannot be used for write (the init writes the notify fd's "
                                        "number to the runtime with it)");
            impl->notify = true;
        }
        // libseccomp refuses rules that repeat the default action; they change nothing.
        if (*action == *default_action) continue;

        // Several conditions on one argument can't be ANDed by libseccomp:
        // then each condition becomes a rule of its own (ORed), as runc does.
        bool split = std::any_of(std::begin(per_index), std::end(per_index), [](int n) { return n > 1; });
        for (const auto& name : names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) continue;  // unknown here: skipped, as runc does
            auto add = [&](unsigned count, const scmp_arg_cmp* array) {
                int r = seccomp_rule_add_array(c.ctx, *action, nr, count, array);
                if (r < 0)
                    throw Error(field + ": libseccomp can't add the rule for " + name + ": " + std::strerror(-r));
            };
            if (split) {
                for (const auto& cond : conds) add(1, &cond);
            } else {
                add(unsigned(conds.size()), conds.data());
            }
        }
    }

    if (impl->notify) {
        if (impl->listener_path.empty())
            throw Error(where + ".listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
        // TSYNC and a listener exclude each other; the init is single-threaded anyway.
        impl->flags &= ~unsigned(SECCOMP_FILTER_FLAG_TSYNC);
        impl->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    }
    impl->program = export_bpf(c.ctx);
    // Syscalls newer than any the profile names fail with ENOSYS rather than
    // the default action, so libc falls back to older calls (runc does this).
    bool lenient_default = *default_action == SCMP_ACT_ALLOW || *default_action == SCMP_ACT_LOG ||
                           *default_action == SCMP_ACT_ERRNO(ENOSYS);
    if (!lenient_default) {
        std::vector<sock_filter> stub = enosys_stub(arch_tokens, all_names);
        impl->program.insert(impl->program.begin(), stub.begin(), stub.end());
    }
    return SeccompFilter(std::move(impl));
}

namespace {
constexpr char kMagic[] = "ctr-seccomp-bpf 1\n";
}

std::string SeccompFilter::to_bytes() const {
    json header = {{"flags", impl_->flags}, {"notify", impl_->notify}, {"listenerPath", impl_->listener_path},
                   {"instructions", impl_->program.size()}};
    std::string out = kMagic + header.dump() + "\n";
    out.append(reinterpret_cast<const char*>(impl_->program.data()), impl_->program.size() * sizeof(sock_filter));
    return out;
}

SeccompFilter SeccompFilter::from_bytes(const std::string& bytes) {
    const std::string magic = kMagic;
    auto bad = [] { return Error("read a compiled seccomp filter: not one ctr wrote"); };
    if (bytes.compare(0, magic.size(), magic) != 0) throw bad();
    size_t nl = bytes.find('\n', magic.size());
    if (nl == std::string::npos) throw bad();
    auto impl = std::make_unique<Impl>();
    try {
        json header = json::parse(bytes.substr(magic.size(), nl - magic.size()));
        impl->flags = header.at("flags").get<unsigned>();
        impl->notify = header.at("notify").get<bool>();
        impl->listener_path = header.at("listenerPath").get<std::string>();
        size_t n = header.at("instructions").get<size_t>();
        if (bytes.size() - nl - 1 != n * sizeof(sock_filter) || n > BPF_MAXINSNS) throw bad();
        impl->program.resize(n);
        std::memcpy(impl->program.data(), bytes.data() + nl + 1, n * sizeof(sock_filter));
    } catch (const json::exception&) {
        throw bad();
    }
    return SeccompFilter(std::move(impl));
}

SeccompFilter SeccompFilter::compile_cached(const json& seccomp, const std::string& cache_dir) {
    if (seccomp.is_null()) return compile(seccomp);
    const scmp_version* v = seccomp_version();
    oci::Sha256 h;
    h.update(std::string(kMagic));
    h.update(std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro) + " api " +
             std::to_string(seccomp_api_get()) + " arch " + std::to_string(seccomp_arch_native()) + "\n");
    h.update(seccomp.dump());  // objects are key-sorted: one text per profile
    std::string path = cache_dir + "/" + h.finish().hex() + ".bpf";

    if (UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)}) {
        std::string bytes;
        char buf[65536];
        ssize_t n;
        while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) bytes.append(buf, size_t(n));
        try {
            if (n == 0) return from_bytes(bytes);
        } catch (const Error&) {
            // A damaged entry: compile again and replace it.
        }
    }
    SeccompFilter f = compile(seccomp);
    ::mkdir(cache_dir.c_str(), 0700);
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    if (UniqueFd fd{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)}) {
        std::string bytes = f.to_bytes();
        bool ok = ::write(fd.get(), bytes.data(), bytes.size()) == ssize_t(bytes.size());
        fd.reset();
        if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
    }
    return f;
}

int SeccompFilter::load() {
    if (impl_->program.empty()) return -1;
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(impl_->program.size());
    prog.filter = impl_->program.data();
    long r = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, impl_->flags, &prog);
    if (r < 0) {
        int err = errno;
        if (err == EACCES)
            throw Error("load the seccomp filter: Permission denied (needs no_new_privs or CAP_SYS_ADMIN)");
        throw_errno("load the seccomp filter", err);
    }
    return impl_->notify ? int(r) : -1;
}

bool SeccompFilter::uses_notify() const { return impl_->notify; }
const std::string& SeccompFilter::listener_path() const { return impl_->listener_path; }
unsigned SeccompFilter::flags() const { return impl_->flags; }

// --- Docker's profile format -------------------------------------------------

namespace {

// This machine in the two naming schemes profiles use.
struct NativeArch {
    const char* go;    // includes/excludes "arches"
    const char* scmp;  // archMap "architecture"
};

NativeArch native_arch() {
#if defined(__x86_64__)
    return {"amd64", "SCMP_ARCH_X86_64"};
#elif defined(__i386__)
    return {"386", "SCMP_ARCH_X86"};
#elif defined(__aarch64__)
    return {"arm64", "SCMP_ARCH_AARCH64"};
#elif defined(__arm__)
    return {"arm", "SCMP_ARCH_ARM"};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return {"ppc64le", "SCMP_ARCH_PPC64LE"};
#elif defined(__s390x__)
    return {"s390x", "SCMP_ARCH_S390X"};
#elif defined(__riscv) && __riscv_xlen == 64
    return {"riscv64", "SCMP_ARCH_RISCV64"};
#else
    return {"unknown", "SCMP_ARCH_NATIVE"};
#endif
}

// The running kernel as (major, minor).
std::pair<int, int> kernel_version() {
    struct utsname u {};
    ::uname(&u);
    int major = 0, minor = 0;
    std::sscanf(u.release, "%d.%d", &major, &minor);
    return {major, minor};
}

bool kernel_at_least(const json& v, const std::string& field) {
    if (!v.is_string()) throw Error(field + ": expected a version string such as \"4.8\"");
    int major = 0, minor = 0;
    if (std::sscanf(v.get<std::string>().c_str(), "%d.%d", &major, &minor) < 1)
        throw Error(field + ": \"" + v.get<std::string>() + "\" is not a kernel version");
    return kernel_version() >= std::make_pair(major, minor);
}

std::vector<std::string> strings(const json& obj, const char* key, const std::string& where) {
    std::vector<std::string> out;
    for (const auto& v : array_field(obj, key, where)) {
        if (!v.is_string()) throw Error(where + "." + key + ": expected strings");
        out.push_back(v.get<std::string>());
    }
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

json seccomp_profile_for(const json& profile, const std::vector<std::string>& capabilities) {
    const std::string where = "seccomp profile";
    if (!profile.is_object()) throw Error(where + ": expected an object");
    NativeArch arch = native_arch();
    json out = json::object();
    for (const char* key : {"defaultAction", "defaultErrnoRet", "listenerPath", "listenerMetadata", "flags"})
        if (profile.contains(key)) out[key] = profile[key];

    const json& arch_map = array_field(profile, "archMap", where);
    if (profile.contains("architectures") && !arch_map.empty())
        throw Error(where + ": has both \"architectures\" and \"archMap\"");
    if (profile.contains("architectures")) out["architectures"] = profile["architectures"];
    for (size_t i = 0; i < arch_map.size(); ++i) {
        std::string field = where + ".archMap[" + std::to_string(i) + "]";
        if (str_field(arch_map[i], "architecture", field, true) != arch.scmp) continue;
        out["architectures"].push_back(arch.scmp);
        for (const auto& sub : strings(arch_map[i], "subArchitectures", field)) out["architectures"].push_back(sub);
    }

    json calls = json::array();
    const json& syscalls = array_field(profile, "syscalls", where);
    for (size_t i = 0; i < syscalls.size(); ++i) {
        const json& call = syscalls[i];
        std::string field = where + ".syscalls[" + std::to_string(i) + "]";
        if (!call.is_object()) throw Error(field + ": expected an object");
        if (call.contains("excludes")) {
            const json& ex = call["excludes"];
            std::string f = field + ".excludes";
            if (contains(strings(ex, "arches", f), arch.go)) continue;
            auto caps = strings(ex, "caps", f);
            if (std::any_of(caps.begin(), caps.end(), [&](const auto& c) { return contains(capabilities, c); }))
                continue;
            if (ex.contains("minKernel") && kernel_at_least(ex["minKernel"], f + ".minKernel")) continue;
        }
        if (call.contains("includes")) {
            const json& in = call["includes"];
            std::string f = field + ".includes";
            auto arches = strings(in, "arches", f);
            if (!arches.empty() && !contains(arches, arch.go)) continue;
            auto caps = strings(in, "caps", f);
            if (!std::all_of(caps.begin(), caps.end(), [&](const auto& c) { return contains(capabilities, c); }))
                continue;
            if (in.contains("minKernel") && !kernel_at_least(in["minKernel"], f + ".minKernel")) continue;
        }
        json entry = json::object();
        if (call.contains("name") && call.contains("names"))
            throw Error(field + ": has both \"name\" and \"names\"");
        entry["names"] = call.contains("name") ? json::array({call["name"]}) : call.value("names", json::array());
        for (const char* key : {"action", "errnoRet", "args"})
            if (call.contains(key)) entry[key] = call[key];
        calls.push_back(entry);
    }
    out["syscalls"] = calls;
    return out;
}

json seccomp_features() {
    json actions = json::array();
    for (const char* a : {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                          "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
                          "SCMP_ACT_TRAP"})
        if (action_of(a, std::nullopt)) actions.push_back(a);
    json operators = json::array();
    for (const char* o : {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                          "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"})
        if (operator_of(o)) operators.push_back(o);
    json archs = json::array();
    for (const auto& [name, token] : arch_names()) archs.push_back(name);
    json known = json::array(), supported = json::array();
    for (const char* f : {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}) {
        known.push_back(f);
        // With a null program the kernel says EFAULT for a flag it knows, EINVAL otherwise.
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, *flag_of(f), nullptr) < 0 && errno == EFAULT)
            supported.push_back(f);
    }
    return {{"enabled", true},   {"actions", actions},      {"operators", operators},
            {"archs", archs},    {"knownFlags", known},     {"supportedFlags", supported}};
}

}  // namespace ctr::runtime
