/*
 * selftest.c: the testbed's own tests of the kernel services it offers
 * the driver.  They run before the regress programs, in kernel context
 * (curproc is proc0 unless a test switches), and get the same leak
 * check as programs.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>
#include <sys/pool.h>
#include <sys/proc.h>
#include <sys/signalvar.h>
#include <sys/rwlock.h>
#include <sys/refcnt.h>
#include <sys/mutex.h>
#include <uvm/uvm_extern.h>
#include <uvm/uvm_aobj.h>

#include "tb.h"

#define CHECK(e) do {							\
	if (!(e)) {							\
		printf("# FAIL %s:%d: %s\n", __FILE__, __LINE__, #e);	\
		return (1);						\
	}								\
} while (0)

#define RW	(PROT_READ | PROT_WRITE)

static int
all_bytes(const void *p, int c, size_t len)
{
	const unsigned char *b = p;

	while (len-- > 0)
		if (*b++ != (unsigned char)c)
			return (0);
	return (1);
}

static int
fmt_is(const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strcmp(buf, want) == 0)
		return (1);
	printf("# format \"%s\" gave \"%s\", want \"%s\"\n", fmt, buf, want);
	return (0);
}

static int
st_printf(void)
{
	char small[4];

	CHECK(fmt_is("-42", "%d", -42));
	CHECK(fmt_is("   42|42   |00042|-0042", "%5d|%-5d|%05d|%05d", 42, 42,
	    42, -42));
	CHECK(fmt_is("+7  7", "%+d % d", 7, 7));
	CHECK(fmt_is("4294967295", "%u", 0xffffffffU));
	CHECK(fmt_is("dead DEAD 0xdead", "%x %X %#x", 0xdead, 0xdead, 0xdead));
	CHECK(fmt_is("123456789abcdef0", "%lx", 0x123456789abcdef0UL));
	CHECK(fmt_is("ffffffffffffffff", "%llx", 0xffffffffffffffffULL));
	CHECK(fmt_is("-9223372036854775808", "%lld", LLONG_MIN));
	CHECK(fmt_is("18446744073709551615", "%zu", (size_t)-1));
	CHECK(fmt_is("-5", "%zd", (ssize_t)-5));
	CHECK(fmt_is("0x1000", "%p", (void *)0x1000));
	CHECK(fmt_is("hi there", "%s %s", "hi", "there"));
	CHECK(fmt_is("[  abc][abc  ][ab]", "[%5s][%-5s][%.2s]", "abc", "abc",
	    "abc"));
	CHECK(fmt_is("(null)", "%s", (char *)NULL));
	CHECK(fmt_is("x|  y", "%c|%3c", 'x', 'y'));
	CHECK(fmt_is("100%", "%d%%", 100));
	CHECK(fmt_is("0000000000001000", "%016lx", 0x1000UL));
	CHECK(fmt_is("-1 255", "%hd %hhu", (short)-1, (unsigned char)255));
	CHECK(fmt_is("   007", "%6.3d", 7));
	CHECK(fmt_is("17", "%o", 15));
	CHECK(fmt_is("5<ONE,THREE>", "%b", 5, "\20\1ONE\2TWO\3THREE"));
	CHECK(fmt_is("12 34", "%*d %-*d", 2, 12, 2, 34));
	CHECK(snprintf(small, sizeof(small), "%s", "abcdef") == 6);
	CHECK(strcmp(small, "abc") == 0);
	return (0);
}

static int
st_pmem(void)
{
	size_t base = pmem_pages_in_use();
	paddr_t a, b, c;

	a = pmem_alloc(1, 0, PMEM_ZERO);
	CHECK(a != 0 && (a & PAGE_MASK) == 0);
	CHECK(all_bytes((void *)a, 0, PAGE_SIZE));
	b = pmem_alloc(8, 32768, PMEM_ZERO);
	CHECK(b != 0 && (b & 32767) == 0);
	CHECK(all_bytes((void *)b, 0, 8 * PAGE_SIZE));
	CHECK(pmem_pages_in_use() == base + 9);
	memset((void *)b, 0xaa, 8 * PAGE_SIZE);
	pmem_free(b, 8);
	b = pmem_alloc(8, 32768, PMEM_ZERO);
	CHECK(b != 0 && all_bytes((void *)b, 0, 8 * PAGE_SIZE));
	pmem_free(b, 8);

	CHECK(pmem_alloc(pmem_pages_free() + 1, 0, 0) == 0);
	c = pmem_alloc_range(2, 0, 0x4000000, 0x5ffffff, 0, 0);
	CHECK(c >= 0x4000000 && c + 2 * PAGE_SIZE - 1 <= 0x5ffffff);
	pmem_free(c, 2);
	c = pmem_alloc_range(4, 0, 0x10000 - PAGE_SIZE, 0, 0x10000, 0);
	CHECK(c != 0 && (c & ~0xffffUL) == ((c + 4 * PAGE_SIZE - 1) &
	    ~0xffffUL));
	pmem_free(c, 4);

	pmem_free(a, 1);
	CHECK(pmem_pages_in_use() == base);
	return (0);
}

static int
st_malloc(void)
{
	long objs = tbstat.malloc_objs, bytes = tbstat.malloc_bytes;
	void *v[64];
	char *p;
	int *z, i;

	p = malloc(100, M_TEMP, M_WAITOK);
	CHECK(p != NULL && ((vaddr_t)p & 15) == 0);
	CHECK(all_bytes(p, 0xdf, 100));		/* junk, no M_ZERO */
	z = malloc(64 * sizeof(int), M_DEVBUF, M_WAITOK | M_ZERO);
	CHECK(z != NULL && all_bytes(z, 0, 64 * sizeof(int)));
	CHECK(tbstat.malloc_objs == objs + 2);
	CHECK(tbstat.malloc_bytes == bytes + 100 + 256);
	free(p, M_TEMP, 100);
	free(z, M_DEVBUF, 0);
	free(NULL, M_DEVBUF, 0);
	CHECK(tbstat.malloc_objs == objs && tbstat.malloc_bytes == bytes);

	CHECK(mallocarray(SIZE_MAX / 2, 4, M_TEMP, M_WAITOK | M_CANFAIL) ==
	    NULL);
	CHECK(malloc(1UL << 40, M_TEMP, M_NOWAIT) == NULL);

	/* Interleaved sizes, freed out of order: the arena must coalesce. */
	for (i = 0; i < 64; i++) {
		v[i] = malloc(16 + i * 40, M_TEMP, M_WAITOK);
		memset(v[i], i, 16 + i * 40);
	}
	for (i = 0; i < 64; i += 2)
		free(v[i], M_TEMP, 16 + i * 40);
	for (i = 1; i < 64; i += 2) {
		CHECK(all_bytes(v[i], i, 16 + i * 40));
		free(v[i], M_TEMP, 16 + i * 40);
	}
	CHECK(tbstat.malloc_objs == objs && tbstat.malloc_bytes == bytes);
	p = malloc(1 << 20, M_TEMP, M_WAITOK);
	CHECK(p != NULL);
	free(p, M_TEMP, 1 << 20);
	return (0);
}

static int
st_pool(void)
{
	struct pool pl;
	void *items[10];
	long out = tbstat.pool_items;
	int i;

	pool_init(&pl, 100, 64, IPL_NONE, PR_WAITOK, "tbpl", NULL);
	for (i = 0; i < 10; i++) {
		items[i] = pool_get(&pl, PR_WAITOK | PR_ZERO);
		CHECK(items[i] != NULL && ((vaddr_t)items[i] & 63) == 0);
		CHECK(all_bytes(items[i], 0, 100));
		memset(items[i], 0x55, 100);
	}
	CHECK(pl.pr_nout == 10 && tbstat.pool_items == out + 10);
	CHECK(pool_sethardlimit(&pl, 10, NULL, 0) == 0);
	CHECK(pool_get(&pl, PR_NOWAIT) == NULL);
	for (i = 0; i < 10; i++)
		pool_put(&pl, items[i]);
	CHECK(pl.pr_nout == 0 && tbstat.pool_items == out);
	pool_destroy(&pl);
	return (0);
}

static struct process	*st_other;

static void
hook_release_lock(struct proc *p, const volatile void *ident,
    const char *wmesg, void *arg)
{
	(void)p;
	(void)ident;
	(void)wmesg;
	tb_proc_switch_to(st_other->ps_mainproc);
	rw_exit(arg);
}

static int
st_rwlock(void)
{
	struct rwlock rwl;
	struct rrwlock rrwl;

	rw_init(&rwl, "tbrw");
	CHECK(rw_status(&rwl) == 0);
	rw_enter_write(&rwl);
	CHECK(rw_status(&rwl) == RW_WRITE && rw_write_held(&rwl));
	rw_exit_write(&rwl);
	rw_enter_read(&rwl);
	rw_enter_read(&rwl);
	CHECK(rw_status(&rwl) == RW_READ);
	CHECK(rw_enter(&rwl, RW_WRITE | RW_NOSLEEP) == EBUSY);
	rw_exit_read(&rwl);
	rw_exit_read(&rwl);
	CHECK(rw_status(&rwl) == 0);

	/* Held for writing by another process. */
	st_other = tb_process_new(TB_PLEDGE_ALL, "rwother");
	CHECK(st_other != NULL);
	tb_proc_switch_to(st_other->ps_mainproc);
	CHECK(rw_enter(&rwl, RW_WRITE) == 0);
	tb_proc_switch_to(&proc0);
	CHECK(rw_status(&rwl) == RW_WRITE_OTHER);
	CHECK(rw_enter(&rwl, RW_READ | RW_NOSLEEP) == EBUSY);
	CHECK(rw_enter(&rwl, RW_WRITE | RW_NOSLEEP) == EBUSY);
	proc0.p_siglist |= sigmask(SIGINT);
	CHECK(rw_enter(&rwl, RW_WRITE | RW_INTR) == EINTR);
	CHECK(rw_enter(&rwl, RW_READ | RW_INTR) == EINTR);
	proc0.p_siglist = 0;

	/* The "other thread" lets go while we wait. */
	tb_set_sleep_hook(hook_release_lock, &rwl);
	CHECK(rw_enter(&rwl, RW_WRITE) == 0);
	tb_set_sleep_hook(NULL, NULL);
	CHECK(curproc == &proc0 && rw_status(&rwl) == RW_WRITE);
	CHECK(rw_enter(&rwl, RW_DOWNGRADE) == 0);
	CHECK(rw_status(&rwl) == RW_READ);
	CHECK(rw_enter(&rwl, RW_UPGRADE) == 0);
	CHECK(rw_status(&rwl) == RW_WRITE);
	rw_exit(&rwl);

	rrw_init(&rrwl, "tbrrw");
	CHECK(rrw_enter(&rrwl, RW_WRITE) == 0);
	CHECK(rrw_enter(&rrwl, RW_WRITE) == 0);
	CHECK(rrw_enter(&rrwl, RW_WRITE | RW_RECURSEFAIL) == EDEADLK);
	rrw_exit(&rrwl);
	CHECK(rrw_status(&rrwl) == RW_WRITE);
	rrw_exit(&rrwl);
	CHECK(rrw_status(&rrwl) == 0);
	return (0);
}

static int st_chan;

static void
hook_wakeup(struct proc *p, const volatile void *ident, const char *wmesg,
    void *arg)
{
	(void)p;
	(void)wmesg;
	(void)arg;
	wakeup(ident);
}

static int
st_sleep(void)
{
	struct rwlock rwl;
	struct mutex mtx;
	uint64_t t0;

	rw_init(&rwl, "tbslk");
	rw_enter_write(&rwl);
	CHECK(rwsleep_nsec(&st_chan, &rwl, PWAIT, "tbslp", MSEC_TO_NSEC(10)) ==
	    EWOULDBLOCK);
	CHECK(rw_status(&rwl) == RW_WRITE);		/* relocked */

	t0 = getnsecuptime();
	CHECK(tsleep_nsec(&st_chan, PWAIT, "tbslp", SEC_TO_NSEC(1)) ==
	    EWOULDBLOCK);
	CHECK(getnsecuptime() - t0 >= SEC_TO_NSEC(1));

	proc0.p_siglist |= sigmask(SIGTERM);
	CHECK(SIGPENDING(&proc0) != 0);
	CHECK(rwsleep_nsec(&st_chan, &rwl, PWAIT | PCATCH, "tbslp", INFSLP) ==
	    EINTR);
	CHECK(rw_status(&rwl) == RW_WRITE);
	/* Without PCATCH a signal does not end the sleep. */
	CHECK(tsleep_nsec(&st_chan, PWAIT, "tbslp", 1000) == EWOULDBLOCK);
	proc0.p_sigmask = sigmask(SIGTERM);
	CHECK(SIGPENDING(&proc0) == 0);
	proc0.p_sigmask = 0;
	proc0.p_siglist = 0;

	tb_set_sleep_hook(hook_wakeup, NULL);
	CHECK(rwsleep_nsec(&st_chan, &rwl, PWAIT | PCATCH, "tbslp", INFSLP) ==
	    0);
	CHECK(rw_status(&rwl) == RW_WRITE);
	tb_set_sleep_hook(NULL, NULL);

	CHECK(rwsleep_nsec(&st_chan, &rwl, PWAIT | PNORELOCK, "tbslp", 5) ==
	    EWOULDBLOCK);
	CHECK(rw_status(&rwl) == 0);

	mtx_init(&mtx, IPL_HIGH);
	mtx_enter(&mtx);
	MUTEX_ASSERT_LOCKED(&mtx);
	CHECK(msleep_nsec(&st_chan, &mtx, PWAIT, "tbmtx", 5) == EWOULDBLOCK);
	CHECK(mtx_owned(&mtx));
	mtx_leave(&mtx);
	CHECK(mtx_enter_try(&mtx) == 1);
	mtx_leave(&mtx);
	return (0);
}

static void
hook_rele(struct proc *p, const volatile void *ident, const char *wmesg,
    void *arg)
{
	(void)p;
	(void)ident;
	(void)wmesg;
	refcnt_rele_wake(arg);
}

static int
st_refcnt(void)
{
	struct refcnt r = REFCNT_INITIALIZER();

	CHECK(refcnt_read(&r) == 1);
	refcnt_finalize(&r, "tbref");		/* last one: no sleep */
	CHECK(refcnt_read(&r) == 0);

	refcnt_init(&r);
	refcnt_take(&r);
	refcnt_take(&r);
	CHECK(refcnt_read(&r) == 3 && refcnt_shared(&r));
	CHECK(refcnt_rele(&r) == 0);
	CHECK(refcnt_read(&r) == 2);
	/* Someone else holds a reference; the hook drops it. */
	tb_set_sleep_hook(hook_rele, &r);
	refcnt_finalize(&r, "tbref");
	tb_set_sleep_hook(NULL, NULL);
	CHECK(refcnt_read(&r) == 0);
	return (0);
}

static int
st_km_alloc(void)
{
	const struct kmem_pa_mode contig = {
		.kp_constraint = &no_constraint,
		.kp_maxseg = 1,
		.kp_align = 16384,
		.kp_zero = 1,
	};
	size_t pages = pmem_pages_in_use();
	long kmp = tbstat.km_pages;
	paddr_t pa;
	void *va, *v2;

	va = km_alloc(3 * PAGE_SIZE, &kv_any, &contig, &kd_waitok);
	CHECK(va != NULL && ((vaddr_t)va & 16383) == 0);
	CHECK(pmap_extract(pmap_kernel(), (vaddr_t)va, &pa) &&
	    pa == (paddr_t)va);
	CHECK(pmap_extract(pmap_kernel(), (vaddr_t)va + 2 * PAGE_SIZE + 5,
	    &pa) && pa == (paddr_t)va + 2 * PAGE_SIZE + 5);
	CHECK(all_bytes(va, 0, 3 * PAGE_SIZE));
	CHECK(pmem_pages_in_use() == pages + 3 && tbstat.km_pages == kmp + 3);

	v2 = km_alloc(PAGE_SIZE, &kv_page, &kp_zero, &kd_waitok);
	CHECK(v2 != NULL && all_bytes(v2, 0, PAGE_SIZE));
	km_free(v2, PAGE_SIZE, &kv_page, &kp_zero);
	v2 = km_alloc(PAGE_SIZE, &kv_any, &kp_dirty, &kd_nowait);
	CHECK(v2 != NULL && all_bytes(v2, 0xdf, PAGE_SIZE));
	km_free(v2, PAGE_SIZE, &kv_any, &kp_dirty);
	v2 = km_alloc(2 * PAGE_SIZE, &kv_any, &kp_dma_contig, &kd_waitok);
	CHECK(v2 != NULL && (paddr_t)v2 + 2 * PAGE_SIZE - 1 <= 0xffffffffUL);
	km_free(v2, 2 * PAGE_SIZE, &kv_any, &kp_dma_contig);
	CHECK(km_alloc(ptoa(pmem_pages_free() + 16), &kv_any, &kp_zero,
	    &kd_nowait) == NULL);

	km_free(va, 3 * PAGE_SIZE, &kv_any, &contig);
	CHECK(pmem_pages_in_use() == pages && tbstat.km_pages == kmp);
	return (0);
}

static int
st_uvm_map(void)
{
	struct process *pr, *pr2;
	struct vm_map *map, *map2;
	struct uvm_object *uobj;
	long aobjs = tbstat.aobjs, maps = tbstat.mappings;
	unsigned int flags = UVM_MAPFLAG(RW, RW, MAP_INHERIT_NONE,
	    MADV_NORMAL, UVM_FLAG_CONCEAL);
	vaddr_t va, va2, a;
	paddr_t pa, pa2;
	size_t pages;
	char buf[8];

	pr = tb_process_new(TB_PLEDGE_ALL, "uvm1");
	pr2 = tb_process_new(TB_PLEDGE_ALL, "uvm2");
	CHECK(pr != NULL && pr2 != NULL);
	map = &pr->ps_vmspace->vm_map;
	map2 = &pr2->ps_vmspace->vm_map;

	/* What vm_create does: aobj, map it, make it immutable. */
	uobj = uao_create(4 * PAGE_SIZE, UAO_FLAG_CANFAIL);
	CHECK(uobj != NULL && tbstat.aobjs == aobjs + 1);
	va = 0;
	CHECK(uvm_map(map, &va, 4 * PAGE_SIZE, uobj, 0, 0, flags) == 0);
	CHECK(va >= map->min_offset && va + 4 * PAGE_SIZE <= map->max_offset);
	CHECK(tbstat.mappings == maps + 1);
	CHECK(uvm_map_immutable(map, va, va + 4 * PAGE_SIZE, 1) == 0);
	uao_reference(uobj);			/* the "vmm" reference */

	/* Lazy: nothing resident until faulted. */
	CHECK(!pmap_extract(map->pmap, va, &pa));
	CHECK(uvm_fault_wire(map, va, va + PAGE_SIZE, RW) == 0);
	CHECK(pmap_extract(map->pmap, va + 12, &pa) &&
	    pa == uobj->tb_pages[0] + 12);
	CHECK(pmap_resident_count(map->pmap) == 1);

	/* A fault through the page fault handler (copyout). */
	tb_proc_switch_to(pr->ps_mainproc);
	CHECK(copyout("hello", (void *)(va + PAGE_SIZE + 8), 6) == 0);
	CHECK(pmap_resident_count(map->pmap) == 2);
	CHECK(strcmp((char *)(va + PAGE_SIZE + 8), "hello") == 0);
	CHECK(uvm_tb_munmap(pr->ps_mainproc, va, PAGE_SIZE) == EPERM);
	a = va;
	CHECK(uvm_tb_mmap(pr->ps_mainproc, &a, PAGE_SIZE, RW,
	    MAP_ANON | MAP_PRIVATE | MAP_FIXED) == EPERM);

	/* Shared into a second process (vm_share_mem). */
	va2 = 0;
	CHECK(uvm_map(map2, &va2, 4 * PAGE_SIZE, uobj, 0, 0, flags) == 0);
	uao_reference(uobj);
	tb_proc_switch_to(pr2->ps_mainproc);
	CHECK(copyin((void *)(va2 + PAGE_SIZE + 8), buf, 6) == 0);
	CHECK(strcmp(buf, "hello") == 0);
	CHECK(pmap_extract(map2->pmap, va2 + PAGE_SIZE, &pa2) &&
	    pmap_extract(map->pmap, va + PAGE_SIZE, &pa) && pa == pa2);
	/* pr's address is not pr2's memory. */
	CHECK(copyin((void *)(va + PAGE_SIZE + 8), buf, 6) == EFAULT);
	tb_proc_switch_to(&proc0);

	uvm_unmap(map2, va2, va2 + 4 * PAGE_SIZE);
	uvm_unmap(map, va, va + 4 * PAGE_SIZE);	/* immutable or not */
	CHECK(tbstat.mappings == maps && tbstat.aobjs == aobjs + 1);
	CHECK(uobj->uo_refs == 1 && uobj->uo_npages == 2);
	uao_detach(uobj);
	CHECK(tbstat.aobjs == aobjs);

	/* Mapping at an offset of a larger object. */
	uobj = uao_create(8 * PAGE_SIZE, 0);
	va = 0;
	CHECK(uvm_map(map, &va, 2 * PAGE_SIZE, uobj, 4 * PAGE_SIZE, 0,
	    flags) == 0);
	CHECK(uvm_fault_wire(map, va, va + 2 * PAGE_SIZE, RW) == 0);
	CHECK(pmap_extract(map->pmap, va + PAGE_SIZE, &pa) &&
	    pa == uobj->tb_pages[5]);
	CHECK(uvm_map(map, &va, 2 * PAGE_SIZE, uobj, 7 * PAGE_SIZE, 0,
	    flags) == EINVAL);
	uvm_unmap(map, va, va + 2 * PAGE_SIZE);	/* drops the last ref */
	CHECK(tbstat.aobjs == aobjs);

	/* Anonymous memory: a partial munmap frees its pages. */
	tb_proc_switch_to(pr->ps_mainproc);
	a = 0;
	CHECK(uvm_tb_mmap(pr->ps_mainproc, &a, 4 * PAGE_SIZE, RW,
	    MAP_ANON | MAP_PRIVATE) == 0);
	for (va = a; va < a + 4 * PAGE_SIZE; va += PAGE_SIZE)
		CHECK(copyout("x", (void *)va, 1) == 0);
	pages = pmem_pages_in_use();
	CHECK(uvm_tb_munmap(pr->ps_mainproc, a + PAGE_SIZE, 2 * PAGE_SIZE) ==
	    0);
	CHECK(pmem_pages_in_use() == pages - 2);
	CHECK(tbstat.mappings == maps + 2);
	CHECK(copyin((void *)(a + PAGE_SIZE), buf, 1) == EFAULT);
	CHECK(copyin((void *)(a + 3 * PAGE_SIZE), buf, 1) == 0 &&
	    buf[0] == 'x');

	/* mprotect: read-only refuses copyout, still allows copyin. */
	CHECK(uvm_tb_mprotect(pr->ps_mainproc, a, PAGE_SIZE, PROT_READ) == 0);
	CHECK(copyout("y", (void *)a, 1) == EFAULT);
	CHECK(copyin((void *)a, buf, 1) == 0 && buf[0] == 'x');
	CHECK(uvm_tb_mprotect(pr->ps_mainproc, a, PAGE_SIZE, RW) == 0);
	CHECK(copyout("y", (void *)a, 1) == 0);
	tb_proc_switch_to(&proc0);

	/* Process exit takes the rest away (checked by the leak check). */
	tb_process_exit(pr2);
	tb_process_exit(pr);
	return (0);
}

static int
st_copyin(void)
{
	struct process *pr, *pr2;
	struct proc *p;
	vaddr_t a = 0, end;
	char buf[64];
	size_t done;
	int kvar = 1;

	pr = tb_process_new(TB_PLEDGE_ALL, "copy1");
	pr2 = tb_process_new(TB_PLEDGE_ALL, "copy2");
	CHECK(pr != NULL && pr2 != NULL);
	p = pr->ps_mainproc;
	tb_proc_switch_to(p);
	CHECK(uvm_tb_mmap(p, &a, 2 * PAGE_SIZE, RW, MAP_ANON | MAP_PRIVATE) ==
	    0);
	end = a + 2 * PAGE_SIZE;

	CHECK(copyout("abc", (void *)a, 4) == 0);
	CHECK(copyin((void *)a, buf, 4) == 0 && strcmp(buf, "abc") == 0);
	CHECK(copyin((void *)(end - 2), buf, 4) == EFAULT);
	CHECK(copyout(buf, (void *)(end - 2), 4) == EFAULT);
	CHECK(copyin((void *)(end - 4), buf, 4) == 0);
	CHECK(copyin((void *)0x1000, buf, 4) == EFAULT);
	CHECK(copyin(&kvar, buf, sizeof(kvar)) == EFAULT);
	CHECK(copyin((void *)-8L, buf, 16) == EFAULT);
	CHECK(copyin(__user_image_start, buf, 1) == 0);
	CHECK(copyin(NULL, buf, 0) == 0);

	CHECK(copyout("hello", (void *)a, 6) == 0);
	CHECK(copyinstr((void *)a, buf, sizeof(buf), &done) == 0 &&
	    done == 6 && strcmp(buf, "hello") == 0);
	CHECK(copyinstr((void *)a, buf, 3, &done) == ENAMETOOLONG &&
	    done == 3);
	CHECK(copyout("wxyz", (void *)(end - 4), 4) == 0);
	CHECK(copyinstr((void *)(end - 4), buf, sizeof(buf), &done) ==
	    EFAULT && done == 4);
	CHECK(copyoutstr("hi", (void *)a, 8, &done) == 0 && done == 3);

	/* Only the current process's memory counts. */
	tb_proc_switch_to(pr2->ps_mainproc);
	CHECK(copyin((void *)a, buf, 1) == EFAULT);
	tb_proc_switch_to(&proc0);
	CHECK(copyin((void *)a, buf, 1) == EFAULT);
	return (0);
}

static int
st_pmap(void)
{
	size_t pages = pmem_pages_in_use();
	struct pmap *pm;
	paddr_t pa1, pa2, pa;
	uint64_t *t;
	int i;

	pa1 = pmem_alloc(1, 0, PMEM_ZERO);
	pa2 = pmem_alloc(1, 0, PMEM_ZERO);
	CHECK(pa1 != 0 && pa2 != 0);

	pm = pmap_create();
	CHECK(pm != NULL && pm->pm_pdirpa != 0 &&
	    (pm->pm_pdirpa & PAGE_MASK) == 0);
	pmap_convert(pm, PMAP_TYPE_EPT);
	CHECK(pm->pm_type == PMAP_TYPE_EPT && pm->eptp != 0);
	CHECK(pmap_enter(pm, 0x1000, pa1, RW, PMAP_WIRED | PMAP_CANFAIL) == 0);
	CHECK(pmap_enter(pm, 0xc0000000, pa2, RW | PROT_EXEC, 0) == 0);
	CHECK(pmap_resident_count(pm) == 2);
	CHECK(pmap_extract(pm, 0x1234, &pa) && pa == pa1 + 0x234);
	CHECK(pmap_extract(pm, 0xc0000010, &pa) && pa == pa2 + 0x10);
	CHECK(!pmap_extract(pm, 0x2000, &pa));
	/* EPT format: tables R|W|X, leaf R|W + WB memory type. */
	t = pm->pm_pdir;
	for (i = 0; i < 3; i++) {
		CHECK((t[0] & 7) == 7);
		t = (uint64_t *)(t[0] & ~0xfffUL);
	}
	CHECK((t[1] & 0xfff) == (0x3 | (6 << 3)) &&
	    (t[1] & ~0xfffUL) == pa1);
	pmap_remove(pm, 0x1000, 0x1fff);
	CHECK(pmap_resident_count(pm) == 1 && !pmap_extract(pm, 0x1000, &pa));
	pmap_destroy(pm);

	pm = pmap_create();
	pmap_convert(pm, PMAP_TYPE_RVI);
	CHECK(pm->pm_type == PMAP_TYPE_RVI);
	CHECK(pmap_enter(pm, 0x200000, pa1, PROT_READ, 0) == 0);
	t = pm->pm_pdir;
	for (i = 0; i < 3; i++)
		t = (uint64_t *)(t[i == 2 ? 1 : 0] & ~0xfffUL);
	CHECK((t[0] & 0xfff) == 0x5);		/* P | U, read-only */
	pmap_reference(pm);
	pmap_destroy(pm);
	CHECK(pmap_resident_count(pm) == 1);
	pmap_destroy(pm);

	pmem_free(pa1, 1);
	pmem_free(pa2, 1);
	CHECK(pmem_pages_in_use() == pages);
	return (0);
}

/*
 * Kernel stacks: a chain of 256-byte frames run on a kernel stack has to
 * fault on that stack's guard page, and not before it has used all of
 * the stack's TB_KSTACK_SIZE bytes.  The chain stops short of the guard
 * page's lowest 512 bytes (the guard page is the stack's own memory), so
 * without a guard page it ends without a fault and the test fails.
 */
struct kstack_dive {
	vaddr_t		kd_stop;	/* no frame below this */
	int		kd_depth;	/* frames made */
};

static int
kstack_dive(struct kstack_dive *kd)
{
	volatile char pad[256];

	if ((vaddr_t)pad < kd->kd_stop)
		return (0);
	pad[0] = 1;
	kd->kd_depth++;
	return (kstack_dive(kd) + pad[0]);
}

static int
kstack_dive_fn(void *arg)
{
	return (kstack_dive(arg));
}

/* Run the chain on p's kernel stack (from here if it is the current one). */
static int
overflow_kstack(struct proc *p)
{
	struct tb_kstack_catch kc;
	struct kstack_dive kd;
	vaddr_t lo = TB_KSTACK_LO(p->p_tbkstack), sp;

	memset(&kc, 0, sizeof(kc));
	kd.kd_stop = lo - PAGE_SIZE + 512;
	kd.kd_depth = 0;
	sp = (vaddr_t)&kd;
	tb_kstack_paint(p);
	if (tb_setjmp(&kc.kc_jb) == 0) {
		tb_kstack_catch = &kc;
		if (sp >= lo && sp < p->p_tbkstack)
			(void)kstack_dive(&kd);
		else
			(void)tb_call_on_stack(p->p_tbkstack, kstack_dive_fn,
			    &kd);
		tb_kstack_catch = NULL;
		printf("# pid %d: %d frames, no fault: no guard page\n",
		    p->p_p->ps_pid, kd.kd_depth);
		return (1);
	}
	printf("# pid %d: fault at 0x%lx after %d frames; stack 0x%lx-0x%lx, "
	    "%zu bytes used\n", p->p_p->ps_pid, kc.kc_addr, kd.kd_depth, lo,
	    p->p_tbkstack, tb_kstack_measure(p));
	CHECK(kc.kc_owner == p);
	/* On the guard page, within a frame of its top. */
	CHECK(kc.kc_addr >= lo - 512 && kc.kc_addr < lo);
	/* The chain went through the whole stack, and its use shows. */
	CHECK(tb_kstack_measure(p) > TB_KSTACK_SIZE - 512);
	return (0);
}

static int
st_kstack(void)
{
	struct process *pr;
	int error;

	/* proc0's: the one the testbed boots, attaches and tests on. */
	CHECK(overflow_kstack(&proc0) == 0);

	/* A process's: the one its system calls run on. */
	pr = tb_process_new(TB_PLEDGE_ALL, "kstack");
	CHECK(pr != NULL);
	tb_proc_switch_to(pr->ps_mainproc);
	error = overflow_kstack(pr->ps_mainproc);
	tb_proc_switch_to(&proc0);
	CHECK(error == 0);
	return (0);
}

#ifdef TB_DEMO_deadlock
/* Fails the run: a lock held by a process that can never run again. */
static int
st_demo(void)
{
	struct rwlock rwl;
	struct process *pr;

	rw_init(&rwl, "demolk");
	pr = tb_process_new(TB_PLEDGE_ALL, "holder");
	tb_proc_switch_to(pr->ps_mainproc);
	rw_enter_write(&rwl);
	tb_proc_switch_to(&proc0);
	rw_enter_write(&rwl);
	return (0);
}
#endif

#ifdef TB_DEMO_fault
/* Fails the run: a NULL pointer dereference in the kernel. */
static int
st_demo(void)
{
	volatile int *p = NULL;

	return (*p);
}
#endif

#ifdef TB_DEMO_assert
/* Fails the run: a failed KASSERT. */
static int
st_demo(void)
{
	int one = 1;

	KASSERT(one == 2);
	return (0);
}
#endif

#ifdef TB_DEMO_kstack
/* Fails the run: kernel stack overflow into the guard page. */
static int
deep(volatile int n)
{
	volatile char pad[512];

	pad[0] = n;
	if (n < 0)
		return (0);
	return (deep(n + 1) + pad[0]);
}

static int
st_demo(void)
{
	return (deep(0));
}
#endif

#ifdef TB_DEMO_hang
/* Never ends: the runner's timeout has to catch it. */
static int
st_demo(void)
{
	for (;;)
		continue;
}
#endif

const struct tb_selftest tb_selftests[] = {
	{ "selftest/printf", st_printf },
	{ "selftest/pmem", st_pmem },
	{ "selftest/malloc", st_malloc },
	{ "selftest/pool", st_pool },
	{ "selftest/rwlock", st_rwlock },
	{ "selftest/sleep", st_sleep },
	{ "selftest/refcnt", st_refcnt },
	{ "selftest/km_alloc", st_km_alloc },
	{ "selftest/uvm_map", st_uvm_map },
	{ "selftest/copyin", st_copyin },
	{ "selftest/pmap", st_pmap },
	{ "selftest/kstack", st_kstack },
#if defined(TB_DEMO_deadlock) || defined(TB_DEMO_fault) || \
    defined(TB_DEMO_assert) || defined(TB_DEMO_hang) || \
    defined(TB_DEMO_kstack)
	{ "selftest/demo", st_demo },
#endif
};
const int tb_nselftests = nitems(tb_selftests);
