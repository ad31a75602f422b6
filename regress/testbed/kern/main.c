/*
 * main.c: boot, the test runner and the ways a run ends.
 *
 * Output protocol (serial console):
 *	1..N			plan, printed before the first test
 *	ok N - name		a test passed
 *	not ok N - name		a test failed (or the run died inside it)
 *	# ...			diagnostics, program output
 *	TESTBED: PASS|FAIL	always the last line
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/proc.h>
#include <sys/kernel.h>

#include <uvm/uvm_extern.h>

#include <machine/cpu.h>
#include <machine/cpufunc.h>

#include "tb.h"

#define MB_BOOT_MAGIC	0x2badb002
#define MBI_MEMORY	0x001
#define MBI_CMDLINE	0x004
#define MBI_MODS	0x008
#define MBI_MMAP	0x040

struct mb_info {
	uint32_t	flags;
	uint32_t	mem_lower;	/* KiB below 1 MiB */
	uint32_t	mem_upper;	/* KiB above 1 MiB */
	uint32_t	boot_device;
	uint32_t	cmdline;
	uint32_t	mods_count;
	uint32_t	mods_addr;
	uint32_t	syms[4];
	uint32_t	mmap_length;
	uint32_t	mmap_addr;
} __packed;

struct mb_mmap {
	uint32_t	size;		/* of the rest of this entry */
	uint64_t	base;
	uint64_t	len;
	uint32_t	type;		/* 1: available RAM */
} __packed;

struct mb_mod {
	uint32_t	mod_start;
	uint32_t	mod_end;
	uint32_t	string;		/* its command line */
	uint32_t	reserved;
} __packed;

#define TB_MAXRANGES	32

extern char		__load_start[], __kernel_end[];

const char		*panicstr;
int			 securelevel;
const char		*tb_curtest;
int			 tb_curtestno;
static int		 tb_npass, tb_nfail, tb_plan;
static char		 tb_cmdline[256];
struct tb_module	 tb_modules[TB_MAXMODS];
int			 tb_nmodules;

static struct tb_jmpbuf	 prog_jmp;
static int		 prog_status;
static int		 in_prog;

void	kmain(uint32_t, uint32_t);

static int
mb_memory(uint32_t magic, uint32_t mbi_pa, struct tb_memrange *r)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)mbi_pa;
	const struct mb_mmap *mm;
	uintptr_t p, end;
	int n = 0;

	if (magic != MB_BOOT_MAGIC)
		panic("not booted by a multiboot loader (magic 0x%x)", magic);
	if ((mbi->flags & MBI_CMDLINE) && mbi->cmdline != 0)
		strlcpy(tb_cmdline, (const char *)(uintptr_t)mbi->cmdline,
		    sizeof(tb_cmdline));
	if (mbi->flags & MBI_MMAP) {
		p = mbi->mmap_addr;
		end = p + mbi->mmap_length;
		while (p < end && n < TB_MAXRANGES) {
			mm = (const struct mb_mmap *)p;
			if (mm->type == 1 && mm->len != 0) {
				r[n].start = mm->base;
				r[n].end = mm->base + mm->len;
				n++;
			}
			p += mm->size + sizeof(mm->size);
		}
	} else if (mbi->flags & MBI_MEMORY) {
		r[0].start = 0x100000;
		r[0].end = 0x100000 + (uint64_t)mbi->mem_upper * 1024;
		n = 1;
	}
	if (n == 0)
		panic("multiboot: no memory information");
	return (n);
}

/*
 * The loader's modules: named by the last word of their command line
 * (QEMU's -initrd "file name", GRUB's "module /path name"), without any
 * directory.  Their memory, and the list, are taken out of the free
 * pages; the module table is kept here.
 */
static void
mb_modules(uint32_t mbi_pa)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)mbi_pa;
	const struct mb_mod *mod;
	struct tb_module *m;
	const char *cmd, *w, *p;
	uint32_t i;
	size_t len;

	if ((mbi->flags & MBI_MODS) == 0 || mbi->mods_count == 0)
		return;
	mod = (const struct mb_mod *)(uintptr_t)mbi->mods_addr;
	pmem_exclude(mbi->mods_addr,
	    mbi->mods_addr + mbi->mods_count * sizeof(*mod));
	for (i = 0; i < mbi->mods_count; i++) {
		pmem_exclude(mod[i].mod_start, mod[i].mod_end);
		if (tb_nmodules == TB_MAXMODS) {
			printf("# module %u ignored: more than %d\n", i,
			    TB_MAXMODS);
			continue;
		}
		m = &tb_modules[tb_nmodules++];
		m->m_data = (const char *)(uintptr_t)mod[i].mod_start;
		m->m_size = mod[i].mod_end - mod[i].mod_start;
		cmd = mod[i].string ? (const char *)(uintptr_t)mod[i].string :
		    "";
		/* The last word, then its last path component. */
		len = strlen(cmd);
		while (len > 0 && cmd[len - 1] == ' ')
			len--;
		for (w = cmd + len; w > cmd && w[-1] != ' '; w--)
			;
		for (p = w; p < cmd + len; p++)
			if (*p == '/')
				w = p + 1;
		len = cmd + len - w;
		if (len >= sizeof(m->m_name))
			len = sizeof(m->m_name) - 1;
		memcpy(m->m_name, w, len);
		m->m_name[len] = '\0';
		printf("# module %s: %zu bytes at 0x%lx\n", m->m_name,
		    m->m_size, (u_long)mod[i].mod_start);
	}
}

int	tb_curtest_skipped;

static void
test_begin(const char *name)
{
	tb_curtestno++;
	tb_curtest = name;
	tb_curtest_skipped = 0;
}

static void
test_end(int ok)
{
	printf("%sok %d - %s%s\n", ok ? "" : "not ", tb_curtestno, tb_curtest,
	    ok && tb_curtest_skipped ? " # SKIP" : "");
	if (ok)
		tb_npass++;
	else
		tb_nfail++;
	tb_curtest = NULL;
}

/* What a finished test leaves behind: all of it goes away here. */
static void
test_cleanup(void)
{
	tb_set_sleep_hook(NULL, NULL);
	curcpu()->ci_schedstate.spc_schedflags = 0;
	tb_process_reap_all();
	proc0.p_siglist = 0;
	process0.ps_siglist = 0;
}

static int
leak_check(const struct tb_acct *b)
{
	struct tb_acct a;
	long d[10];
	int i;

	tb_acct_snapshot(&a);
	d[0] = a.pages - b->pages;
	d[1] = a.malloc_objs - b->malloc_objs;
	d[2] = a.malloc_bytes - b->malloc_bytes;
	d[3] = a.pool_items - b->pool_items;
	d[4] = a.km_pages - b->km_pages;
	d[5] = a.aobjs - b->aobjs;
	d[6] = a.mappings - b->mappings;
	d[7] = a.pmaps - b->pmaps;
	d[8] = a.procs - b->procs;
	d[9] = a.files - b->files;
	printf("# leak check: pages=%ld malloc=%ld (%ld bytes) pool=%ld "
	    "km=%ld aobjs=%ld mappings=%ld pmaps=%ld procs=%ld files=%ld\n",
	    d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9]);
	for (i = 0; i < 10; i++)
		if (d[i] != 0)
			return (0);
	return (1);
}

/* How deep the test went into proc0's and the processes' kernel stacks. */
static void
kstack_report(void)
{
	printf("# kernel stack use: proc0 %zu, processes %zu (of %d bytes)\n",
	    tb_kstack_measure(&proc0), tb_kstack_maxused, TB_KSTACK_SIZE);
}

static void
run_selftest(const struct tb_selftest *st)
{
	struct tb_acct before;
	int ok;

	test_begin(st->name);
	tb_pledge_violations_total = 0;
	tb_acct_snapshot(&before);
	tb_kstack_maxused = 0;
	tb_kstack_paint(&proc0);
	ok = (st->fn() == 0);
	test_cleanup();
	if (!leak_check(&before))
		ok = 0;
	kstack_report();
	test_end(ok);
}

struct prog_start {
	const struct tb_prog	*pg;
	char			**argv;
};

static int
prog_trampoline(void *arg)
{
	struct prog_start *ps = arg;

	return (__tb_libc_start(ps->pg->main, 1, ps->argv));
}

/*
 * Run one regress program as a fresh, unpledged process on its own user
 * stack.  It ends by returning from main() or by exit(), which comes
 * back here through tb_prog_exit().
 */
static void
run_prog(const struct tb_prog *pg)
{
	struct tb_acct before;
	struct process *pr;
	struct prog_start ps;
	vaddr_t sp;
	char *uname;
	char **uargv;
	char *argv[2];
	size_t len;
	int status, ok, nthreads;

	test_begin(pg->name);
	tb_pledge_violations_total = 0;
	tb_pledge_lastcode_total = 0;
	tb_acct_snapshot(&before);
	tb_kstack_maxused = 0;
	tb_kstack_paint(&proc0);

	pr = tb_process_new(TB_PLEDGE_ALL, pg->name);
	if (pr == NULL)
		panic("cannot create a process for %s", pg->name);
	tb_proc_switch_to(pr->ps_mainproc);

	/* argv[0] and the argv array at the top of the user stack. */
	memset((void *)tb_ustack_lo, 0, TB_USTACK_SIZE);
	len = strlen(pg->name) + 1;
	sp = tb_ustack_hi - roundup(len, 16);
	uname = (char *)sp;
	sp -= sizeof(argv);
	uargv = (char **)sp;
	argv[0] = uname;
	argv[1] = NULL;
	if (copyout(pg->name, uname, len) != 0 ||
	    copyout(argv, uargv, sizeof(argv)) != 0)
		panic("cannot set up the stack of %s", pg->name);
	sp = rounddown(sp - 64, 16);

	printf("# running %s as pid %d\n", pg->name, pr->ps_pid);
	ps.pg = pg;
	ps.argv = uargv;
	in_prog = 1;
	if (tb_setjmp(&prog_jmp) == 0)
		status = tb_call_on_stack(sp, prog_trampoline, &ps);
	else
		status = prog_status;
	in_prog = 0;

	if ((nthreads = tb_threads_reset()) != 0)
		printf("# %s: %d thread(s) not joined\n", pg->name, nthreads);
	test_cleanup();
	ok = leak_check(&before) && nthreads == 0;
	kstack_report();
	if (status != 0) {
		printf("# %s: exit status %d\n", pg->name, status);
		ok = 0;
	}
	test_end(ok);
}

__dead void
tb_prog_exit(int status)
{
	if (!in_prog)
		panic("exit(%d) called outside a regress program", status);
	if (tb_in_thread())
		panic("exit(%d) called from a thread", status);
	prog_status = status;
	tb_longjmp(&prog_jmp, 1);
}

/* End the run now: the current test (if any) fails, the run fails. */
__dead void
tb_fail_run(const char *why)
{
	static int failing;

	intr_disable();
	if (failing++)
		tb_exit(0);
	if (tb_curtest != NULL) {
		printf("not ok %d - %s\n", tb_curtestno, tb_curtest);
		tb_nfail++;
	}
	printf("# run aborted (%s): %d passed, %d failed, %d not run\n", why,
	    tb_npass, tb_nfail, tb_plan - tb_npass - tb_nfail);
	printf("TESTBED: FAIL\n");
	tb_exit(0);
}

__dead void
panic(const char *fmt, ...)
{
	static char buf[512];
	va_list ap;

	intr_disable();
	if (panicstr != NULL) {
		printf("\n# panic while panicking: ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		tb_fail_run("recursive panic");
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	panicstr = buf;
	printf("\n# panic: %s\n", buf);
	if (curproc != NULL && curproc->p_p != NULL)
		printf("#   curproc: pid %d (%s)\n", curproc->p_p->ps_pid,
		    curproc->p_p->ps_comm);
	tb_backtrace((uint64_t)__builtin_frame_address(0));
	tb_fail_run("panic");
}

__dead void
__assert(const char *t, const char *f, int l, const char *e)
{
	panic("kernel %sassertion \"%s\" failed: file \"%s\", line %d",
	    t, e, f, l);
}

void
kmain(uint32_t magic, uint32_t mbi)
{
	struct tb_memrange ranges[TB_MAXRANGES];
	int n, i;

	cons_init();
	printf("\n# testbed: vmm(4) regress kernel\n");
	n = mb_memory(magic, mbi, ranges);
	cpu_init();
	pmem_init(ranges, n, (paddr_t)__load_start, (paddr_t)__kernel_end);
	mb_modules(mbi);
	printf("# memory: %zu KiB usable, kernel 0x%lx-0x%lx%s%s\n",
	    ptoa(pmem_pages_total()) / 1024, (paddr_t)__load_start,
	    (paddr_t)__kernel_end, tb_cmdline[0] ? ", cmdline: " : "",
	    tb_cmdline);
	cpu_init_vmm();
	kmem_init();
	uvm_tb_init();
	proc_init();
	tb_kstack_paint(&proc0);
	tb_autoconf();
	printf("# kernel stack use: proc0 %zu after autoconf (of %d bytes)\n",
	    tb_kstack_measure(&proc0), TB_KSTACK_SIZE);
	cold = 0;
	tb_clock_init();

	tb_plan = (tb_run_selftests ? tb_nselftests : 0) + tb_nprogs;
	printf("1..%d\n", tb_plan);
	if (tb_run_selftests)
		for (i = 0; i < tb_nselftests; i++)
			run_selftest(&tb_selftests[i]);
	for (i = 0; i < tb_nprogs; i++)
		run_prog(&tb_progs[i]);

	printf("# %d passed, %d failed\n", tb_npass, tb_nfail);
	printf("TESTBED: %s\n", tb_nfail == 0 ? "PASS" : "FAIL");
	tb_exit(tb_nfail == 0);
}
