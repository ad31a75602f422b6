/*
 * libc.c: the small C library regress programs are linked with.
 *
 * This file is compiled as user code, against include/ (so every libc
 * function gets its tb_u_* link name), and talks to the kernel only
 * through kern/tb_syscall.h.  Its data lives in the user image.
 *
 * The same file is the C library of the static OpenBSD executables in
 * regress/obsd/userland, compiled there with -DLIBC_OPENBSD: that
 * directory's sys.c implements tb_syscall.h with real system calls, and
 * the parts below marked "testbed only" (stand-ins for calls the testbed
 * kernel does not have, and <testbed.h>) come from sys.c instead or do
 * not exist.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#ifndef LIBC_OPENBSD
#include <sys/pledge.h>
#endif
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifndef LIBC_OPENBSD
#include <testbed.h>
#endif

#include "tb_syscall.h"

/* The kernel's generator, under its own (kernel) name. */
unsigned int	kern_arc4random(void) __asm__("arc4random");

FILE		__tb_sF[3] = { { 0, 0, 0, 0 }, { 1, 0, 0, 0 }, { 2, 0, 0, 0 } };

static int	 tb_errno;
static const char *tb_progname = "regress";
static void	(*tb_atexit_fns[32])(void);
static int	 tb_natexit;
static unsigned int tb_randstate = 1;

int	__tb_libc_start(int (*)(int, char **), int, char **);

int *
__errno(void)
{
	return (&tb_errno);
}

static int
seterr(int error)
{
	if (error) {
		errno = error;
		return (-1);
	}
	return (0);
}

/*
 * Program entry, on the user stack: main's return value goes to exit().
 */
int
__tb_libc_start(int (*mainfn)(int, char **), int argc, char **argv)
{
	const char *s;

	tb_errno = 0;
	tb_natexit = 0;
	tb_progname = "regress";
	if (argc > 0 && argv[0] != NULL) {
		s = strrchr(argv[0], '/');
		tb_progname = s != NULL ? s + 1 : argv[0];
	}
	exit(mainfn(argc, argv));
}

/*
 * Process control.
 */

int
atexit(void (*fn)(void))
{
	if (tb_natexit == (int)(sizeof(tb_atexit_fns) /
	    sizeof(tb_atexit_fns[0])))
		return (-1);
	tb_atexit_fns[tb_natexit++] = fn;
	return (0);
}

void
exit(int status)
{
	while (tb_natexit > 0)
		tb_atexit_fns[--tb_natexit]();
	tbsys_exit(status);
}

void
_exit(int status)
{
	tbsys_exit(status);
}

void
_Exit(int status)
{
	tbsys_exit(status);
}

void
abort(void)
{
	fprintf(stderr, "%s: abort()\n", tb_progname);
	tbsys_exit(128 + 6);
}

pid_t
getpid(void)
{
	return (tbsys_getpid());
}

#ifndef LIBC_OPENBSD	/* testbed only */
pid_t
getppid(void)
{
	return (1);
}

uid_t
getuid(void)
{
	return (0);
}

uid_t
geteuid(void)
{
	return (0);
}

unsigned int
sleep(unsigned int secs)
{
	(void)secs;
	return (0);
}

int
usleep(useconds_t usecs)
{
	(void)usecs;
	return (0);
}
#endif /* !LIBC_OPENBSD */

int
getpagesize(void)
{
	return (4096);
}

long
sysconf(int name)
{
	switch (name) {
	case _SC_PAGESIZE:
		return (4096);
	case _SC_NPROCESSORS_CONF:
	case _SC_NPROCESSORS_ONLN:
		return (1);
	}
	errno = EINVAL;
	return (-1);
}

const char *
getprogname(void)
{
	return (tb_progname);
}

void
setprogname(const char *name)
{
	const char *s = strrchr(name, '/');

	tb_progname = s != NULL ? s + 1 : name;
}

char *
getenv(const char *name)
{
	(void)name;
	return (NULL);
}

int
isatty(int fd)
{
	(void)fd;
	errno = ENOTTY;
	return (0);
}

#ifndef LIBC_OPENBSD	/* testbed only */
static const struct {
	const char	*name;
	uint64_t	 bits;
} pledgenames[] = {
	{ "stdio", PLEDGE_STDIO }, { "rpath", PLEDGE_RPATH },
	{ "wpath", PLEDGE_WPATH }, { "cpath", PLEDGE_CPATH },
	{ "dpath", PLEDGE_DPATH }, { "tmppath", PLEDGE_TMPPATH },
	{ "inet", PLEDGE_INET }, { "mcast", PLEDGE_MCAST },
	{ "fattr", PLEDGE_FATTR }, { "chown", PLEDGE_CHOWN },
	{ "flock", PLEDGE_FLOCK }, { "unix", PLEDGE_UNIX },
	{ "dns", PLEDGE_DNS }, { "getpw", PLEDGE_GETPW },
	{ "sendfd", PLEDGE_SENDFD }, { "recvfd", PLEDGE_RECVFD },
	{ "tape", PLEDGE_TAPE }, { "tty", PLEDGE_TTY },
	{ "proc", PLEDGE_PROC }, { "exec", PLEDGE_EXEC },
	{ "prot_exec", PLEDGE_PROTEXEC }, { "settime", PLEDGE_SETTIME },
	{ "ps", PLEDGE_PS }, { "vminfo", PLEDGE_VMINFO },
	{ "id", PLEDGE_ID }, { "pf", PLEDGE_PF },
	{ "route", PLEDGE_ROUTE }, { "wroute", PLEDGE_WROUTE },
	{ "audio", PLEDGE_AUDIO }, { "video", PLEDGE_VIDEO },
	{ "bpf", PLEDGE_BPF }, { "unveil", PLEDGE_UNVEIL },
	{ "error", PLEDGE_ERROR }, { "disklabel", PLEDGE_DISKLABEL },
	{ "drm", PLEDGE_DRM }, { "vmm", PLEDGE_VMM },
};

int
pledge(const char *promises, const char *execpromises)
{
	uint64_t bits = 0;
	const char *s = promises, *e;
	size_t i, len;

	(void)execpromises;
	if (promises == NULL)
		return (0);
	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		for (e = s; *e != '\0' && *e != ' '; e++)
			;
		len = e - s;
		for (i = 0; i < sizeof(pledgenames) / sizeof(pledgenames[0]);
		    i++)
			if (strlen(pledgenames[i].name) == len &&
			    strncmp(pledgenames[i].name, s, len) == 0)
				break;
		if (i == sizeof(pledgenames) / sizeof(pledgenames[0]))
			return (seterr(EINVAL));
		bits |= pledgenames[i].bits;
		s = e;
	}
	return (seterr(tbsys_pledge(bits, 1)));
}

int
unveil(const char *path, const char *perms)
{
	(void)path;
	(void)perms;
	return (0);
}
#endif /* !LIBC_OPENBSD */

/*
 * Files.
 */

int
open(const char *path, int flags, ...)
{
	va_list ap;
	int fd, mode = 0, error;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	error = tbsys_open(path, flags, mode, &fd);
	if (error)
		return (seterr(error));
	return (fd);
}

int
close(int fd)
{
	return (seterr(tbsys_close(fd)));
}

int
dup(int fd)
{
	int nfd, error;

	error = tbsys_dup(fd, &nfd);
	if (error)
		return (seterr(error));
	return (nfd);
}

int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg, ret;
	int error;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	error = tbsys_fcntl(fd, cmd, arg, &ret);
	if (error)
		return (seterr(error));
	return ((int)ret);
}

int
ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (seterr(tbsys_ioctl(fd, request, arg)));
}

ssize_t
read(int fd, void *buf, size_t len)
{
	size_t n;
	int error;

	error = tbsys_read(fd, buf, len, &n);
	if (error)
		return (seterr(error));
	return ((ssize_t)n);
}

/*
 * getopt(3): POSIX, with OpenBSD's messages; no optreset.
 */
char	*optarg;
int	 optind = 1, opterr = 1, optopt;
static int optpos;		/* in argv[optind]; 0: at its start */

int
getopt(int argc, char * const *argv, const char *optstring)
{
	const char *arg, *o;

	optarg = NULL;
	if (optpos == 0) {
		if (optind >= argc || (arg = argv[optind]) == NULL ||
		    arg[0] != '-' || arg[1] == '\0')
			return (-1);
		if (strcmp(arg, "--") == 0) {
			optind++;
			return (-1);
		}
		optpos = 1;
	}
	arg = argv[optind];
	optopt = arg[optpos++];
	if (optopt == ':' || (o = strchr(optstring, optopt)) == NULL) {
		if (arg[optpos] == '\0') {
			optind++;
			optpos = 0;
		}
		if (opterr && optstring[0] != ':')
			fprintf(stderr, "%s: unknown option -- %c\n",
			    getprogname(), optopt);
		return ('?');
	}
	if (o[1] != ':') {
		if (arg[optpos] == '\0') {
			optind++;
			optpos = 0;
		}
		return (optopt);
	}
	if (arg[optpos] != '\0')
		optarg = (char *)arg + optpos;
	else if (optind + 1 < argc)
		optarg = argv[++optind];
	else {
		optind++;
		optpos = 0;
		if (optstring[0] == ':')
			return (':');
		if (opterr)
			fprintf(stderr, "%s: option requires an argument "
			    "-- %c\n", getprogname(), optopt);
		return ('?');
	}
	optind++;
	optpos = 0;
	return (optopt);
}

off_t
lseek(int fd, off_t off, int whence)
{
	off_t ret;
	int error;

	error = tbsys_lseek(fd, off, whence, &ret);
	if (error)
		return (seterr(error));
	return (ret);
}

#ifndef LIBC_OPENBSD	/* testbed only */
int
clock_gettime(clockid_t clock, struct timespec *ts)
{
	return (seterr(tbsys_clock_gettime(clock, ts)));
}
#endif

ssize_t
write(int fd, const void *buf, size_t len)
{
	size_t n;
	int error;

	error = tbsys_write(fd, buf, len, &n);
	if (error)
		return (seterr(error));
	return ((ssize_t)n);
}

/*
 * Memory.
 */

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *ret;
	int error;

	error = tbsys_mmap(addr, len, prot, flags, fd, off, &ret);
	if (error) {
		errno = error;
		return (MAP_FAILED);
	}
	return (ret);
}

int
munmap(void *addr, size_t len)
{
	return (seterr(tbsys_munmap(addr, len)));
}

int
mprotect(void *addr, size_t len, int prot)
{
	return (seterr(tbsys_mprotect(addr, len, prot)));
}

int
mimmutable(void *addr, size_t len)
{
	return (seterr(tbsys_mimmutable(addr, len)));
}

int
madvise(void *addr, size_t len, int advice)
{
	(void)addr;
	(void)len;
	(void)advice;
	return (0);
}

int
minherit(void *addr, size_t len, int inherit)
{
	(void)addr;
	(void)len;
	(void)inherit;
	return (0);
}

void *
malloc(size_t size)
{
	void *p = tbsys_umalloc(size, 16);

	if (p == NULL)
		errno = ENOMEM;
	return (p);
}

void *
calloc(size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		return (NULL);
	}
	if ((p = malloc(nmemb * size)) != NULL)
		memset(p, 0, nmemb * size);
	return (p);
}

void
free(void *p)
{
	if (p == NULL)
		return;
	if (tbsys_ufree(p, NULL) != 0) {
		fprintf(stderr, "%s: free(%p): not a malloc'ed pointer\n",
		    tb_progname, p);
		abort();
	}
}

void
freezero(void *p, size_t size)
{
	if (p == NULL)
		return;
	explicit_bzero(p, size);
	free(p);
}

void *
realloc(void *p, size_t size)
{
	size_t old;
	void *n;

	if (p == NULL)
		return (malloc(size));
	if (tbsys_usize(p, &old) != 0) {
		fprintf(stderr, "%s: realloc(%p): not a malloc'ed pointer\n",
		    tb_progname, p);
		abort();
	}
	if ((n = malloc(size)) == NULL)
		return (NULL);
	memcpy(n, p, old < size ? old : size);
	free(p);
	return (n);
}

void *
reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		return (NULL);
	}
	return (realloc(p, nmemb * size));
}

void *
recallocarray(void *p, size_t oldnmemb, size_t nmemb, size_t size)
{
	void *n;

	if (size != 0 && (nmemb > SIZE_MAX / size ||
	    oldnmemb > SIZE_MAX / size)) {
		errno = ENOMEM;
		return (NULL);
	}
	if ((n = calloc(nmemb, size)) == NULL)
		return (NULL);
	if (p != NULL) {
		memcpy(n, p, (oldnmemb < nmemb ? oldnmemb : nmemb) * size);
		freezero(p, oldnmemb * size);
	}
	return (n);
}

int
posix_memalign(void **pp, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return (EINVAL);
	if ((p = tbsys_umalloc(size, align)) == NULL)
		return (ENOMEM);
	*pp = p;
	return (0);
}

void *
aligned_alloc(size_t align, size_t size)
{
	void *p;
	int error;

	if ((error = posix_memalign(&p, align, size)) != 0) {
		errno = error;
		return (NULL);
	}
	return (p);
}

char *
strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p;

	if ((p = malloc(len)) != NULL)
		memcpy(p, s, len);
	return (p);
}

char *
strndup(const char *s, size_t max)
{
	size_t len = strnlen(s, max);
	char *p;

	if ((p = malloc(len + 1)) != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return (p);
}

/*
 * stdio: formatted output goes through a small buffer to write(2).
 */

struct outbuf {
	int	fd;
	size_t	len;
	int	error;
	char	buf[256];
};

static void
ob_flush(struct outbuf *ob)
{
	size_t n;

	if (ob->len != 0 && tbsys_write(ob->fd, ob->buf, ob->len, &n) != 0)
		ob->error = 1;
	ob->len = 0;
}

static void
ob_putc(int c, void *arg)
{
	struct outbuf *ob = arg;

	ob->buf[ob->len++] = c;
	if (ob->len == sizeof(ob->buf))
		ob_flush(ob);
}

int
vdprintf(int fd, const char *fmt, va_list ap)
{
	struct outbuf ob;
	int n;

	ob.fd = fd;
	ob.len = 0;
	ob.error = 0;
	n = tb_vformat(ob_putc, &ob, fmt, ap);
	ob_flush(&ob);
	if (ob.error) {
		errno = EBADF;
		return (-1);
	}
	return (n);
}

int
dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return (n);
}

int
vfprintf(FILE *fp, const char *fmt, va_list ap)
{
	int n = vdprintf(fp->_file, fmt, ap);

	if (n < 0)
		fp->_err = 1;
	return (n);
}

int
fprintf(FILE *fp, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(fp, fmt, ap);
	va_end(ap);
	return (n);
}

int
vprintf(const char *fmt, va_list ap)
{
	return (vfprintf(stdout, fmt, ap));
}

int
printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return (n);
}

int
vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return (tb_vsformat(buf, size, fmt, ap));
}

int
snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return (n);
}

int
sprintf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, INT_MAX, fmt, ap);
	va_end(ap);
	return (n);
}

int
vasprintf(char **ret, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if ((*ret = malloc(n + 1)) == NULL)
		return (-1);
	vsnprintf(*ret, n + 1, fmt, ap);
	return (n);
}

int
asprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	return (n);
}

int
fputs(const char *s, FILE *fp)
{
	size_t n;

	if (tbsys_write(fp->_file, s, strlen(s), &n) != 0) {
		fp->_err = 1;
		return (EOF);
	}
	return (0);
}

int
puts(const char *s)
{
	if (fputs(s, stdout) == EOF || fputs("\n", stdout) == EOF)
		return (EOF);
	return (0);
}

int
fputc(int c, FILE *fp)
{
	unsigned char ch = c;
	size_t n;

	if (tbsys_write(fp->_file, &ch, 1, &n) != 0) {
		fp->_err = 1;
		return (EOF);
	}
	return (ch);
}

int
putc(int c, FILE *fp)
{
	return (fputc(c, fp));
}

int
putchar(int c)
{
	return (fputc(c, stdout));
}

size_t
fwrite(const void *buf, size_t size, size_t nmemb, FILE *fp)
{
	size_t n;

	if (size == 0 || nmemb == 0)
		return (0);
	if (tbsys_write(fp->_file, buf, size * nmemb, &n) != 0) {
		fp->_err = 1;
		return (0);
	}
	return (n / size);
}

int
fflush(FILE *fp)
{
	(void)fp;
	return (0);
}

int
fileno(FILE *fp)
{
	return (fp->_file);
}

void
setbuf(FILE *fp, char *buf)
{
	(void)fp;
	(void)buf;
}

int
setvbuf(FILE *fp, char *buf, int mode, size_t size)
{
	(void)fp;
	(void)buf;
	(void)mode;
	(void)size;
	return (0);
}

int
getchar(void)
{
	return (EOF);
}

int
ferror(FILE *fp)
{
	return (fp->_err);
}

/*
 * Errors.
 */

static const char *const errlist[] = {
	"Undefined error: 0", "Operation not permitted",
	"No such file or directory", "No such process",
	"Interrupted system call", "Input/output error",
	"Device not configured", "Argument list too long",
	"Exec format error", "Bad file descriptor", "No child processes",
	"Resource deadlock avoided", "Cannot allocate memory",
	"Permission denied", "Bad address", "Block device required",
	"Device busy", "File exists", "Cross-device link",
	"Operation not supported by device", "Not a directory",
	"Is a directory", "Invalid argument",
	"Too many open files in system", "Too many open files",
	"Inappropriate ioctl for device", "Text file busy",
	"File too large", "No space left on device", "Illegal seek",
	"Read-only file system", "Too many links", "Broken pipe",
	"Numerical argument out of domain", "Result too large",
	"Resource temporarily unavailable",
};

char *
strerror(int error)
{
	static char buf[32];

	if (error >= 0 &&
	    error < (int)(sizeof(errlist) / sizeof(errlist[0])))
		return ((char *)errlist[error]);
	switch (error) {
	case ETIMEDOUT:
		return ((char *)"Operation timed out");
	case ENAMETOOLONG:
		return ((char *)"File name too long");
	case ENOSYS:
		return ((char *)"Function not implemented");
	case EOPNOTSUPP:
		return ((char *)"Operation not supported");
	}
	snprintf(buf, sizeof(buf), "Unknown error: %d", error);
	return (buf);
}

int
strerror_r(int error, char *buf, size_t len)
{
	strlcpy(buf, strerror(error), len);
	return (0);
}

void
perror(const char *s)
{
	if (s != NULL && *s != '\0')
		fprintf(stderr, "%s: %s\n", s, strerror(errno));
	else
		fprintf(stderr, "%s\n", strerror(errno));
}

void
vwarnc(int code, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", tb_progname);
	if (fmt != NULL) {
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, ": ");
	}
	fprintf(stderr, "%s\n", strerror(code));
}

void
vwarn(const char *fmt, va_list ap)
{
	vwarnc(errno, fmt, ap);
}

void
vwarnx(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", tb_progname);
	if (fmt != NULL)
		vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

void
warnc(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnc(code, fmt, ap);
	va_end(ap);
}

void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void
verrc(int status, int code, const char *fmt, va_list ap)
{
	vwarnc(code, fmt, ap);
	exit(status);
}

void
verr(int status, const char *fmt, va_list ap)
{
	vwarnc(errno, fmt, ap);
	exit(status);
}

void
verrx(int status, const char *fmt, va_list ap)
{
	vwarnx(fmt, ap);
	exit(status);
}

void
errc(int status, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrc(status, code, fmt, ap);
}

void
err(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(status, fmt, ap);
}

void
errx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrx(status, fmt, ap);
}

/*
 * Numbers.
 */

int
abs(int v)
{
	return (v < 0 ? -v : v);
}

long
labs(long v)
{
	return (v < 0 ? -v : v);
}

long long
llabs(long long v)
{
	return (v < 0 ? -v : v);
}

static int
digitval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'Z')
		return (c - 'A' + 10);
	return (99);
}

/*
 * Parse an integer: magnitude in *magp, sign in *negp.  Returns 0, or
 * ERANGE if the magnitude exceeds "limit".
 */
static int
parse_num(const char *s, char **endp, int base, unsigned long long limit,
    unsigned long long *magp, int *negp)
{
	const char *p = s, *start;
	unsigned long long v = 0;
	int d, overflow = 0;

	*negp = 0;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '-' || *p == '+')
		*negp = (*p++ == '-');
	if ((base == 0 || base == 16) && p[0] == '0' &&
	    (p[1] == 'x' || p[1] == 'X') && digitval(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0)
		base = (p[0] == '0') ? 8 : 10;
	start = p;
	while ((d = digitval(*p)) < base) {
		if (v > (limit - d) / base)
			overflow = 1;
		else
			v = v * base + d;
		p++;
	}
	if (endp != NULL)
		*endp = (char *)(p == start ? s : p);
	*magp = overflow ? limit : v;
	return (overflow ? ERANGE : 0);
}

long long
strtoll(const char *s, char **endp, int base)
{
	unsigned long long mag;
	int neg;

	if (parse_num(s, endp, base, (unsigned long long)LLONG_MAX + 1, &mag,
	    &neg) != 0 || (!neg && mag > LLONG_MAX)) {
		errno = ERANGE;
		return (neg ? LLONG_MIN : LLONG_MAX);
	}
	return (neg ? -(long long)(mag - 1) - 1 : (long long)mag);
}

long
strtol(const char *s, char **endp, int base)
{
	return ((long)strtoll(s, endp, base));
}

unsigned long long
strtoull(const char *s, char **endp, int base)
{
	unsigned long long mag;
	int neg;

	if (parse_num(s, endp, base, ULLONG_MAX, &mag, &neg) != 0) {
		errno = ERANGE;
		return (ULLONG_MAX);
	}
	return (neg ? -mag : mag);
}

unsigned long
strtoul(const char *s, char **endp, int base)
{
	return ((unsigned long)strtoull(s, endp, base));
}

int
atoi(const char *s)
{
	return ((int)strtol(s, NULL, 10));
}

long
atol(const char *s)
{
	return (strtol(s, NULL, 10));
}

long long
strtonum(const char *s, long long minval, long long maxval,
    const char **errstrp)
{
	long long v = 0;
	char *end;
	int saved = errno;
	const char *errstr = NULL;

	if (minval > maxval)
		errstr = "invalid";
	else {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (s == end || *end != '\0')
			errstr = "invalid";
		else if ((v == LLONG_MIN && errno == ERANGE) || v < minval)
			errstr = "too small";
		else if ((v == LLONG_MAX && errno == ERANGE) || v > maxval)
			errstr = "too large";
	}
	if (errstrp != NULL)
		*errstrp = errstr;
	errno = errstr != NULL ? (strcmp(errstr, "invalid") == 0 ? EINVAL :
	    ERANGE) : saved;
	return (errstr != NULL ? 0 : v);
}

void
qsort(void *base, size_t nmemb, size_t size,
    int (*cmp)(const void *, const void *))
{
	unsigned char *b = base, tmp;
	size_t i, j, k;

	/* Insertion sort: small inputs only. */
	for (i = 1; i < nmemb; i++)
		for (j = i; j > 0 && cmp(b + (j - 1) * size, b + j * size) > 0;
		    j--)
			for (k = 0; k < size; k++) {
				tmp = b[(j - 1) * size + k];
				b[(j - 1) * size + k] = b[j * size + k];
				b[j * size + k] = tmp;
			}
}

int
rand(void)
{
	tb_randstate = tb_randstate * 1103515245 + 12345;
	return ((tb_randstate >> 1) & RAND_MAX);
}

void
srand(unsigned int seed)
{
	tb_randstate = seed;
}

unsigned int
arc4random(void)
{
	return (kern_arc4random());
}

unsigned int
arc4random_uniform(unsigned int bound)
{
	return (bound < 2 ? 0 : arc4random() % bound);
}

void
arc4random_buf(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len-- > 0)
		*p++ = arc4random() & 0xff;
}

#ifndef LIBC_OPENBSD	/* testbed only */
/*
 * <testbed.h>
 */

int
tb_proc_new(uint64_t pledges)
{
	int pid, error;

	error = tbsys_proc_new(pledges, &pid);
	if (error)
		return (seterr(error));
	return (pid);
}

void
tb_proc_switch(int pid)
{
	if (tbsys_proc_switch(pid) != 0)
		errx(1, "tb_proc_switch: no process %d", pid);
}

int
tb_proc_exit(int pid)
{
	return (seterr(tbsys_proc_exit(pid)));
}

int
tb_proc_signal(int pid, int sig)
{
	return (seterr(tbsys_proc_signal(pid, sig, 1)));
}

int
tb_proc_clearsig(int pid)
{
	return (seterr(tbsys_proc_signal(pid, 0, 0)));
}

int
tb_pledge_violations(void)
{
	return (tbsys_pledge_violations());
}

uint64_t
tb_pledge_lastcode(void)
{
	return (tbsys_pledge_lastcode());
}

size_t
tb_pages_in_use(void)
{
	return (tbsys_pages_in_use());
}

size_t
tb_aobjs_alive(void)
{
	return (tbsys_aobjs_alive());
}

size_t
tb_mappings_alive(void)
{
	return (tbsys_mappings_alive());
}

size_t
tb_malloc_outstanding(void)
{
	return (tbsys_malloc_outstanding());
}

void
tb_set_should_yield(int on)
{
	tbsys_should_yield(on);
}

const void *
tb_cpu_ept_pmap(void)
{
	return (tbsys_cpu_ept_pmap());
}

unsigned int
tb_ticks(void)
{
	return (tbsys_ticks());
}

int
tb_clock(int on)
{
	return (tbsys_clock(on));
}

unsigned int
tb_ipis(int taken)
{
	return (tbsys_ipis(taken));
}

int
tb_dev_activate(int act)
{
	int error = tbsys_dev_activate(act);

	return (error ? seterr(error) : 0);
}

int
tb_thread_start(int pid, void (*fn)(void *), void *arg, void *stack,
    size_t size)
{
	return (seterr(tbsys_thread_start(pid, fn, arg, stack, size)));
}

int
tb_thread_join(int pid)
{
	return (seterr(tbsys_thread_join(pid)));
}

int
tb_yield(void)
{
	return (tbsys_yield());
}
#endif /* !LIBC_OPENBSD */
