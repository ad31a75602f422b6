/*
 * guest_obsd.c: the monitor as a testbed regress program booting the
 * OpenBSD GENERIC.MP kernel of make obsd-generic (make guest GUEST=obsd).
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
 * There is no disk: the kernel asks for a root device, which is as far
 * as it can go.
 */
#define MARKER	"root device"

int
main(void)
{
	char *argv[] = {
		"vmon", "-n", "openbsd", "-m", "256", "-E", MARKER,
		"-w", "120", "/testbed/bsd.generic", NULL
	};

	return (vmon_main(nitems(argv) - 1, argv));
}
