# ctr: a container toolchain made of small programs.
#
#   make              build every program into bin/
#   make test         install missing packages, build, run the whole test suite
#   make demo         install missing packages, build, run the demo
#   make install      install programs, scripts, man pages, completions under PREFIX
#
# Each directory cmd/ctr-NAME/ is one program; libcommon/ is linked into all of them.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
CXX        ?= g++
CCACHE     := $(shell command -v ccache 2>/dev/null)
CXXFLAGS   ?= -O2 -g
CTR_CXXFLAGS := -std=c++20 -Wall -Wextra -Wno-missing-field-initializers -I. \
                -D_GNU_SOURCE -DCTR_VERSION='"$(VERSION)"' -MMD -MP
LDLIBS     := -Wl,--as-needed -lsimdjson -larchive -ldeflate -lz -lnettle -lssl -lcrypto -lseccomp -lcurl -ltomlplusplus -lsystemd -lcap -lpthread

# Helper programs that only other programs run: built into build/libexec/ctr/,
# installed into $(PREFIX)/libexec/ctr/, never on PATH.
LIBEXEC_PROGRAMS := ctr-run-systemd
LIBEXEC_BINS := $(LIBEXEC_PROGRAMS:%=build/libexec/ctr/%)
PROGRAMS   := $(filter-out $(LIBEXEC_PROGRAMS),$(notdir $(wildcard cmd/ctr-*)))
BINS       := $(PROGRAMS:%=bin/%)
LIB_SRCS   := $(shell find libcommon -name '*.cpp' 2>/dev/null | sort)
LIB_OBJS   := $(LIB_SRCS:%.cpp=build/%.o)
UNIT_SRCS  := $(wildcard tests/unit/*.cpp)
UNIT_OBJS  := $(UNIT_SRCS:%.cpp=build/%.o)
TOOL_SRCS  := $(wildcard tests/tools/*.cpp)
TOOLS      := $(TOOL_SRCS:tests/tools/%.cpp=build/tests/tools/%)
MAN_SRCS   := $(wildcard share/man/*.scd)
MANS       := $(MAN_SRCS:share/man/%.scd=build/man/%)
SCRIPTS    := $(wildcard scripts/ctr-*)

.PHONY: all deps test unit integration demo fixtures install clean man tools
.DEFAULT_GOAL := all

all: $(BINS) $(LIBEXEC_BINS) man

build/%.o: %.cpp
	@mkdir -p $(@D)
	$(CCACHE) $(CXX) $(CXXFLAGS) $(CTR_CXXFLAGS) -c $< -o $@

# ctr-run's exec trampoline: freestanding, embedded into the runtime by dmz_blob.cpp.
build/ctr-run-dmz: libcommon/runtime/dmz.c
	@mkdir -p $(@D)
	$(CC) -Os -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -nostdlib -static \
	  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-pie -no-pie \
	  -Wl,--build-id=none -Wl,-z,noexecstack -Wl,-n -o $@ $< && strip $@
build/libcommon/runtime/dmz_blob.o: build/ctr-run-dmz

build/libcommon.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# One rule per program: its own objects plus the library. A program linked
# statically must not load shared objects at run time (dlopen, NSS): the
# link fails when the linker warns that it does (see bin/ctr-run below).
define program_rule
$(1)_OBJS := $$(patsubst %.cpp,build/%.o,$$(wildcard cmd/$(1)/*.cpp))
bin/$(1): $$($(1)_OBJS) build/libcommon.a
	@mkdir -p bin build
	$$(CXX) $$(CXXFLAGS) -o $$@ $$($(1)_OBJS) build/libcommon.a $$(LDLIBS) 2>build/$(1).link.log \
	  || { cat build/$(1).link.log >&2; exit 1; }
	@cat build/$(1).link.log >&2; if grep -q 'in statically linked applications requires at runtime' build/$(1).link.log; \
	  then rm -f $$@; echo "$$@: a static program may not dlopen or use NSS (the warning above; see the Makefile)" >&2; exit 1; fi
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# ctr-run starts for every container operation: it is a static PIE (glibc
# too; still position independent, so still randomised), with no dynamic
# loader, relocation of shared libraries or copy-on-write of their pages at
# each start and at the fork of each init: `run` is about 10% faster than
# linked dynamically (docs/benchmarks.md). A static glibc must not load
# shared objects (dlopen, NSS: getpwuid and friends), or it would run beside
# the system's libc.so.6 of another version after a libc6 update: the link
# fails if the linker warns of any such call (program_rule above). D-Bus
# (--systemd-cgroup) goes through the helper ctr-run-systemd instead.
bin/ctr-run: LDLIBS := -static-pie -Wl,--as-needed -lseccomp -lcap -lnettle -lpthread

# The D-Bus half of ctr-run's systemd cgroup driver: libsystemd linked
# normally (libstdc++ statically, as ctr-run: fewer relocations at start).
build/libexec/ctr/ctr-run-systemd: build/cmd/ctr-run-systemd/main.o build/libcommon.a
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -o $@ $< build/libcommon.a -static-libstdc++ -static-libgcc -Wl,--as-needed -lsystemd

# ctr-ps lists a thousand containers in a few tens of milliseconds, of which
# start-up is a good part: the hashing library (used only by -s and ancestor=)
# goes in statically, so there is no shared library to map and relocate.
bin/ctr-ps: LDLIBS := -Wl,--as-needed -lsimdjson -Wl,-Bstatic -lnettle -lcrypto -Wl,-Bdynamic \
	-larchive -ldeflate -lz -lssl -lseccomp -lcurl -ltomlplusplus -lsystemd -lcap -lpthread

# ctr-create and ctr-start (which is also each container's monitor) are on the
# path from `ctr-create … | ctr-start -d` to the container's first output: the
# same static C++ runtime and small libraries; libzstd and liblz4 have no
# static archive in Debian and stay shared.
bin/ctr-create bin/ctr-start: LDLIBS := -static-libstdc++ -static-libgcc -Wl,--as-needed \
	-Wl,-Bstatic -larchive -lnettle -llzma -lbz2 -lz -ldeflate -lseccomp -lcap -Wl,-Bdynamic \
	-lsimdjson -l:libzstd.so.1 -l:liblz4.so.1 -l:libacl.so.1 -lpthread

build/unit-tests: $(UNIT_OBJS) build/libcommon.a
	$(CXX) $(CXXFLAGS) -o $@ $(UNIT_OBJS) build/libcommon.a $(LDLIBS)

# Test-only drivers (tests/tools/*.cpp) that exercise libcommon for real.
tools: $(TOOLS)
build/tests/tools/%: build/tests/tools/%.o build/libcommon.a
	$(CXX) $(CXXFLAGS) -o $@ $< build/libcommon.a $(LDLIBS)

man: $(MANS)
build/man/%: share/man/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@

# Packages from Debian that building and testing need (installs only what is missing).
deps:
	@scripts/ctr-install-deps

# The rootfs and image tar every integration test shares, made from Debian's busybox-static.
fixtures: build/fixtures/busybox.tar
build/fixtures/busybox.tar: scripts/ctr-busybox-rootfs
	@rm -rf build/fixtures/busybox && mkdir -p build/fixtures
	scripts/ctr-busybox-rootfs build/fixtures/busybox
	tar -C build/fixtures/busybox -cf $@.tmp . && mv $@.tmp $@

unit: build/unit-tests
	build/unit-tests

test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all build/unit-tests fixtures tools
	@tests/run

demo: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all fixtures
	@scripts/demo

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/ctr
	install -m 0755 $(BINS) $(SCRIPTS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/libexec/ctr
	install -m 0755 $(LIBEXEC_BINS) $(DESTDIR)$(PREFIX)/libexec/ctr/
	for m in $(MANS); do install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/$${m##*/}; done
	for c in share/bash-completion/*; do [ -f "$$c" ] && install -m 0644 $$c $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ || true; done
	# bash-completion loads completions/<command> on demand: one link per program.
	for p in $(notdir $(BINS) $(SCRIPTS)); do ln -sf ctr $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p; done
	[ -d share/seccomp ] && cp -r share/seccomp $(DESTDIR)$(PREFIX)/share/ctr/ || true

clean:
	rm -rf bin build

-include $(shell find build -name '*.d' 2>/dev/null)
