/*
 * init for the Linux guest of the monitor (regress/vmon): the only
 * program of the initramfs.  It prints a marker, then what the guest
 * made of the machine (interrupts per line and controller, the clock
 * source), and asks the kernel for a reset, which on a machine without
 * ACPI goes to the i8042's reset line.
 *
 * Built on the host with gcc -static (build.sh).
 */

#include <sys/mount.h>
#include <sys/reboot.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MARKER	"VMON-GUEST-LINUX: init running"

static void
show(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd;

	printf("--- %s\n", path);
	fflush(stdout);
	if ((fd = open(path, O_RDONLY)) == -1) {
		perror(path);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		(void)write(STDOUT_FILENO, buf, n);
	close(fd);
}

int
main(void)
{
	if (getpid() != 1)
		return (1);
	printf("%s\n", MARKER);
	fflush(stdout);
	if (mount("proc", "/proc", "proc", 0, NULL) == -1)
		perror("mount /proc");
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) == -1)
		perror("mount /sys");
	show("/proc/interrupts");
	show("/sys/devices/system/clocksource/clocksource0/current_clocksource");
	show("/sys/devices/system/clockevents/clockevent0/current_device");
	show("/proc/uptime");
	printf("VMON-GUEST-LINUX: reset\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	perror("reboot");
	for (;;)
		pause();
}
