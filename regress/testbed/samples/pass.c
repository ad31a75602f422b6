/*
 * pass.c: a regress program written as for OpenBSD, exercising the
 * stand-in /dev/vmm driver: open, ioctls (good and bad pointers),
 * driver-mapped immutable memory, mmap/munmap, malloc, strlcpy, printf.
 * Exits 0 on success.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../standin/vmm_standin.h"

static char	namebuf[32];

int
main(int argc, char *argv[])
{
	struct standin_echo se;
	struct standin_info si;
	struct standin_map sm;
	struct standin_big *sb;
	unsigned char *p;
	char *buf;
	size_t i;
	int fd;

	printf("%s: pid %d, argc %d\n", argv[0], getpid(), argc);

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open /dev/vmm");
	if (open("/dev/nonexistent", O_RDWR) != -1 || errno != ENOENT)
		errx(1, "open of a missing device: errno %d", errno);

	/* In/out ioctl on a stack structure. */
	memset(&se, 0, sizeof(se));
	se.se_in = 41;
	if (strlcpy(se.se_name, "testbed", sizeof(se.se_name)) >=
	    sizeof(se.se_name))
		errx(1, "strlcpy truncated");
	if (ioctl(fd, STANDIN_IOC_ECHO, &se) == -1)
		err(1, "STANDIN_IOC_ECHO");
	if (se.se_out != 42 || strcmp(se.se_name, "TESTBED") != 0)
		errx(1, "echo: got %u \"%s\"", se.se_out, se.se_name);

	/* A global buffer works too (program data is user memory). */
	strlcpy(namebuf, "global", sizeof(namebuf));
	memcpy(se.se_name, namebuf, sizeof(se.se_name));
	if (ioctl(fd, STANDIN_IOC_ECHO, &se) == -1)
		err(1, "STANDIN_IOC_ECHO (2)");

	/* Bad argument pointers fail with EFAULT before the driver runs. */
	if (ioctl(fd, STANDIN_IOC_ECHO, (void *)0x10) != -1 || errno != EFAULT)
		errx(1, "ioctl with a bad pointer: errno %d", errno);
	if (ioctl(fd, STANDIN_IOC_ECHO, NULL) != -1 || errno != EFAULT)
		errx(1, "ioctl with NULL: errno %d", errno);
	if (ioctl(fd, _IOW('V', 250, int), &fd) != -1 || errno != ENOTTY)
		errx(1, "unknown ioctl: errno %d", errno);
	if (ioctl(42, STANDIN_IOC_ECHO, &se) != -1 || errno != EBADF)
		errx(1, "ioctl on a bad fd: errno %d", errno);

	/* The driver copies out to a pointer inside the argument. */
	if ((buf = malloc(64)) == NULL)
		err(1, "malloc");
	memset(&si, 0, sizeof(si));
	si.si_buf = buf;
	si.si_len = 64;
	if (ioctl(fd, STANDIN_IOC_INFO, &si) == -1)
		err(1, "STANDIN_IOC_INFO");
	printf("info: \"%s\" (%zu bytes), opens %u\n", buf, si.si_len,
	    si.si_opens);
	if (si.si_pid != getpid() || si.si_opens != 1)
		errx(1, "info: pid %d opens %u", si.si_pid, si.si_opens);
	si.si_buf = (void *)0x1000;
	if (ioctl(fd, STANDIN_IOC_INFO, &si) != -1 || errno != EFAULT)
		errx(1, "info with a bad buffer: errno %d", errno);
	free(buf);

	/* A large argument (moved through a malloc'ed kernel buffer). */
	if ((sb = calloc(1, sizeof(*sb))) == NULL)
		err(1, "calloc");
	for (i = 0; i < sizeof(sb->sb_data); i++)
		sb->sb_data[i] = i & 0xff;
	if (ioctl(fd, STANDIN_IOC_BIG, sb) == -1)
		err(1, "STANDIN_IOC_BIG");
	if (sb->sb_data[0] != ((sizeof(sb->sb_data) - 1) & 0xff) ||
	    sb->sb_sum == 0)
		errx(1, "big: data[0] %u sum %u", sb->sb_data[0], sb->sb_sum);
	free(sb);

	/* The result cannot be copied out to read-only memory. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE,
	    -1, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	if (mprotect(p, 4096, PROT_READ) == -1)
		err(1, "mprotect");
	if (ioctl(fd, STANDIN_IOC_ECHO, p) != -1 || errno != EFAULT)
		errx(1, "ioctl into read-only memory: errno %d", errno);
	if (munmap(p, 4096) == -1)
		err(1, "munmap");

	/* Anonymous memory. */
	p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
	    MAP_ANON | MAP_PRIVATE, -1, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	for (i = 0; i < 3 * 4096; i++)
		if (p[i] != 0)
			errx(1, "mmap memory not zero at %zu", i);
	memset(p, 0x5a, 3 * 4096);
	if (munmap(p + 4096, 4096) == -1)
		err(1, "munmap");
	if (p[0] != 0x5a || p[2 * 4096] != 0x5a)
		errx(1, "neighbouring pages lost");
	if (munmap(p, 3 * 4096) == -1)
		err(1, "munmap all");

	/* Driver-mapped memory is immutable for the program. */
	memset(&sm, 0, sizeof(sm));
	sm.sm_size = 2 * 4096;
	sm.sm_fill = 0xa5;
	if (ioctl(fd, STANDIN_IOC_MAP, &sm) == -1)
		err(1, "STANDIN_IOC_MAP");
	p = (unsigned char *)sm.sm_va;
	if (p[0] != 0xa5 || p[2 * 4096 - 1] != 0xa5)
		errx(1, "mapped memory: 0x%x 0x%x", p[0], p[2 * 4096 - 1]);
	if (munmap(p, 4096) != -1 || errno != EPERM)
		errx(1, "munmap of immutable memory: errno %d", errno);
	if (mmap(p, 4096, PROT_READ, MAP_ANON | MAP_PRIVATE | MAP_FIXED, -1,
	    0) != MAP_FAILED || errno != EPERM)
		errx(1, "MAP_FIXED over immutable memory: errno %d", errno);
	if (ioctl(fd, STANDIN_IOC_UNMAP, &sm) == -1)
		err(1, "STANDIN_IOC_UNMAP");

	if (close(fd) == -1)
		err(1, "close");
	if (close(fd) != -1 || errno != EBADF)
		errx(1, "double close: errno %d", errno);
	printf("%s: all checks passed\n", argv[0]);
	return (0);
}
