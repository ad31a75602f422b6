/*
 * init: /sbin/init of the regress root image.
 *
 * Runs every program named in /etc/regress (one name a line, in that
 * order) as /regress/<name>, each as a process of its own with its
 * standard output and error read through a pipe, and reports in TAP:
 *
 *	1..N
 *	# <each line the program wrote>
 *	ok 1 - name			exit status 0
 *	ok 2 - name # SKIP reason	exit status 0 after a "SKIPPED" line
 *	not ok 3 - name			any other end, said in a "# " line
 *	N passed, N failed
 *
 * then powers the machine off.  The kernel starts init with no open
 * files and proc0's resource limits.
 *
 * A program that has not ended after PROG_TIMEOUT seconds, or the number
 * of seconds in /etc/timeout if there is one (the machine's time: under
 * Bochs it runs slower than the host's), is taken to hang in
 * the kernel: init enters the kernel debugger (ddb.console, then
 * ddb.trigger; the kernel runs at securelevel 0), so that the runner of
 * the emulator can ask for the processes and their wait channels.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/reboot.h>
#include <sys/sysctl.h>
#include <sys/wait.h>
#include <ddb/db_var.h>
#include <machine/vmmvar.h>
#include <dev/vmm/vmm.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIST		"/etc/regress"
#define PROGDIR		"/regress/"
#define MAXPROGS	64
#define NAMELEN		64
#define PROG_TIMEOUT	60		/* seconds */
#define TIMEOUT_FILE	"/etc/timeout"

static long	timeout = PROG_TIMEOUT;

static char	names[MAXPROGS][NAMELEN];

/* Reads the program list; returns the number of names. */
static int
read_list(void)
{
	char buf[MAXPROGS * NAMELEN], *s, *line;
	ssize_t n;
	size_t len = 0;
	int fd, count = 0;

	if ((fd = open(LIST, O_RDONLY)) == -1)
		err(1, "%s", LIST);
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	if (n == -1)
		err(1, "read %s", LIST);
	if (len == sizeof(buf) - 1)
		errx(1, "%s: too long", LIST);
	close(fd);
	buf[len] = '\0';
	s = buf;
	while ((line = strsep(&s, "\n")) != NULL) {
		if (*line == '\0')
			continue;
		if (count == MAXPROGS)
			errx(1, "%s: more than %d programs", LIST, MAXPROGS);
		if (strlcpy(names[count], line, NAMELEN) >= NAMELEN)
			errx(1, "%s: name too long: %s", LIST, line);
		count++;
	}
	return (count);
}

/*
 * Shows one line of a program's output; a "SKIPPED" line's text becomes
 * the reason of the SKIP.
 */
static void
show_line(const char *line, char *skip, size_t skiplen)
{
	const char *s;

	printf("# %s\n", line);
	if (strncmp(line, "SKIPPED", 7) == 0 && *skip == '\0') {
		s = line + 7;
		while (*s == ':' || *s == ' ')
			s++;
		strlcpy(skip, *s != '\0' ? s : "SKIPPED", skiplen);
	}
}

/* The timeout of /etc/timeout (seconds, one line), if the file exists. */
static void
read_timeout(void)
{
	char buf[16];
	const char *errstr;
	ssize_t n;
	int fd;

	if ((fd = open(TIMEOUT_FILE, O_RDONLY)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	timeout = strtonum(buf, 1, 86400, &errstr);
	if (errstr != NULL) {
		warnx("%s: %s", TIMEOUT_FILE, errstr);
		timeout = PROG_TIMEOUT;
	}
}

/* Milliseconds since `start'. */
static long
elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		err(1, "clock_gettime");
	return ((now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_nsec - start->tv_nsec) / 1000000);
}

/*
 * Copies the program's output to the console, a "# " before each line,
 * until the pipe's end; -1 if that takes longer than the timeout.
 */
static int
relay(int fd, char *skip, size_t skiplen)
{
	char line[256], buf[512];
	struct pollfd pfd;
	struct timespec start;
	size_t len = 0;
	ssize_t n, i;
	long left;

	*skip = '\0';
	if (clock_gettime(CLOCK_MONOTONIC, &start) == -1)
		err(1, "clock_gettime");
	for (;;) {
		if ((left = timeout * 1000L - elapsed_ms(&start)) <= 0)
			return (-1);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, (int)left)) == 0)
			return (-1);
		if (n > 0)
			n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			warn("poll/read");
			break;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n' && len < sizeof(line) - 1) {
				line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			show_line(line, skip, skiplen);
			len = 0;
			if (buf[i] != '\n')
				line[len++] = buf[i];
		}
	}
	if (len > 0) {
		line[len] = '\0';
		show_line(line, skip, skiplen);
	}
	return (0);
}

/* Enters the kernel debugger, if the kernel has one. */
static void
enter_ddb(void)
{
	int mib[2] = { CTL_DDB, DBCTL_CONSOLE }, one = 1;

	if (sysctl(mib, 2, NULL, NULL, &one, sizeof(one)) == -1) {
		warn("sysctl ddb.console");
		return;
	}
	mib[1] = DBCTL_TRIGGER;
	if (sysctl(mib, 2, NULL, NULL, &one, sizeof(one)) == -1)
		warn("sysctl ddb.trigger");
}

/*
 * Terminates the VMs a program left behind (a VM outlives its creator:
 * one that failed half-way leaves its VM, which would change what the
 * next program sees, VM ids and INFO counts, and hold an ASID); says how
 * many in a "# " line.  VMM_IOC_INFO and VMM_IOC_TERM are the same in
 * both ABIs init is built for (regress/obsd/userland VMM_ABI).
 */
static void
sweep_vms(const char *name)
{
	struct vm_info_params vip;
	struct vm_info_result *vir;
	struct vm_terminate_params vtp;
	size_t i;
	int fd, n = 0;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		return;
	memset(&vip, 0, sizeof(vip));
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1 || vip.vip_size == 0 ||
	    (vir = malloc(vip.vip_size)) == NULL) {
		close(fd);
		return;
	}
	vip.vip_info = vir;
	if (ioctl(fd, VMM_IOC_INFO, &vip) == 0) {
		for (i = 0; i < vip.vip_info_ct; i++) {
			vtp.vtp_vm_id = vir[i].vir_id;
			if (ioctl(fd, VMM_IOC_TERM, &vtp) == 0)
				n++;
		}
	}
	free(vir);
	close(fd);
	if (n > 0)
		printf("# %s: left %d VM%s behind (terminated)\n", name, n,
		    n == 1 ? "" : "s");
}

/* Runs one program; returns 1 if it passed. */
static int
run(int num, const char *name)
{
	char path[sizeof(PROGDIR) + NAMELEN], skip[128];
	char *argv[2];
	int fds[2], status;
	pid_t pid, w;

	snprintf(path, sizeof(path), "%s%s", PROGDIR, name);
	if (pipe(fds) == -1)
		err(1, "pipe");
	switch ((pid = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		if (dup2(fds[1], STDOUT_FILENO) == -1 ||
		    dup2(fds[1], STDERR_FILENO) == -1)
			_exit(126);
		close(fds[0]);
		close(fds[1]);
		argv[0] = (char *)name;
		argv[1] = NULL;
		execve(path, argv, environ);
		warn("execve %s", path);
		_exit(127);
	}
	close(fds[1]);
	if (relay(fds[0], skip, sizeof(skip)) == -1) {
		printf("# %s: still running after %ld s\n", name, timeout);
		enter_ddb();
		kill(pid, SIGKILL);
	}
	close(fds[0]);

	/* Orphans of the program come to init too: reap them on the way. */
	while ((w = wait4(WAIT_ANY, &status, 0, NULL)) != pid) {
		if (w == -1 && errno != EINTR)
			err(1, "wait4");
	}
	sweep_vms(name);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (*skip != '\0')
			printf("ok %d - %s # SKIP %s\n", num, name, skip);
		else
			printf("ok %d - %s\n", num, name);
		return (1);
	}
	if (WIFEXITED(status))
		printf("# exit status %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("# killed by signal %d%s\n", WTERMSIG(status),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	printf("not ok %d - %s\n", num, name);
	return (0);
}

int
main(void)
{
	struct rlimit rl;
	char version[256];
	size_t len;
	int fd, i, mib[2], n, pass = 0, verr;

	/* The console as standard input, output and error (fds 0-2). */
	for (i = 0; i < 3; i++)
		if (open("/dev/console", O_RDWR) != i)
			return (1);

	/*
	 * proc0's data limit (DFLDSIZ, 128 MiB) is below what a guest of
	 * 64 MiB and its shared mappings need; login.conf would raise it.
	 */
	if (getrlimit(RLIMIT_DATA, &rl) == -1)
		err(1, "getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_DATA, &rl) == -1)
		err(1, "setrlimit");

	/*
	 * Without vmm(4) (this kernel as a guest: make demo GUEST=openbsd)
	 * there is nothing to test: say so, with the marker the demo's
	 * monitor stops at.
	 */
	if ((fd = open("/dev/vmm", O_RDWR)) == -1) {
		verr = errno;
		mib[0] = CTL_KERN;
		mib[1] = KERN_VERSION;
		len = sizeof(version);
		if (sysctl(mib, 2, version, &len, NULL, 0) == -1)
			strlcpy(version, "?\n", sizeof(version));
		printf("init: %s", version);
		printf("init: /dev/vmm: %s: not a vmm host, nothing to test\n",
		    strerror(verr));
		printf("OBSD-USERLAND: init running\n");
		goto off;
	}
	close(fd);

	read_timeout();
	n = read_list();
	printf("1..%d\n", n);
	for (i = 0; i < n; i++)
		pass += run(i + 1, names[i]);
	printf("%d passed, %d failed\n", pass, n - pass);

off:
	/*
	 * Wait until the console has sent everything: the serial port of
	 * an emulator runs at emulated speed and power-off ends it.
	 */
	if (ioctl(STDOUT_FILENO, TIOCDRAIN) == -1)
		warn("TIOCDRAIN");
	sleep(1);
	reboot(RB_HALT | RB_POWERDOWN);
	warn("reboot");
	for (;;)
		sleep(60);
}
