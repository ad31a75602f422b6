/*
 * kern_pool.c: pool(9).  Each item is a separate allocation from the
 * kernel heap arena, tagged with its pool so that pool_put() can check
 * where it came from.  There is no caching: a put item is really freed.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>
#include <sys/pool.h>

#include "tb.h"

#define POOL_MAGIC	0x504f4f4c

static TAILQ_HEAD(, pool) pool_head = TAILQ_HEAD_INITIALIZER(pool_head);

struct pool_allocator pool_allocator_single;
struct pool_allocator pool_allocator_multi;

void
pool_init(struct pool *pp, size_t size, u_int align, int ipl, int flags,
    const char *wchan, struct pool_allocator *palloc)
{
	(void)palloc;

	if (align == 0)
		align = ALIGNBYTES + 1;
	if (!powerof2(align))
		panic("pool_init: %s: alignment %u not a power of 2", wchan,
		    align);
	if (size == 0)
		panic("pool_init: %s: zero item size", wchan);
	memset(pp, 0, sizeof(*pp));
	pp->pr_wchan = wchan;
	pp->pr_size = roundup(size, align);
	pp->pr_align = align;
	pp->pr_ipl = ipl;
	pp->pr_flags = flags;
	pp->pr_magic = POOL_MAGIC;
	TAILQ_INSERT_TAIL(&pool_head, pp, pr_poollist);
}

void
pool_destroy(struct pool *pp)
{
	if (pp->pr_magic != POOL_MAGIC)
		panic("pool_destroy: %p is not an initialized pool", pp);
	if (pp->pr_nout != 0)
		panic("pool_destroy: pool \"%s\" busy: %u items still out",
		    pp->pr_wchan, pp->pr_nout);
	TAILQ_REMOVE(&pool_head, pp, pr_poollist);
	pp->pr_magic = 0;
}

void *
pool_get(struct pool *pp, int flags)
{
	void *v;

	if (pp->pr_magic != POOL_MAGIC)
		panic("pool_get: %p is not an initialized pool", pp);
	if ((flags & (PR_WAITOK | PR_NOWAIT)) == 0)
		panic("pool_get: %s: flags 0x%x have neither PR_WAITOK nor "
		    "PR_NOWAIT", pp->pr_wchan, flags);
	while (pp->pr_hardlimit != 0 && pp->pr_nout >= pp->pr_hardlimit) {
		if (flags & (PR_NOWAIT | PR_LIMITFAIL)) {
			pp->pr_nfail++;
			return (NULL);
		}
		/* Only another thread (a sleep hook) can put an item back. */
		(void)tb_sleep(pp, PSWP, pp->pr_wchan, INFSLP);
	}
	v = arena_alloc(&kmem_arena, pp->pr_size, pp->pr_align, pp, M_DEVBUF,
	    flags & PR_ZERO);
	if (v == NULL) {
		if (flags & PR_WAITOK)
			panic("pool_get: %s: out of memory", pp->pr_wchan);
		pp->pr_nfail++;
		return (NULL);
	}
	pp->pr_nout++;
	pp->pr_nget++;
	tbstat.pool_items++;
	return (v);
}

void
pool_put(struct pool *pp, void *v)
{
	int error;

	if (v == NULL)
		panic("pool_put of NULL to %s", pp->pr_wchan);
	if (pp->pr_magic != POOL_MAGIC)
		panic("pool_put: %p is not an initialized pool", pp);
	error = arena_free(&kmem_arena, v, pp, 0);
	switch (error) {
	case ARENA_OK:
		break;
	case ARENA_DOUBLE:
		panic("pool_put: %s: item %p already put", pp->pr_wchan, v);
	case ARENA_OWNER:
		panic("pool_put: %s: item %p is not from this pool",
		    pp->pr_wchan, v);
	default:
		panic("pool_put: %s: %p is not a pool item", pp->pr_wchan, v);
	}
	pp->pr_nout--;
	pp->pr_nput++;
	tbstat.pool_items--;
	if (pp->pr_hardlimit != 0)
		wakeup_one(pp);
}

void
pool_setlowat(struct pool *pp, int n)
{
	pp->pr_lowat = n;
}

void
pool_sethiwat(struct pool *pp, int n)
{
	pp->pr_hiwat = n;
}

int
pool_sethardlimit(struct pool *pp, u_int n, const char *warnmsg, int ratecap)
{
	(void)warnmsg;
	(void)ratecap;
	if (n < pp->pr_nout)
		return (EINVAL);
	pp->pr_hardlimit = n;
	return (0);
}

void
pool_setipl(struct pool *pp, int ipl)
{
	pp->pr_ipl = ipl;
}
