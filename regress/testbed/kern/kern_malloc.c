/*
 * kern_malloc.c: malloc(9) and free(9) on the kernel heap arena.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>
#include <sys/pool.h>

#include <uvm/uvm_extern.h>

#include "tb.h"

struct tb_arena	kmem_arena;
struct tb_acct	tbstat;

#define KMEM_MIN	(4UL << 20)
#define KMEM_MAX	(64UL << 20)

/*
 * The heap is one contiguous region taken from the page allocator at
 * boot (an eighth of RAM, 4 - 64 MiB); it is not counted as pages in use.
 */
void
kmem_init(void)
{
	size_t bytes;
	paddr_t pa;

	bytes = ptoa(pmem_pages_free()) / 8;
	if (bytes < KMEM_MIN)
		bytes = KMEM_MIN;
	if (bytes > KMEM_MAX)
		bytes = KMEM_MAX;
	bytes = trunc_page(bytes);
	pa = pmem_reserve(atop(bytes));
	arena_init(&kmem_arena, "kmem", (void *)pa, bytes, 1);
	printf("# kmem: heap arena 0x%lx-0x%lx (%zu KiB)\n", pa, pa + bytes,
	    bytes / 1024);
}

void *
malloc(size_t size, int type, int flags)
{
	void *p;

	if ((flags & (M_WAITOK | M_NOWAIT)) == 0)
		panic("malloc: flags 0x%x have neither M_WAITOK nor M_NOWAIT",
		    flags);
	if (type <= M_FREE || type >= M_LAST)
		panic("malloc: bogus type %d", type);
	p = arena_alloc(&kmem_arena, size, 16, NULL, type, flags & M_ZERO);
	if (p == NULL) {
		if ((flags & M_WAITOK) && !(flags & M_CANFAIL))
			panic("malloc: out of space in kmem_map "
			    "(%zu bytes, type %d)", size, type);
		return (NULL);
	}
	tbstat.malloc_objs++;
	tbstat.malloc_bytes += size;
	return (p);
}

void *
mallocarray(size_t nmemb, size_t size, int type, int flags)
{
	if (size != 0 && nmemb > SIZE_MAX / size) {
		if (flags & M_CANFAIL)
			return (NULL);
		panic("mallocarray: overflow %zu * %zu", nmemb, size);
	}
	return (malloc(nmemb * size, type, flags));
}

void
free(void *addr, int type, size_t freedsize)
{
	size_t size;
	const void *owner;
	int error, otype;

	if (addr == NULL)
		return;
	error = arena_info(&kmem_arena, addr, &size, &owner, &otype);
	if (error == ARENA_DOUBLE)
		panic("free: %p (type %d) already freed", addr, type);
	if (error != ARENA_OK)
		panic("free: %p (type %d) was not returned by malloc", addr,
		    type);
	if (owner != NULL)
		panic("free: %p belongs to pool \"%s\", use pool_put",
		    addr, ((const struct pool *)owner)->pr_wchan);
	if (freedsize != 0 && freedsize != size)
		panic("free: size %zu != %zu, object %p type %d", freedsize,
		    size, addr, otype);
	(void)arena_free(&kmem_arena, addr, NULL, 0);
	tbstat.malloc_objs--;
	tbstat.malloc_bytes -= size;
}

void
tb_acct_snapshot(struct tb_acct *a)
{
	*a = tbstat;
	a->pages = pmem_pages_in_use();
}
