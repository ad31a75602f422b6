/*
 * procs.c: a testbed-specific regress program (uses <testbed.h>):
 * several processes, pledge, per-process memory, leak accounting.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <testbed.h>

#include "../standin/vmm_standin.h"

int
main(void)
{
	struct standin_echo se;
	struct standin_map sm;
	size_t pages, maps;
	char *mem;
	int fd, fd2, me, vmproc, other, before;

	me = getpid();
	pages = tb_pages_in_use();
	maps = tb_mappings_alive();

	/* A "vm process": pledged to stdio and vmm only. */
	if ((vmproc = tb_proc_new(PLEDGE_STDIO | PLEDGE_VMM)) == -1)
		err(1, "tb_proc_new");
	if ((other = tb_proc_new(TB_PLEDGE_ALL)) == -1)
		err(1, "tb_proc_new");

	tb_proc_switch(vmproc);
	if (getpid() != vmproc)
		errx(1, "getpid %d, want %d", getpid(), vmproc);
	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open (vm process)");
	memset(&se, 0, sizeof(se));
	se.se_in = 1;
	if (ioctl(fd, STANDIN_IOC_ECHO, &se) == -1 || se.se_out != 2)
		err(1, "ECHO allowed by pledge");

	/* Mapping memory needs "proc": a pledge violation, EPERM. */
	before = tb_pledge_violations();
	memset(&sm, 0, sizeof(sm));
	sm.sm_size = 4096;
	if (ioctl(fd, STANDIN_IOC_MAP, &sm) != -1 || errno != EPERM)
		errx(1, "MAP under pledge: errno %d", errno);
	if (tb_pledge_violations() != before + 1)
		errx(1, "violation not recorded");
	if (tb_pledge_lastcode() != PLEDGE_TTY)
		errx(1, "violation code 0x%llx",
		    (unsigned long long)tb_pledge_lastcode());

	/* pledge(2) can only take promises away. */
	if (pledge("stdio vmm proc", NULL) != -1 || errno != EPERM)
		errx(1, "pledge widened the promises");
	if (pledge("stdio", NULL) == -1)
		err(1, "pledge stdio");
	if (ioctl(fd, STANDIN_IOC_ECHO, &se) != -1 || errno != EPERM)
		errx(1, "ECHO without the vmm promise: errno %d", errno);

	/* Memory of this process is not the other process's memory. */
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE,
	    -1, 0);
	if (mem == MAP_FAILED)
		err(1, "mmap");
	strlcpy(mem, "/dev/vmm", 4096);

	tb_proc_switch(other);
	if (open(mem, O_RDWR) != -1 || errno != EFAULT)
		errx(1, "open with another process's pointer: errno %d", errno);
	if ((fd2 = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open (other)");
	memset(&sm, 0, sizeof(sm));
	sm.sm_size = 3 * 4096;
	sm.sm_fill = 7;
	if (ioctl(fd2, STANDIN_IOC_MAP, &sm) == -1)
		err(1, "MAP (unpledged)");
	if (((unsigned char *)sm.sm_va)[3 * 4096 - 1] != 7)
		errx(1, "mapped memory not filled");
	if (tb_aobjs_alive() == 0)
		errx(1, "no aobj alive after MAP");

	/*
	 * Exit the vm process with its descriptor still open: the driver's
	 * close runs as part of the teardown.  "other" keeps its mapping;
	 * the testbed removes it when the program ends, like process exit.
	 */
	if (tb_proc_exit(vmproc) == -1)
		err(1, "tb_proc_exit");
	if (ioctl(fd2, STANDIN_IOC_UNMAP, &sm) == -1)
		err(1, "UNMAP");
	close(fd2);

	/* Signals are only ever pending; they show up as EINTR etc. */
	if (tb_proc_signal(other, SIGTERM) == -1 || tb_proc_clearsig(other))
		err(1, "tb_proc_signal");

	tb_proc_switch(me);
	if (tb_mappings_alive() < maps)
		errx(1, "mappings went backwards");
	printf("procs: pages %zu -> %zu, pledge violations %d\n", pages,
	    tb_pages_in_use(), tb_pledge_violations());
	return (0);
}
