#	$vmm-rs: sys.mk $
#
# What OpenBSD's share/mk/sys.mk gives the kernel Makefile, for a Linux
# host building with upstream clang and ld.lld (bmake -m this directory).
# kernel.sh passes CC and LD on the command line when it picks other
# versions.

CC=		clang --target=x86_64-unknown-openbsd
LD=		ld.lld
SIZE=		size
# OpenBSD strips the kernel with ctfstrip; the CTF section it keeps is
# not made here, so plain strip -S does the same job.
STRIP=		strip
COMPILER_VERSION= clang
NOPIE_FLAGS=	-fno-pie

# The kernel Makefile's shell commands use ksh's [[ ]].
.SHELL: name=sh path=/bin/bash
