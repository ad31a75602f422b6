/* <sys/wait.h> of the OpenBSD userland, with OpenBSD's status encoding. */

#ifndef _OBSD_SYS_WAIT_H_
#define _OBSD_SYS_WAIT_H_

#include <sys/types.h>

/* Low 7 bits: 0 exited, 0177 stopped, else the signal that killed it. */
#define _WSTATUS(x)	((x) & 0177)
#define _WSTOPPED	0177
#define WIFEXITED(x)	(_WSTATUS(x) == 0)
#define WEXITSTATUS(x)	(((x) >> 8) & 0xff)
#define WIFSIGNALED(x)	(_WSTATUS(x) != _WSTOPPED && _WSTATUS(x) != 0)
#define WTERMSIG(x)	(_WSTATUS(x))
#define WIFSTOPPED(x)	(_WSTATUS(x) == _WSTOPPED)
#define WSTOPSIG(x)	(((x) >> 8) & 0xff)
#define WCOREFLAG	0200
#define WCOREDUMP(x)	((x) & WCOREFLAG)

#define WNOHANG		0x01
#define WUNTRACED	0x02

#define WAIT_ANY	(-1)

struct rusage;

pid_t	wait4(pid_t, int *, int, struct rusage *);
pid_t	waitpid(pid_t, int *, int);

#endif /* !_OBSD_SYS_WAIT_H_ */
