/*
 * guest_obsd.c: the monitor as a testbed regress program booting the
 * OpenBSD 7.6 kernel of make obsd-kernel (make guest GUEST=obsd), and
 * as a process of the real kernel (make obsd-bench's guest boot).
 * The testbed builds a program from one file and gives it no arguments:
 * this file is the monitor's sources and its command line.
 */

#include "vmon.c"
#include "i8259.c"
#include "i8253.c"
#include "mc146818.c"
#include "ns8250.c"
#include "pci.c"
#include "i8042.c"
#include "loadfile_linux.c"
#include "loadfile_elf.c"

/*
 * The RUSTVMM-TEST kernel of make obsd-kernel with its ramdisk userland
 * (build/obsd/bsd.rd): its init, finding no vmm(4) in the guest, prints
 * the kernel's version and this marker.
 */
#define MARKER	"OBSD-USERLAND: init running"

/*
 * The file: the testbed's boot module, or /guest on OpenBSD (make
 * obsd-bench's guest boot, regress/obsd/compare.sh).
 */
#ifdef VMON_TESTBED
#define GUEST_DIR	"/testbed/"
#else
#define GUEST_DIR	"/guest/"
#endif

int
main(void)
{
	char *argv[] = {
		"vmon", "-n", "openbsd", "-m", "256", "-E", MARKER,
		"-w", "120", GUEST_DIR "bsd.rd", NULL
	};

	return (vmon_main(nitems(argv) - 1, argv));
}
