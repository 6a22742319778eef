#include <signal.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "libcommon/runtime/container.h"
#include "libcommon/sys/error.h"

namespace ctr::runtime {

int parse_signal(const std::string& s) {
    static const std::pair<const char*, int> names[] = {
        {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},   {"CHLD", SIGCHLD}, {"CLD", SIGCHLD},
        {"CONT", SIGCONT}, {"FPE", SIGFPE},   {"HUP", SIGHUP},   {"ILL", SIGILL},   {"INT", SIGINT},
        {"IO", SIGIO},     {"IOT", SIGIOT},   {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},
        {"PROF", SIGPROF}, {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV}, {"STKFLT", SIGSTKFLT},
        {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM}, {"TRAP", SIGTRAP}, {"TSTP", SIGTSTP},
        {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
        {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}};
    int n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && p == s.data() + s.size()) {
        if (n <= 0 || n > SIGRTMAX) throw Error("invalid signal: " + s);
        return n;
    }
    std::string up = s;
    std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
    if (up.rfind("SIG", 0) == 0) up = up.substr(3);
    for (auto [name, num] : names)
        if (up == name) return num;
    if (up.rfind("RTMIN", 0) == 0 || up.rfind("RTMAX", 0) == 0) {
        bool min = up[3] == 'I';
        std::string off = up.substr(5);
        int k = 0;
        if (!off.empty()) {
            auto [q, e2] = std::from_chars(off.data() + (off[0] == '+' || off[0] == '-'), off.data() + off.size(), k);
            if (e2 != std::errc() || q != off.data() + off.size()) throw Error("unknown signal \"" + s + "\"");
            if (off[0] == '-') k = -k;
        }
        int sig = (min ? SIGRTMIN : SIGRTMAX) + k;
        if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
    }
    throw Error("unknown signal \"" + s + "\"");
}

}  // namespace ctr::runtime
