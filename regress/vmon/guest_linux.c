/*
 * guest_linux.c: the monitor as a testbed regress program booting the
 * Linux guest of regress/guest/linux (make guest GUEST=linux).  The
 * testbed builds a program from one file and gives it no arguments: this
 * file is the monitor's sources and its command line.
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

#define MARKER	"VMON-GUEST-LINUX: init running"

/* The files: the testbed's boot modules, or /guest on OpenBSD. */
#ifdef VMON_TESTBED
#define GUEST_DIR	"/testbed/"
#else
#define GUEST_DIR	"/guest/"
#endif

int
main(void)
{
	char *argv[] = {
		"vmon", "-n", "linux", "-m", "256", "-e", MARKER,
		"-w", "120", "-i", GUEST_DIR "initramfs.cpio",
		"-c", "console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 "
		    "nokaslr panic=-1 reboot=k",
		GUEST_DIR "vmlinuz", NULL
	};

	return (vmon_main(nitems(argv) - 1, argv));
}
