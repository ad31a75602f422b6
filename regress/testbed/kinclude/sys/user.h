/* Testbed <sys/user.h>: the per-thread "u-area". */

#ifndef _SYS_USER_H_
#define _SYS_USER_H_

#include <machine/pcb.h>

struct user {
	struct pcb	u_pcb;
};

#endif /* !_SYS_USER_H_ */
