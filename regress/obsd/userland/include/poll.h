/* <poll.h> of the OpenBSD userland: poll(2). */

#ifndef _OBSD_POLL_H_
#define _OBSD_POLL_H_

struct pollfd {
	int	fd;
	short	events;		/* what to wait for */
	short	revents;	/* what happened */
};

typedef unsigned int	nfds_t;

#define POLLIN		0x0001
#define POLLERR		0x0008
#define POLLHUP		0x0010

int	poll(struct pollfd *, nfds_t, int);

#endif /* !_OBSD_POLL_H_ */
