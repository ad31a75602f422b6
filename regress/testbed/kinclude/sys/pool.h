/*
 * Testbed <sys/pool.h>: pool(9).  Items are allocated individually from
 * the kernel heap with the pool's alignment (no caching), so a put item
 * really goes away and leaks show up in the accounting.  pool_put()
 * checks that the item came from that pool.
 */

#ifndef _SYS_POOL_H_
#define _SYS_POOL_H_

#include <sys/types.h>
#include <sys/queue.h>

#define PR_WAITOK	0x0001
#define PR_NOWAIT	0x0002
#define PR_LIMITFAIL	0x0004
#define PR_ZERO		0x0008
#define PR_RWLOCK	0x0010
#define PR_WANTED	0x0100

struct pool;

struct pool_allocator {
	void	*(*pa_alloc)(struct pool *, int, int *);
	void	 (*pa_free)(struct pool *, void *);
	size_t	   pa_pagesz;
};

struct pool {
	TAILQ_ENTRY(pool)	 pr_poollist;
	const char		*pr_wchan;
	size_t			 pr_size;
	u_int			 pr_align;
	int			 pr_ipl;
	int			 pr_flags;
	u_int			 pr_nout;	/* items outstanding */
	u_long			 pr_nget;
	u_long			 pr_nput;
	u_long			 pr_nfail;
	u_int			 pr_hardlimit;
	u_int			 pr_hiwat;
	u_int			 pr_lowat;
	u_int			 pr_magic;
};

#ifdef _KERNEL
extern struct pool_allocator	pool_allocator_single;
extern struct pool_allocator	pool_allocator_multi;

void	 pool_init(struct pool *, size_t, u_int, int, int, const char *,
	    struct pool_allocator *);
void	 pool_destroy(struct pool *);
void	*pool_get(struct pool *, int);
void	 pool_put(struct pool *, void *);
void	 pool_setlowat(struct pool *, int);
void	 pool_sethiwat(struct pool *, int);
int	 pool_sethardlimit(struct pool *, u_int, const char *, int);
void	 pool_setipl(struct pool *, int);
#endif

#endif /* !_SYS_POOL_H_ */
