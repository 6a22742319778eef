// The exec trampoline (dmz.c), built by the Makefile into build/ctr-run-dmz
// and embedded here as bytes.
#include <cstddef>

__asm__(".pushsection .rodata\n"
        ".global ctr_dmz_start\n"
        ".global ctr_dmz_end\n"
        ".balign 16\n"
        "ctr_dmz_start:\n"
        ".incbin \"build/ctr-run-dmz\"\n"
        "ctr_dmz_end:\n"
        ".popsection\n");
