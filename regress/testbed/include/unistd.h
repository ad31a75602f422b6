/* Testbed <unistd.h>. */

#ifndef _UNISTD_H_
#define _UNISTD_H_

#include <sys/types.h>

#define STDIN_FILENO	0
#define STDOUT_FILENO	1
#define STDERR_FILENO	2

#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2

#define _SC_PAGESIZE	28
#define _SC_PAGE_SIZE	_SC_PAGESIZE
#define _SC_NPROCESSORS_CONF	502
#define _SC_NPROCESSORS_ONLN	503

#ifndef _KERNEL
int	 close(int) __TB_LIBC(close);
ssize_t	 read(int, void *, size_t) __TB_LIBC(read);
ssize_t	 write(int, const void *, size_t) __TB_LIBC(write);
off_t	 lseek(int, off_t, int) __TB_LIBC(lseek);
int	 getopt(int, char * const *, const char *) __TB_LIBC(getopt);
extern char	*optarg __TB_LIBC(optarg);
extern int	 optind __TB_LIBC(optind);
extern int	 opterr __TB_LIBC(opterr);
extern int	 optopt __TB_LIBC(optopt);
pid_t	 getpid(void) __TB_LIBC(getpid);
pid_t	 getppid(void) __TB_LIBC(getppid);
uid_t	 getuid(void) __TB_LIBC(getuid);
uid_t	 geteuid(void) __TB_LIBC(geteuid);
__dead void	_exit(int) __TB_LIBC(_exit);
unsigned int	sleep(unsigned int) __TB_LIBC(sleep);
int	 usleep(useconds_t) __TB_LIBC(usleep);
int	 getpagesize(void) __TB_LIBC(getpagesize);
long	 sysconf(int) __TB_LIBC(sysconf);
int	 pledge(const char *, const char *) __TB_LIBC(pledge);
int	 unveil(const char *, const char *) __TB_LIBC(unveil);
int	 isatty(int) __TB_LIBC(isatty);
int	 dup(int) __TB_LIBC(dup);
#endif

#endif /* !_UNISTD_H_ */
