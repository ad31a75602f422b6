/*
 * pmem.c: the physical page allocator.
 *
 * Two bitmaps cover the first 4 GiB (the identity-mapped range), one bit
 * per 4 KiB page: "free" (may be handed out) and "allocated" (handed out
 * by pmem_alloc*(), must come back through pmem_free()).  A page in
 * neither set is reserved: BIOS area, kernel image, holes, the kernel
 * heap arena.  Allocations are physically contiguous and aligned; the
 * number of allocated pages is what the leak check compares.
 */

#include <sys/param.h>
#include <sys/systm.h>

#include <uvm/uvm_extern.h>

#include "tb.h"

#define PMEM_MAXPAGES	(1UL << 20)		/* 4 GiB */
#define PMEM_LOW	0x100000UL		/* never below 1 MiB */

static uint64_t	pmem_freemap[PMEM_MAXPAGES / 64];
static uint64_t	pmem_allocmap[PMEM_MAXPAGES / 64];
static size_t	pmem_npages_free;
static size_t	pmem_npages_alloc;
static size_t	pmem_npages_total;
static u_long	pmem_maxpage;			/* highest usable + 1 */

#define BIT_TEST(map, i)	(((map)[(i) >> 6] >> ((i) & 63)) & 1)
#define BIT_SET(map, i)		((map)[(i) >> 6] |= 1ULL << ((i) & 63))
#define BIT_CLR(map, i)		((map)[(i) >> 6] &= ~(1ULL << ((i) & 63)))

void
pmem_init(const struct tb_memrange *r, int n, paddr_t kstart, paddr_t kend)
{
	u_long pg, lo, hi;
	int i;

	for (i = 0; i < n; i++) {
		uint64_t start = r[i].start, end = r[i].end;

		if (start < PMEM_LOW)
			start = PMEM_LOW;
		if (end > PMEM_MAXPAGES * PAGE_SIZE)
			end = PMEM_MAXPAGES * PAGE_SIZE;
		lo = atop(round_page(start));
		hi = atop(trunc_page(end));
		for (pg = lo; pg < hi; pg++) {
			if (BIT_TEST(pmem_freemap, pg))
				continue;
			BIT_SET(pmem_freemap, pg);
			pmem_npages_free++;
			if (pg + 1 > pmem_maxpage)
				pmem_maxpage = pg + 1;
		}
	}

	/* The kernel image, from load address to end of bss. */
	for (pg = atop(trunc_page(kstart)); pg < atop(round_page(kend)); pg++) {
		if (BIT_TEST(pmem_freemap, pg)) {
			BIT_CLR(pmem_freemap, pg);
			pmem_npages_free--;
		}
	}
	pmem_npages_total = pmem_npages_free;
}

static int
range_free(u_long first, size_t npages, u_long *badp)
{
	u_long pg;

	for (pg = first; pg < first + npages; pg++) {
		if (!BIT_TEST(pmem_freemap, pg)) {
			*badp = pg;
			return (0);
		}
	}
	return (1);
}

/*
 * Find npages contiguous free pages at an address aligned to "align"
 * (bytes, a power of two), within [low, high], not crossing a multiple
 * of "boundary" (0: no limit).  Returns the physical address, 0 if none.
 */
static paddr_t
pmem_find(size_t npages, paddr_t align, paddr_t low, paddr_t high,
    paddr_t boundary)
{
	u_long step, pg, bad, last;
	paddr_t pa, len = ptoa(npages);

	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if (!powerof2(align) || (boundary != 0 && (!powerof2(boundary) ||
	    boundary < len)))
		return (0);
	step = atop(align);
	if (low < PMEM_LOW)
		low = PMEM_LOW;
	last = pmem_maxpage;
	if (high != 0 && high < ptoa(PMEM_MAXPAGES) - 1 &&
	    atop(high + 1) < last)
		last = atop(high + 1);

	pg = roundup(atop(round_page(low)), step);
	while (pg + npages <= last) {
		pa = ptoa(pg);
		if (boundary != 0 &&
		    (pa & ~(boundary - 1)) != ((pa + len - 1) & ~(boundary - 1))) {
			pg = roundup(atop(roundup(pa + 1, boundary)), step);
			continue;
		}
		if (range_free(pg, npages, &bad))
			return (pa);
		pg = roundup(bad + 1, step);
	}
	return (0);
}

static void
pmem_take(paddr_t pa, size_t npages, int counted)
{
	u_long pg;

	for (pg = atop(pa); pg < atop(pa) + npages; pg++) {
		BIT_CLR(pmem_freemap, pg);
		if (counted)
			BIT_SET(pmem_allocmap, pg);
	}
	pmem_npages_free -= npages;
	if (counted)
		pmem_npages_alloc += npages;
}

paddr_t
pmem_alloc_range(size_t npages, paddr_t align, paddr_t low, paddr_t high,
    paddr_t boundary, int flags)
{
	paddr_t pa;

	if (npages == 0 || npages > pmem_npages_free)
		return (0);
	pa = pmem_find(npages, align, low, high, boundary);
	if (pa == 0)
		return (0);
	pmem_take(pa, npages, 1);
	if (flags & PMEM_ZERO)
		memset((void *)pa, 0, ptoa(npages));
	return (pa);
}

paddr_t
pmem_alloc(size_t npages, paddr_t align, int flags)
{
	return (pmem_alloc_range(npages, align, 0, 0, 0, flags));
}

void
pmem_free(paddr_t pa, size_t npages)
{
	u_long pg;

	if (pa & PAGE_MASK)
		panic("pmem_free: unaligned address 0x%lx", pa);
	for (pg = atop(pa); pg < atop(pa) + npages; pg++)
		if (pg >= PMEM_MAXPAGES || !BIT_TEST(pmem_allocmap, pg))
			panic("pmem_free: page 0x%lx (of 0x%lx, %zu pages) "
			    "is not allocated", ptoa(pg), pa, npages);
	for (pg = atop(pa); pg < atop(pa) + npages; pg++) {
		BIT_CLR(pmem_allocmap, pg);
		BIT_SET(pmem_freemap, pg);
	}
	pmem_npages_alloc -= npages;
	pmem_npages_free += npages;
}

/*
 * Take [start, end) out of the free pages for good, before anything is
 * allocated: memory the boot loader filled (modules, their list).
 */
void
pmem_exclude(paddr_t start, paddr_t end)
{
	u_long pg;

	for (pg = atop(trunc_page(start)); pg < atop(round_page(end)) &&
	    pg < PMEM_MAXPAGES; pg++) {
		if (BIT_TEST(pmem_freemap, pg)) {
			BIT_CLR(pmem_freemap, pg);
			pmem_npages_free--;
			pmem_npages_total--;
		}
	}
}

/* Carve out pages for good (not counted as in use), e.g. the heap. */
paddr_t
pmem_reserve(size_t npages)
{
	paddr_t pa;

	pa = pmem_find(npages, PAGE_SIZE, 0, 0, 0);
	if (pa == 0)
		panic("pmem_reserve: no %zu contiguous pages", npages);
	pmem_take(pa, npages, 0);
	pmem_npages_total -= npages;
	return (pa);
}

int
pmem_is_allocated(paddr_t pa)
{
	return (atop(pa) < PMEM_MAXPAGES &&
	    BIT_TEST(pmem_allocmap, atop(pa)));
}

size_t
pmem_pages_in_use(void)
{
	return (pmem_npages_alloc);
}

size_t
pmem_pages_free(void)
{
	return (pmem_npages_free);
}

size_t
pmem_pages_total(void)
{
	return (pmem_npages_total);
}
