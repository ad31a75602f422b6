# vmm(4) in Rust: top-level build.  POSIX make (GNU make and BSD make).
#
#   make            the kernel library and object (build/vmm_rs.o) and the
#                   host build
#   make test       everything CI runs: format, lints, host tests, ABI
#                   table, kernel object checks, emulator regress
#   make demo       a real guest kernel (Linux) boots under the Rust vmm
#                   in QEMU; installs what it needs first (tools/setup.sh)
#   make abi        print the /dev/vmm ABI table (checked three ways)
#   make kobj       build/vmm_rs.o, the one object an OpenBSD kernel links
#   make check-kobj verify that object (IBT, GOT, panic path, SSE, ...)
#   make check-glue compile the C glue with the kernel's flags; check the
#                   staging into a kernel tree
#   make check-glue-openbsd  the same against the real OpenBSD 7.6 tree,
#                   and what the rest of that kernel needs from vmm
#   make kernel     on OpenBSD: SYSDIR=/usr/src/sys [CONFIG=...], stage and
#                   build a kernel with the Rust vmm
#   make bench      exit-path figures in instructions (QEMU -icount), and
#                   real guests' boots (make bench-guests: on Bochs too)
#   make regress    run the regress programs in the emulator testbed
#                   (CONFIGS="qemu-svm bochs-vmx bochs-svm", PROG=x.c)
#   make guest      GUEST=linux|obsd|hostile: the monitor (regress/vmon)
#                   boots a real guest in the testbed (CONFIGS, default
#                   qemu-svm); make guests: hostile and linux on qemu-svm
#   make obsd-regress  the regress programs as processes of a real
#                   OpenBSD kernel (build/obsd/bsd.rd) in QEMU
#                   (OBSD_MACHINES="qemu-svm qemu-svm-smp2", PROG=x.c)
#   make obsd-kernel VMM=c  the same kernel with OpenBSD 7.6's own C vmm
#                   (build/obsd-c/bsd)
#   make obsd-compare  every regress program on both kernels, outcomes
#                   diffed (regress/obsd/compare-known.txt explains)
#   make obsd-bench    exit-path figures on both kernels: bench/vs-c.*
#                      (OBSD_BENCH_GUESTS=linux: and a guest boot)
#   make obsd-bench-profile  where those instructions go, per kernel
#   make obsd-guest GUEST=hostile|linux: the monitor (regress/vmon) as a
#                   process of that kernel, booting a guest from its
#                   ramdisk (OBSD_MACHINES, default qemu-svm)

CARGO ?=	cargo
CC ?=		cc
LD ?=		ld
OBJCOPY ?=	objcopy
KTARGET =	x86_64-unknown-none
KLIB =		target/$(KTARGET)/release/libvmm_rs.a
KOBJ =		build/vmm_rs.o

all: kobj host

host:
	$(CARGO) build --workspace --exclude vmm_rs --exclude vmm-openbsd

klib:
	$(CARGO) build --release --target $(KTARGET) -p vmm_rs

# One relocatable object: only the entry points of ffi/vmm_rs.exports are
# global; everything else (core included) is local to it.
kobj: klib
	mkdir -p build
	$(LD) -r --gc-sections -o $(KOBJ).tmp \
	    `sed 's/^/-u /' ffi/vmm_rs.exports` $(KLIB)
	$(OBJCOPY) --keep-global-symbols=ffi/vmm_rs.exports \
	    --remove-section=.llvmbc --remove-section=.llvmcmd \
	    $(KOBJ).tmp $(KOBJ)
	rm -f $(KOBJ).tmp

check-kobj: kobj
	sh tools/check-kobj.sh $(KOBJ)

abi:
	mkdir -p build
	$(CC) -Wall -Wextra -Werror -Iffi -Iffi/include -o build/abi_c \
	    regress/abi/abi_c.c
	build/abi_c > build/abi_c.txt
	$(CARGO) run -q -p vmm-testkit --bin vmm-abi-table > build/abi_rust.txt
	sh tools/abi-table-expected.sh ffi/vmm_abi_table.h > build/abi_table.txt
	cmp build/abi_c.txt build/abi_table.txt
	cmp build/abi_rust.txt build/abi_table.txt
	cat build/abi_c.txt

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --exclude vmm_rs --exclude vmm-openbsd \
	    --all-targets -- -D warnings
	$(CARGO) clippy --release --target $(KTARGET) -p vmm_rs -- -D warnings

# The C glue with the OpenBSD amd64 kernel's own compiler flags
# (sys/arch/amd64/conf/Makefile.amd64), against the testbed's copy of the
# kernel API headers: warnings are errors, as in a kernel build.
KERNEL_CFLAGS =	--target=x86_64-unknown-openbsd -nostdinc -ffreestanding \
		-D_KERNEL -Werror -Wall -Wimplicit-function-declaration \
		-Wno-pointer-sign -Wframe-larger-than=2047 \
		-Wno-address-of-packed-member -Wno-constant-conversion \
		-Wno-unused-but-set-variable -Wno-gnu-folding-constant \
		-mcmodel=kernel -mno-red-zone -mno-sse2 -mno-sse -mno-3dnow \
		-mno-mmx -msoft-float -fno-omit-frame-pointer \
		-mretpoline-external-thunk -fcf-protection=branch -O2
check-glue:
	mkdir -p build
	for f in sys/dev/vmm/vmm_glue.c sys/dev/vmm/vmm_kern.c; do \
		clang $(KERNEL_CFLAGS) -Iregress/testbed/kinclude \
		    -Iregress/testbed/include -Iffi -Iffi/include -c $$f \
		    -o build/`basename $$f .c`.o || exit 1; \
	done
	sh tools/check-stage.sh

# The glue against the real OpenBSD 7.6 sys/ (../shared/openbsd), staged as
# `make kernel` stages it, and the symbols the rest of that kernel takes
# from vmm (tools/check-glue-openbsd.sh; says SKIP without the archive).
check-glue-openbsd: kobj
	sh tools/check-glue-openbsd.sh

# On OpenBSD: stage into SYSDIR and build CONFIG (see README).
kernel: kobj
	sh tools/stage-openbsd.sh

# Style messages about cross references (vmd(8), pledge(2), ...) are left
# out: those pages exist on OpenBSD, not on the Linux build host.
man-lint:
	mandoc -Tlint -Wwarning man/vmm.4

unit:
	$(CARGO) test --workspace --exclude vmm_rs --exclude vmm-openbsd

# The host tests again under AddressSanitizer (use after free, overflows
# in the double and the driver core).  Needs a nightly toolchain; skipped,
# and said so, without one.  Leak reports are off: the double leaks its
# per-test state on purpose and checks its own accounting instead.
sanitize:
	@if cargo +nightly --version >/dev/null 2>&1; then \
	    ASAN_OPTIONS=detect_leaks=0 RUSTFLAGS=-Zsanitizer=address \
	    CARGO_TARGET_DIR=target/asan $(CARGO) +nightly test \
	    --target x86_64-unknown-linux-gnu -p vmm-testkit -p vmm-core \
	    -p vmm-kernel -p vmm-abi -p vmm-amd64 --tests; \
	else echo "sanitize: SKIP (no nightly toolchain)"; fi

# Miri (nightly) over the host tests that drive the kernel crate's unsafe
# code (pool boxes, shared owners and references, page arrays, user
# copies) and the double: Stacked Borrows, data races, UB.  Leaks are not
# Miri's to judge here: the double keeps its kernel for the whole process
# on purpose, and its own accounting checks the driver's leaks after every
# test.  Left out: the amd64 unit tests (inline assembly) and the 512-VM
# tests (too slow interpreted); the race test runs 6 x 150 operations.
MIRI_SKIP =	--skip global_vcpu_cap_enomem --skip id_of_a_long_lived \
		--skip full_table_then_a_hole
miri:
	@if cargo +nightly miri --version >/dev/null 2>&1; then \
	    MIRIFLAGS="-Zmiri-ignore-leaks -Zmiri-permissive-provenance" $(CARGO) +nightly miri test -q \
	    -p vmm-testkit -p vmm-kernel -p vmm-core --lib \
	    --test kernel_types --test abi --test create --test vm_ops \
	    --test run_pledge --test vm_table \
	    --test concurrency -- $(MIRI_SKIP); \
	else echo "miri: SKIP (no Miri on the nightly toolchain)"; fi

# libFuzzer over the ioctl surface of the host build (rust/fuzz); bounded.
FUZZ_SECONDS ?=	30
fuzz-smoke:
	mkdir -p rust/fuzz/target/new-corpus
	$(CARGO) fuzz run -s none --fuzz-dir rust/fuzz ioctl \
	    rust/fuzz/target/new-corpus rust/fuzz/corpus/ioctl \
	    -- -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=2048 -print_final_stats=1

regress: kobj
	sh regress/run.sh

# The programs about the state a guest can change, on a CPU with
# protection keys (QEMU's qemu64 with +pku: PKRU switched, PKU shown).
PKU_PROGS =	regress/vmm/pkru.c regress/vmm/cpuid.c regress/vmm/fpustate.c \
		regress/vmm/hoststate.c
regress-pku: kobj
	CONFIGS=qemu-svm-pku PROG="$(PKU_PROGS)" sh regress/run.sh

# GUEST=linux|openbsd, CONFIG=, KERNEL=/INITRD=/CMDLINE= (regress/demo.sh)
demo:
	sh regress/demo.sh

GUEST ?=	linux
guest: kobj
	GUEST=$(GUEST) sh regress/guest/run.sh

# make test's share: the hostile guests and Linux, on qemu-svm.
guests: kobj
	GUEST=hostile CONFIGS=qemu-svm sh regress/guest/run.sh
	GUEST=linux CONFIGS=qemu-svm sh regress/guest/run.sh

bench: kobj
	mkdir -p build
	sh regress/bench.sh

# A real OpenBSD 7.6 kernel with the Rust vmm, built on Linux
# (regress/obsd/kernel.sh): the test configuration into build/obsd/bsd,
# or GENERIC.MP into build/obsd/bsd.generic.
# VMM=c: the same test configuration with the tree's own C vmm, into
# build/obsd-c/bsd (no Rust object needed).
VMM =		rust
obsd-kernel:
	if [ "$(VMM)" = c ]; then VMM=c sh regress/obsd/kernel.sh test; \
	else $(MAKE) kobj && VMM=rust sh regress/obsd/kernel.sh test; fi

obsd-generic: kobj
	sh regress/obsd/kernel.sh generic

# The regress programs as static OpenBSD executables, run by an init on
# that kernel's ramdisk root (regress/obsd/regress.sh).
obsd-regress: obsd-kernel
	sh regress/obsd/regress.sh

# make bench with the real guests on the Bochs machines too (minutes each).
bench-guests: kobj
	mkdir -p build
	BENCH_GUEST_CONFIGS="qemu-svm bochs-vmx bochs-svm" sh regress/bench.sh

# The C and the Rust kernel side by side (regress/obsd/compare.sh): the
# regress programs' outcomes, and the exit-path figures (bench/vs-c.*,
# ceilings on Rust/C in bench/vs-c-limits.txt); the profile of the
# latter's io-roundtrip and ioctl-path on both (after obsd-bench).
obsd-compare:
	$(MAKE) obsd-kernel VMM=c
	$(MAKE) obsd-kernel VMM=rust
	sh regress/obsd/compare.sh compare

obsd-bench:
	$(MAKE) obsd-kernel VMM=c
	$(MAKE) obsd-kernel VMM=rust
	if [ -n "$$OBSD_BENCH_GUESTS" ]; then \
	    VMM=c sh regress/obsd/kernel.sh guest && \
	    sh regress/obsd/kernel.sh guest; fi
	sh regress/obsd/compare.sh bench

obsd-bench-profile:
	sh regress/obsd/profile.sh

# The guest monitor on that kernel (regress/obsd/guest.sh); the Linux
# guest needs the kernel with the larger ramdisk (kernel.sh guest).
obsd-guest: obsd-kernel
	@if [ "$(GUEST)" = linux ]; then sh regress/obsd/kernel.sh guest; fi
	GUEST=$(GUEST) sh regress/obsd/guest.sh

# Per-function instruction profile of one in-kernel exit (needs python3).
bench-profile: kobj
	sh regress/bench/profile.sh

# regress last: its "N passed, N failed" line closes the output.
test: fmt-check clippy unit sanitize miri abi check-kobj check-glue \
	check-glue-openbsd man-lint fuzz-smoke \
	bench guests regress-pku regress

clean:
	$(CARGO) clean
	rm -rf build

.PHONY: all host klib kobj check-kobj check-glue check-glue-openbsd kernel abi \
	fmt-check clippy miri \
	man-lint unit sanitize fuzz-smoke regress regress-pku bench bench-guests bench-profile \
	demo guest guests test clean obsd-kernel obsd-generic obsd-regress \
	obsd-compare obsd-bench obsd-bench-profile obsd-guest
