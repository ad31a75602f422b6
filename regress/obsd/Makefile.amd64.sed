#	$vmm-rs: Makefile.amd64.sed $
#
# Applied by kernel.sh to sys/arch/amd64/conf/Makefile.amd64 of the
# extracted tree (build/obsd/sys, never a real source tree), before
# config(8) copies it into the compile directory.
#
# bmake sets $< only in suffix rules; the kernel's explicit rules
# ("foo.o: $S/dev/foo.c") need their C or assembler source named.
s/-c \$</-c ${.ALLSRC:M*.[cS]:[1]}/
# OpenBSD's clang has flags upstream clang does not know:
#   -fret-clean         clear the return address slot after a return
#   -msave-args         spill the argument registers for ddb's traces
#   -fno-ret-protector  turn off OpenBSD's return address protector
# A kernel without them runs the same, less those hardenings; ddb's
# "trace" then prints the stack words below each frame, not the
# arguments.
s/^CMACHFLAGS+=[[:space:]]*-fret-clean$//
s/^CMACHFLAGS+=[[:space:]]*-msave-args$//
s/ -fno-ret-protector / /
# ld.lld spells OpenBSD ld's -nopie as --no-pie.
s/ -nopie$/ --no-pie/
# OpenBSD's make infers locore0.o from locore0.S; bmake needs the rule.
/^locore0\.o:/a\
	${NORMAL_S}
# makegap.sh uses ksh's [[ ]].
s/sh makegap\.sh/bash makegap.sh/
