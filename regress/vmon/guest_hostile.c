/*
 * guest_hostile.c: the monitor against misbehaving guests
 * (regress/guest/hostile, make guest GUEST=hostile).  Each must end
 * with the monitor's own clear message, the VM terminated and every page
 * the guest had given back (checked here per guest, and by the testbed's
 * leak check after the program); the host goes on with the next one.
 *
 * On OpenBSD (make obsd-guest GUEST=hostile) the guests are files in
 * /guest and the check after each is that vmm(4) lists no VM any more
 * (VMM_IOC_INFO): the kernel's page accounting is not visible to a
 * program.
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

static const struct hostile {
	const char	*name;
	const char	*opt[3];	/* more options */
	enum vmon_end	 end;
	const char	*why;		/* in the monitor's message */
	uint64_t	 resets;	/* RESETCPUs on the way */
} guests[] = {
	{ "halt", { NULL }, END_HALT, "interrupts off", 0 },
	{ "sleep", { NULL }, END_ERROR, "guest hung", 0 },
	{ "triple", { "-r", "2" }, END_RESET, "triple fault", 2 },
	{ "reboot", { "-r", "1" }, END_HALT, "interrupts off", 1 },
	{ "flood", { NULL }, END_ERROR, "guest hung", 0 },
	{ "chatter", { "-q", "-t", "3" }, END_ERROR, "run time limit", 0 },
	{ "unbacked", { NULL }, END_ERROR, "VMM_IOC_RUN: Invalid argument",
	    0 },
	{ "string", { NULL }, END_ERROR, "vmd cannot emulate it", 0 },
};

#ifdef VMON_TESTBED
#define GUEST_DIR	"/testbed/"
#define LEFT_WHAT	"pages"

/* What a guest may leave behind: pages (the testbed's accounting). */
static size_t
left_over(void)
{
	return (tb_pages_in_use());
}
#else
#define GUEST_DIR	"/guest/"
#define LEFT_WHAT	"VMs"

/* What a guest may leave behind: VMs vmm(4) still lists. */
static size_t
left_over(void)
{
	struct vm_info_params vip;
	int fd;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "/dev/vmm");
	memset(&vip, 0, sizeof(vip));
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO");
	close(fd);
	return (vip.vip_size / sizeof(struct vm_info_result));
}
#endif

int
main(void)
{
	const struct hostile *h;
	char path[64];
	char *argv[12];
	size_t pages, i, j;
	int argc, failed = 0;

	pages = left_over();
	for (i = 0; i < nitems(guests); i++) {
		h = &guests[i];
		snprintf(path, sizeof(path), GUEST_DIR "%s", h->name);
		argc = 0;
		argv[argc++] = "vmon";
		argv[argc++] = "-n";
		argv[argc++] = (char *)h->name;
		argv[argc++] = "-m";
		argv[argc++] = "64";
		argv[argc++] = "-w";
		argv[argc++] = "2";
		for (j = 0; j < nitems(h->opt) && h->opt[j] != NULL; j++)
			argv[argc++] = (char *)h->opt[j];
		argv[argc++] = path;
		argv[argc] = NULL;
		optind = 1;
		printf("== %s\n", h->name);
		(void)vmon_main(argc, argv);
		if (vsh->sh_end != h->end ||
		    strstr(vsh->sh_why, h->why) == NULL ||
		    vsh->sh_st.st_resets != h->resets) {
			printf("FAIL %s: ended %d \"%s\" after %llu resets, "
			    "want %d \"%s\" after %llu\n", h->name,
			    vsh->sh_end, vsh->sh_why,
			    (unsigned long long)vsh->sh_st.st_resets, h->end,
			    h->why, (unsigned long long)h->resets);
			failed++;
		}
		if (left_over() != pages) {
			printf("FAIL %s: %zd " LEFT_WHAT " kept\n", h->name,
			    (ssize_t)(left_over() - pages));
			failed++;
		}
	}
	return (failed != 0);
}
