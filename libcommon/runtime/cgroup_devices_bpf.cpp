#include "libcommon/runtime/cgroup_devices_bpf.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::runtime {

namespace {

// Registers used by the program: R1 the context (then scratch), R2 device
// type, R3 requested access, R4 major, R5 minor, R0 the verdict.
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}
bpf_insn load_u32(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
bpf_insn and32(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
bpf_insn rsh32(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov32(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn jne(uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
bpf_insn jne_reg(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
    int32_t bits = 0;
    for (char c : access) {
        if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
        if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
        if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    }
    return bits;
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

}  // namespace

std::vector<bpf_insn> device_filter_program(const DeviceRuleSet& rules) {
    std::vector<bpf_insn> p = {
        load_u32(R2, R1, 0), and32(R2, 0xffff),  // type: low 16 bits of access_type
        load_u32(R3, R1, 0), rsh32(R3, 16),      // access: high 16 bits
        load_u32(R4, R1, 4),                     // major
        load_u32(R5, R1, 8),                     // minor
    };
    const int32_t verdict = rules.default_allow ? 0 : 1;
    const int32_t all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
    for (const DeviceRule& e : rules.exceptions) {
        int32_t type = e.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        int32_t access = access_bits(e.access);
        bool check_access = access != all;
        // Every test jumps past the end of this block when it fails.
        int16_t len = int16_t(1 + (check_access ? 3 : 0) + (e.major >= 0) + (e.minor >= 0) + 2);
        int16_t at = 0;
        auto skip = [&] { return int16_t(len - at - 1); };
        p.push_back(jne(R2, type, skip())), ++at;
        if (check_access) {
            // (requested & allowed) != requested: something asked is not allowed
            p.push_back(mov32_reg(R1, R3)), ++at;
            p.push_back(and32(R1, access)), ++at;
            p.push_back(jne_reg(R1, R3, skip())), ++at;
        }
        if (e.major >= 0) p.push_back(jne(R4, int32_t(e.major), skip())), ++at;
        if (e.minor >= 0) p.push_back(jne(R5, int32_t(e.minor), skip())), ++at;
        p.push_back(mov32(R0, verdict));
        p.push_back(exit_insn());
    }
    p.push_back(mov32(R0, rules.default_allow ? 1 : 0));
    p.push_back(exit_insn());
    return p;
}

bool run_device_filter(const std::vector<bpf_insn>& program, char type, uint32_t major, uint32_t minor, char access) {
    uint32_t acc = access == 'r' ? BPF_DEVCG_ACC_READ : access == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    uint32_t ctx[3] = {(acc << 16) | uint32_t(type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major, minor};
    uint64_t reg[11] = {};
    constexpr uint64_t ctx_marker = 1ull << 63;  // R1 points at ctx
    reg[1] = ctx_marker;
    for (size_t pc = 0; pc < program.size(); ++pc) {
        const bpf_insn& i = program[pc];
        switch (i.code) {
            case BPF_LDX | BPF_MEM | BPF_W:
                if (reg[i.src_reg] != ctx_marker || i.off % 4 || i.off < 0 || i.off > 8)
                    throw Error("device filter: bad load at " + std::to_string(pc));
                reg[i.dst_reg] = ctx[i.off / 4];
                break;
            case BPF_ALU | BPF_AND | BPF_K: reg[i.dst_reg] = uint32_t(reg[i.dst_reg]) & uint32_t(i.imm); break;
            case BPF_ALU | BPF_RSH | BPF_K: reg[i.dst_reg] = uint32_t(reg[i.dst_reg]) >> i.imm; break;
            case BPF_ALU | BPF_MOV | BPF_X: reg[i.dst_reg] = uint32_t(reg[i.src_reg]); break;
            case BPF_ALU | BPF_MOV | BPF_K: reg[i.dst_reg] = uint32_t(i.imm); break;
            case BPF_JMP | BPF_JNE | BPF_K:
                if (reg[i.dst_reg] != uint64_t(int64_t(i.imm))) pc += size_t(i.off);
                break;
            case BPF_JMP | BPF_JNE | BPF_X:
                if (reg[i.dst_reg] != reg[i.src_reg]) pc += size_t(i.off);
                break;
            case BPF_JMP | BPF_EXIT: return reg[0] != 0;
            default: throw Error("device filter: unknown instruction at " + std::to_string(pc));
        }
    }
    throw Error("device filter: fell off the end");
}

void attach_device_filter(const std::string& cgroup_dir, const DeviceRuleSet& rules) {
    std::vector<bpf_insn> program = device_filter_program(rules);
    static const char license[] = "MIT";  // the program calls no GPL-only helper
    auto load = [&](char* log, uint32_t log_size) {
        bpf_attr attr{};
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = uint64_t(uintptr_t(program.data()));
        attr.insn_cnt = uint32_t(program.size());
        attr.license = uint64_t(uintptr_t(license));
        attr.log_buf = uint64_t(uintptr_t(log));
        attr.log_size = log_size;
        attr.log_level = log ? 1 : 0;
        return int(bpf(BPF_PROG_LOAD, attr));
    };
    UniqueFd prog(load(nullptr, 0));
    if (!prog) {
        int err = errno;
        std::string log(64 * 1024, '\0');
        UniqueFd again(load(log.data(), uint32_t(log.size())));
        log.resize(std::strlen(log.c_str()));
        while (!log.empty() && log.back() == '\n') log.pop_back();
        if (auto nl = log.rfind('\n'); nl != std::string::npos) log = log.substr(nl + 1);
        throw Error("load the device filter for " + cgroup_dir + ": " + std::strerror(err) +
                    (log.empty() ? "" : " (" + log + ")"));
    }

    UniqueFd cg(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cg) throw_errno("open " + cgroup_dir);

    // What is attached now, to detach once ours is in place.
    std::vector<uint32_t> old(64);
    bpf_attr q{};
    q.query.target_fd = uint32_t(cg.get());
    q.query.attach_type = BPF_CGROUP_DEVICE;
    q.query.prog_ids = uint64_t(uintptr_t(old.data()));
    q.query.prog_cnt = uint32_t(old.size());
    if (bpf(BPF_PROG_QUERY, q) < 0) throw_errno("query the device programs of " + cgroup_dir);
    old.resize(q.query.prog_cnt);

    bpf_attr a{};
    a.target_fd = uint32_t(cg.get());
    a.attach_bpf_fd = uint32_t(prog.get());
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, a) < 0) throw_errno("attach the device filter to " + cgroup_dir);

    // Both programs must allow an access while both are attached, so
    // replacing never lets more through than either set of rules.
    for (uint32_t id : old) {
        bpf_attr g{};
        g.prog_id = id;
        UniqueFd old_prog(int(bpf(BPF_PROG_GET_FD_BY_ID, g)));
        if (!old_prog) continue;  // already gone
        bpf_attr d{};
        d.target_fd = uint32_t(cg.get());
        d.attach_bpf_fd = uint32_t(old_prog.get());
        d.attach_type = BPF_CGROUP_DEVICE;
        if (bpf(BPF_PROG_DETACH, d) < 0 && errno != ENOENT)
            throw_errno("detach the old device filter from " + cgroup_dir);
    }
}

}  // namespace ctr::runtime
