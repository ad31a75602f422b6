/*
 * wrongskip.c: skips where it must not, on purpose, to show that the
 * runner checks skips against the machine.  Not in the default set:
 *
 *	make regress PROG=regress/testbed/samples/wrongskip.c
 *
 * Where /dev/vmm opens (qemu-svm, bochs-vmx, bochs-svm, or the stand-in
 * driver anywhere) it prints SKIPPED: the runner fails it there.  Where
 * vmm refuses the CPU (ENODEV: bochs-noug, bochs-noept) it exits 0
 * without SKIPPED, as a program that forgot to say it skipped would: the
 * runner fails it there too.  Exit status 0 everywhere.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	int fd;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1) {
		printf("wrongskip: open /dev/vmm: errno %d, passing quietly\n",
		    errno);
		return (0);
	}
	close(fd);
	printf("SKIPPED: wrongskip: /dev/vmm opened, skipping anyway\n");
	return (0);
}
