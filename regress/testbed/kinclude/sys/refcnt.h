/* Testbed <sys/refcnt.h>: reference counters, OpenBSD interface. */

#ifndef _SYS_REFCNT_H_
#define _SYS_REFCNT_H_

struct refcnt {
	unsigned int	r_refs;
	int		r_traceidx;
};

#define REFCNT_INITIALIZER()	{ .r_refs = 1, .r_traceidx = 0 }

#ifdef _KERNEL
void		refcnt_init(struct refcnt *);
void		refcnt_init_trace(struct refcnt *, int);
void		refcnt_take(struct refcnt *);
int		refcnt_rele(struct refcnt *);
void		refcnt_rele_wake(struct refcnt *);
void		refcnt_finalize(struct refcnt *, const char *);
unsigned int	refcnt_read(const struct refcnt *);

#define refcnt_shared(r)	(refcnt_read((r)) > 1)
#endif

#endif /* !_SYS_REFCNT_H_ */
