/*
 * heap.c: a simple first-fit heap over one contiguous region ("arena").
 *
 * Used for the kernel heap (malloc(9), pool(9), testbed structures) and
 * for every simulated process's user malloc arena.  Each block starts
 * with a 32-byte header; free blocks are kept in an address-ordered list
 * and merged with their neighbours on free.  Payloads are at least
 * 16-byte aligned; larger alignments are served by splitting off a
 * leading free fragment.
 */

#include <sys/param.h>
#include <sys/systm.h>

#include "tb.h"

struct hblk {
	size_t		 hb_size;	/* whole block, header included */
	size_t		 hb_req;	/* size asked for */
	const void	*hb_owner;	/* e.g. the pool; NULL for malloc */
	uint32_t	 hb_magic;
	int32_t		 hb_type;
};

#define HB_HDR		sizeof(struct hblk)
#define HB_MIN		(HB_HDR + 32)
#define HB_USED		0x75534544	/* "DESu" */
#define HB_FREE		0x66524545	/* "EERf" */
#define HB_JUNK		0xdf

CTASSERT(sizeof(struct hblk) == 32);

/* Free blocks keep the next pointer right after the header. */
#define HB_NEXT(b)	(*(struct hblk **)((char *)(b) + HB_HDR))

void
arena_init(struct tb_arena *a, const char *name, void *start, size_t len,
    int junk)
{
	struct hblk *b;
	uintptr_t s = roundup((uintptr_t)start, 16);

	len = rounddown(len - (s - (uintptr_t)start), 16);
	memset(a, 0, sizeof(*a));
	a->a_name = name;
	a->a_start = s;
	a->a_end = s + len;
	a->a_junk = junk;
	b = (struct hblk *)s;
	b->hb_size = len;
	b->hb_magic = HB_FREE;
	HB_NEXT(b) = NULL;
	a->a_free = b;
}

int
arena_contains(struct tb_arena *a, const void *p)
{
	return ((uintptr_t)p >= a->a_start + HB_HDR &&
	    (uintptr_t)p < a->a_end);
}

void *
arena_alloc(struct tb_arena *a, size_t size, size_t align, const void *owner,
    int type, int zero)
{
	struct hblk **linkp, *b, *t, *n;
	uintptr_t bstart, bend, start, payload;
	size_t need, lead, tail;

	if (align < 16)
		align = 16;
	if (!powerof2(align))
		return (NULL);
	if (size > a->a_end - a->a_start)
		return (NULL);
	need = roundup(size == 0 ? 1 : size, 16) + HB_HDR;
	if (need < HB_MIN)
		need = HB_MIN;

	for (linkp = &a->a_free; (b = *linkp) != NULL; linkp = &HB_NEXT(b)) {
		if (b->hb_magic != HB_FREE)
			panic("%s arena: free list corrupt at %p", a->a_name, b);
		bstart = (uintptr_t)b;
		bend = bstart + b->hb_size;
		payload = roundup(bstart + HB_HDR, align);
		start = payload - HB_HDR;
		lead = start - bstart;
		if (lead != 0 && lead < HB_MIN) {
			payload = roundup(bstart + HB_HDR + HB_MIN, align);
			start = payload - HB_HDR;
			lead = start - bstart;
		}
		if (start + need > bend)
			continue;
		tail = bend - (start + need);
		if (tail < HB_MIN) {
			need += tail;
			tail = 0;
		}

		/* Unlink b, then put the fragments back in address order. */
		n = HB_NEXT(b);
		*linkp = n;
		if (tail != 0) {
			t = (struct hblk *)(start + need);
			t->hb_size = tail;
			t->hb_magic = HB_FREE;
			HB_NEXT(t) = *linkp;
			*linkp = t;
		}
		if (lead != 0) {
			b->hb_size = lead;
			HB_NEXT(b) = *linkp;
			*linkp = b;
		}

		t = (struct hblk *)start;
		t->hb_size = need;
		t->hb_req = size;
		t->hb_owner = owner;
		t->hb_magic = HB_USED;
		t->hb_type = type;
		if (zero)
			memset((void *)payload, 0, size);
		else if (a->a_junk)
			memset((void *)payload, HB_JUNK, size);
		a->a_objs++;
		a->a_bytes += size;
		return ((void *)payload);
	}
	return (NULL);
}

static struct hblk *
arena_block(struct tb_arena *a, const void *p)
{
	struct hblk *b;

	if (((uintptr_t)p & 15) != 0 || !arena_contains(a, p))
		return (NULL);
	b = (struct hblk *)((uintptr_t)p - HB_HDR);
	return (b);
}

int
arena_info(struct tb_arena *a, const void *p, size_t *sizep,
    const void **ownerp, int *typep)
{
	struct hblk *b = arena_block(a, p);

	if (b == NULL)
		return (ARENA_BADPTR);
	if (b->hb_magic == HB_FREE)
		return (ARENA_DOUBLE);
	if (b->hb_magic != HB_USED)
		return (ARENA_BADPTR);
	if (sizep != NULL)
		*sizep = b->hb_req;
	if (ownerp != NULL)
		*ownerp = b->hb_owner;
	if (typep != NULL)
		*typep = b->hb_type;
	return (ARENA_OK);
}

/*
 * Free p.  "owner" must match what arena_alloc() was given; "size", if
 * non-zero, must match the requested size.
 */
int
arena_free(struct tb_arena *a, void *p, const void *owner, size_t size)
{
	struct hblk **linkp, *b, *prev, *n;
	int error;

	error = arena_info(a, p, NULL, NULL, NULL);
	if (error)
		return (error);
	b = arena_block(a, p);
	if (b->hb_owner != owner)
		return (ARENA_OWNER);
	if (size != 0 && size != b->hb_req)
		return (ARENA_SIZE);

	a->a_objs--;
	a->a_bytes -= b->hb_req;
	if (a->a_junk)
		memset(p, HB_JUNK, b->hb_size - HB_HDR);
	b->hb_magic = HB_FREE;

	prev = NULL;
	for (linkp = &a->a_free; (n = *linkp) != NULL && n < b;
	    linkp = &HB_NEXT(n))
		prev = n;
	HB_NEXT(b) = n;
	*linkp = b;
	if (n != NULL && (uintptr_t)b + b->hb_size == (uintptr_t)n) {
		b->hb_size += n->hb_size;
		HB_NEXT(b) = HB_NEXT(n);
		n->hb_magic = 0;
	}
	if (prev != NULL && (uintptr_t)prev + prev->hb_size == (uintptr_t)b) {
		prev->hb_size += b->hb_size;
		HB_NEXT(prev) = HB_NEXT(b);
		b->hb_magic = 0;
	}
	return (ARENA_OK);
}
