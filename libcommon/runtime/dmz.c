/* ctr-run's exec trampoline, run from a sealed memfd.
 *
 * The container's init is a fork of ctr-run, so until it execs, its
 * /proc/self/exe is the host's ctr-run binary. If the user's program were
 * exec'd straight from there, a program whose interpreter is /proc/self/exe
 * (a "#!/proc/self/exe" script, the CVE-2019-5736 class) would re-run the
 * host binary inside the container, where another container process could
 * open it and later overwrite it. So the init first execs this trampoline
 * from a sealed, anonymous memfd, and the trampoline execs the user's
 * program: from then on /proc/self/exe is at worst the sealed memfd.
 *
 * Called as: argv = { path, arg0, arg1, ... }; runs execve(path, &argv[1], envp).
 * Built freestanding (no libc), a few hundred bytes.
 */
#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call dmz_main\n"
        "  hlt\n");
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
#define SYS_WRITE 1
#define SYS_EXECVE 59
#define SYS_EXIT 60
#elif defined(__aarch64__)
__asm__(".globl _start\n_start:\n"
        "  mov x0, sp\n"
        "  bl dmz_main\n");
static long sys3(long n, long a, long b, long c) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
#define SYS_WRITE 64
#define SYS_EXECVE 221
#define SYS_EXIT 93
#else
#error "dmz.c: unsupported architecture"
#endif

static unsigned long len(const char* s) {
    unsigned long n = 0;
    while (s[n]) n++;
    return n;
}

static void say(const char* s) { sys3(SYS_WRITE, 2, (long)s, (long)len(s)); }

__attribute__((used, noreturn)) void dmz_main(long* sp) {
    long argc = sp[0];
    char** argv = (char**)(sp + 1);
    char** envp = argv + argc + 1;
    if (argc < 2) {
        say("ctr-run-dmz: no program to run\n");
        sys3(SYS_EXIT, 127, 0, 0);
    }
    long err = sys3(SYS_EXECVE, (long)argv[0], (long)(argv + 1), (long)envp);
    say("ctr-run: exec ");
    say(argv[0]);
    say(err == -13 ? ": permission denied\n" : err == -2 ? ": no such file or directory\n"
                                                         : ": exec format error or other failure\n");
    sys3(SYS_EXIT, err == -2 ? 127 : 126, 0, 0);
    for (;;) {
    }
}
