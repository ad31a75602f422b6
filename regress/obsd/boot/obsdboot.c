/*	$vmm-rs: obsdboot.c $	*/

/*
 * Copyright (c) 2026 The vmm-rs authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * obsdboot: start an OpenBSD/amd64 kernel from a multiboot loader (QEMU's
 * -kernel, GRUB's multiboot command).  The kernel file is the first
 * multiboot module (QEMU: -initrd bsd; GRUB: module /bsd).
 *
 * It does what OpenBSD's /boot does for a kernel linked at the legacy
 * address (entry 0xffffffff81001000, see arch/amd64/stand/libsa/
 * exec_i386.c and lib/libsa/loadfile_elf.c):
 *  - the PT_LOAD segments go to their physical addresses, the bss is
 *    cleared, the PT_OPENBSD_RANDOMIZE segment is filled;
 *  - the ELF header, the section headers and the symbol and string
 *    tables follow the kernel's end (its ssym), for ddb;
 *  - the boot arguments list (32-bit records: type, size, unused
 *    pointer, data) holds BOOTARG_MEMMAP, converted from the multiboot
 *    memory map, and BOOTARG_CONSDEV, com0 at 115200;
 *  - start is called in 32-bit protected mode with paging off as
 *    start(howto, bootdev, apiver, esym, extmem, cnvmem, argsize, args),
 *    the arguments on the stack; esym is the physical end of the
 *    symbols, extmem and cnvmem are in KB.
 *
 * The loader's command line may hold boot(8) flags: -a, -c, -d, -s.
 * Progress and errors are printed on com0.
 */

#include <stddef.h>
#include <stdint.h>

/* Multiboot (version 1) information, the parts used here. */
#define MB_BOOT_MAGIC	0x2badb002
#define MBI_MEMORY	0x00000001	/* mem_lower, mem_upper valid */
#define MBI_CMDLINE	0x00000004
#define MBI_MODS	0x00000008
#define MBI_MMAP	0x00000040

struct mb_info {
	uint32_t	flags;
	uint32_t	mem_lower;	/* KB below 1 MiB */
	uint32_t	mem_upper;	/* KB above 1 MiB */
	uint32_t	boot_device;
	uint32_t	cmdline;
	uint32_t	mods_count;
	uint32_t	mods_addr;
	uint32_t	syms[4];
	uint32_t	mmap_length;
	uint32_t	mmap_addr;
};

struct mb_module {
	uint32_t	start;
	uint32_t	end;
	uint32_t	string;
	uint32_t	reserved;
};

/* "size" does not count itself. */
struct mb_mmap {
	uint32_t	size;
	uint64_t	addr;
	uint64_t	len;
	uint32_t	type;
} __attribute__((packed));

/* ELF64, the parts used here. */
#define EI_CLASS	4
#define ELFCLASS64	2
#define EM_X86_64	62
#define PT_LOAD		1
#define PT_OPENBSD_RANDOMIZE 0x65a3dbe6
#define SHT_SYMTAB	2
#define SHT_STRTAB	3

struct elf64_ehdr {
	unsigned char	e_ident[16];
	uint16_t	e_type;
	uint16_t	e_machine;
	uint32_t	e_version;
	uint64_t	e_entry;
	uint64_t	e_phoff;
	uint64_t	e_shoff;
	uint32_t	e_flags;
	uint16_t	e_ehsize;
	uint16_t	e_phentsize;
	uint16_t	e_phnum;
	uint16_t	e_shentsize;
	uint16_t	e_shnum;
	uint16_t	e_shstrndx;
};

struct elf64_phdr {
	uint32_t	p_type;
	uint32_t	p_flags;
	uint64_t	p_offset;
	uint64_t	p_vaddr;
	uint64_t	p_paddr;
	uint64_t	p_filesz;
	uint64_t	p_memsz;
	uint64_t	p_align;
};

struct elf64_shdr {
	uint32_t	sh_name;
	uint32_t	sh_type;
	uint64_t	sh_flags;
	uint64_t	sh_addr;
	uint64_t	sh_offset;
	uint64_t	sh_size;
	uint32_t	sh_link;
	uint32_t	sh_info;
	uint64_t	sh_addralign;
	uint64_t	sh_entsize;
};

/* OpenBSD's boot interface (sys/stand/boot/bootarg.h, machine/biosvar.h). */
#define LEGACY_ENTRY	0xffffffff81001000ULL
#define BOOTARG_APIVER	(0x2 | 0x4 | 0x8)	/* vector, env, bytes memmap */
#define BOOTARG_MEMMAP	0
#define BOOTARG_CONSDEV	5
#define BOOTARG_END	(-1)
#define BIOS_MAP_END	0
#define BIOS_MAP_RES	2
#define COM_MAJOR	8		/* com(4) on amd64 */

#define RB_ASKNAME	0x00001
#define RB_SINGLE	0x00002
#define RB_KDB		0x00040
#define RB_CONFIG	0x00400

struct bootarg32 {
	int32_t		ba_type;
	int32_t		ba_size;	/* with this header */
	int32_t		ba_next;	/* unused by the kernel */
};

struct bios_memmap {
	uint64_t	addr;
	uint64_t	size;
	uint32_t	type;
} __attribute__((packed));

struct bios_consdev {
	int32_t		consdev;
	int32_t		conspeed;
	uint64_t	consaddr;
	int32_t		consfreq;
	uint32_t	flags;
	int32_t		reg_width;
	int32_t		reg_shift;
} __attribute__((packed));

typedef void (*kernel_start_t)(int, int, int, int, int, int, int, int);

#define COM0		0x3f8
#define COM_SPEED	115200

void	obsdboot(uint32_t, struct mb_info *);

extern char _start[], _end[];

static uint8_t bootargs[4096] __attribute__((aligned(8)));

static inline void
outb(uint16_t port, uint8_t v)
{
	__asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t
inb(uint16_t port)
{
	uint8_t v;

	__asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void
com_init(void)
{
	uint16_t div = 115200 / COM_SPEED;

	outb(COM0 + 1, 0x00);		/* no interrupts */
	outb(COM0 + 3, 0x80);		/* divisor latch */
	outb(COM0 + 0, div & 0xff);
	outb(COM0 + 1, div >> 8);
	outb(COM0 + 3, 0x03);		/* 8N1 */
	outb(COM0 + 2, 0x07);		/* FIFOs on and cleared */
	outb(COM0 + 4, 0x03);		/* DTR, RTS */
}

static void
com_putc(char c)
{
	if (c == '\n')
		com_putc('\r');
	while ((inb(COM0 + 5) & 0x20) == 0)	/* transmitter empty */
		;
	outb(COM0, c);
}

static void
com_puts(const char *s)
{
	while (*s != '\0')
		com_putc(*s++);
}

static void
com_puthex(uint64_t v)
{
	int shift;

	com_puts("0x");
	for (shift = 60; shift > 0 && (v >> shift) == 0; shift -= 4)
		;
	for (; shift >= 0; shift -= 4)
		com_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void
com_putdec(uint32_t v)
{
	char buf[11];
	int i = sizeof(buf);

	buf[--i] = '\0';
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v != 0);
	com_puts(&buf[i]);
}

static void __attribute__((noreturn))
fail(const char *why)
{
	com_puts("obsdboot: ");
	com_puts(why);
	com_puts("\n");
	for (;;)
		__asm volatile("cli; hlt");
}

/*
 * The compiler may turn loops and structure copies into calls to these,
 * so they are real functions, and simple string instructions.
 */
void *
memmove(void *dst, const void *src, size_t len)
{
	void *d = dst;

	if ((uintptr_t)dst <= (uintptr_t)src ||
	    (uintptr_t)dst >= (uintptr_t)src + len)
		__asm volatile("cld; rep movsb"
		    : "+D"(dst), "+S"(src), "+c"(len) : : "memory");
	else {
		dst = (char *)dst + len - 1;
		src = (const char *)src + len - 1;
		__asm volatile("std; rep movsb; cld"
		    : "+D"(dst), "+S"(src), "+c"(len) : : "memory");
	}
	return d;
}

void *
memcpy(void *dst, const void *src, size_t len)
{
	return memmove(dst, src, len);
}

void *
memset(void *dst, int c, size_t len)
{
	void *d = dst;

	__asm volatile("cld; rep stosb"
	    : "+D"(dst), "+c"(len) : "a"(c) : "memory");
	return d;
}

/* An address or size the 32-bit loader can use, or a failure. */
static uint32_t
addr32(uint64_t v, const char *what)
{
	if (v >> 32 != 0)
		fail(what);
	return (uint32_t)v;
}

static uint32_t
roundup8(uint32_t v)
{
	return (v + 7) & ~7U;
}

static int
overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

/* boot(8) flags from the loader's command line. */
static int
parse_howto(const struct mb_info *mbi)
{
	const char *p;
	int howto = 0, dash = 0, start = 1;

	if ((mbi->flags & MBI_CMDLINE) == 0 || mbi->cmdline == 0)
		return 0;
	/* Only words that begin with '-': QEMU puts the loader's path first. */
	for (p = (const char *)mbi->cmdline; *p != '\0'; p++) {
		if (*p == ' ') {
			dash = 0;
			start = 1;
			continue;
		}
		if (start && *p == '-') {
			dash = 1;
			start = 0;
			continue;
		}
		start = 0;
		if (!dash)
			continue;
		switch (*p) {
		case 'a':
			howto |= RB_ASKNAME;
			break;
		case 'c':
			howto |= RB_CONFIG;
			break;
		case 'd':
			howto |= RB_KDB;
			break;
		case 's':
			howto |= RB_SINGLE;
			break;
		}
	}
	return howto;
}

/*
 * Free RAM ([addr, addr + len) inside a type 1 region of the multiboot
 * memory map)?
 */
static int
is_free_ram(const struct mb_info *mbi, uint32_t addr, uint32_t len)
{
	uint32_t off;
	const struct mb_mmap *m;

	for (off = 0; off < mbi->mmap_length; off += m->size + 4) {
		m = (const struct mb_mmap *)(mbi->mmap_addr + off);
		if (m->type == 1 && m->addr <= addr &&
		    (uint64_t)addr + len <= m->addr + m->len)
			return 1;
	}
	return 0;
}

/* Fill the kernel's random data segment; a test loader's entropy. */
static void
fill_random(uint8_t *p, uint32_t len)
{
	uint32_t lo, hi;
	uint64_t x;

	__asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	x = ((uint64_t)hi << 32 | lo) ^ 0x9e3779b97f4a7c15ULL;
	while (len-- > 0) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		*p++ = (uint8_t)(x >> 24);
	}
}

/* Append one boot argument; returns the new end offset. */
static uint32_t
add_bootarg(uint32_t off, int type, const void *data, uint32_t len)
{
	struct bootarg32 ba;

	if (off + sizeof(ba) + len + sizeof(ba) > sizeof(bootargs))
		fail("boot arguments too large");
	ba.ba_type = type;
	ba.ba_size = sizeof(ba) + len;
	ba.ba_next = 0;
	memcpy(&bootargs[off], &ba, sizeof(ba));
	memcpy(&bootargs[off + sizeof(ba)], data, len);
	return off + sizeof(ba) + len;
}

/* BOOTARG_MEMMAP from the multiboot memory map. */
static uint32_t
add_memmap(uint32_t off, const struct mb_info *mbi)
{
	struct bios_memmap bm;
	const struct mb_mmap *m;
	uint32_t moff, start, n = 0;

	start = off + sizeof(struct bootarg32);
	for (moff = 0; moff < mbi->mmap_length; moff += m->size + 4) {
		m = (const struct mb_mmap *)(mbi->mmap_addr + moff);
		if (m->len == 0)
			continue;
		bm.addr = m->addr;
		bm.size = m->len;
		/* Types 1-4 are E820's and BIOS_MAP_*'s alike. */
		bm.type = m->type == BIOS_MAP_END ? BIOS_MAP_RES : m->type;
		if (start + (n + 2) * sizeof(bm) > sizeof(bootargs))
			fail("memory map too large");
		memcpy(&bootargs[start + n * sizeof(bm)], &bm, sizeof(bm));
		n++;
	}
	memset(&bm, 0, sizeof(bm));	/* BIOS_MAP_END */
	memcpy(&bootargs[start + n * sizeof(bm)], &bm, sizeof(bm));
	n++;
	return add_bootarg(off, BOOTARG_MEMMAP, &bootargs[start],
	    n * sizeof(bm));
}

void
obsdboot(uint32_t magic, struct mb_info *mbi)
{
	const struct elf64_ehdr *eh;
	const struct elf64_phdr *ph;
	const struct elf64_shdr *sh;
	struct elf64_ehdr *seh;
	struct elf64_shdr *ssh;
	struct mb_module *mod;
	struct bios_consdev cd;
	kernel_start_t start;
	uint8_t *img;
	uint32_t imglen, lo, hi, ssym, esym, off, symlen, dst, argsz;
	uint32_t paddr, filesz, memsz, shsz;
	int i, nload = 0, howto;

	com_init();
	com_puts("\nobsdboot: ");
	if (magic != MB_BOOT_MAGIC)
		fail("not started by a multiboot loader");
	if ((mbi->flags & MBI_MODS) == 0 || mbi->mods_count == 0)
		fail("no kernel (the first multiboot module)");
	if ((mbi->flags & MBI_MMAP) == 0)
		fail("no memory map from the multiboot loader");
	mod = (struct mb_module *)mbi->mods_addr;
	img = (uint8_t *)mod->start;
	imglen = mod->end - mod->start;
	com_puts("kernel ");
	com_putdec(imglen);
	com_puts(" bytes at ");
	com_puthex(mod->start);

	eh = (const struct elf64_ehdr *)img;
	if (imglen < sizeof(*eh) || eh->e_ident[0] != 0x7f ||
	    eh->e_ident[1] != 'E' || eh->e_ident[2] != 'L' ||
	    eh->e_ident[3] != 'F' || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64)
		fail("the module is not an amd64 ELF file");
	if (eh->e_entry != LEGACY_ENTRY)
		fail("only kernels entered at 0xffffffff81001000 are known");
	if (eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(*ph) > imglen ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > imglen ||
	    eh->e_shstrndx >= eh->e_shnum)
		fail("ELF headers outside the file");
	ph = (const struct elf64_phdr *)(img + (uint32_t)eh->e_phoff);
	sh = (const struct elf64_shdr *)(img + (uint32_t)eh->e_shoff);

	/* Where the kernel and its symbols will be: [lo, esym). */
	lo = 0xffffffff;
	hi = 0;
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		paddr = addr32(ph[i].p_paddr, "a segment above 4 GiB");
		memsz = addr32(ph[i].p_memsz, "a segment larger than 4 GiB");
		if (paddr + memsz < paddr)
			fail("a segment wraps around 4 GiB");
		if (ph[i].p_filesz > ph[i].p_memsz ||
		    ph[i].p_offset + ph[i].p_filesz > imglen)
			fail("segment outside the file");
		if (paddr < lo)
			lo = paddr;
		if (paddr + memsz > hi)
			hi = paddr + memsz;
		nload++;
	}
	if (nload == 0)
		fail("no loadable segment");
	ssym = roundup8(hi);
	shsz = eh->e_shnum * sizeof(*sh);
	symlen = roundup8(sizeof(*eh) + shsz);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_STRTAB)
			continue;
		if (sh[i].sh_offset + sh[i].sh_size > imglen)
			fail("symbols outside the file");
		symlen += roundup8(sh[i].sh_size);
	}
	esym = ssym + symlen;
	if (overlaps(lo, esym - lo, (uint32_t)_start, _end - _start))
		fail("the kernel would overwrite obsdboot");
	if (!is_free_ram(mbi, lo, esym - lo))
		fail("not enough memory for the kernel");

	/* Move the file out of the way first if it is in the kernel's. */
	if (overlaps(lo, esym - lo, mod->start, imglen)) {
		dst = (esym + 0xfff) & ~0xfffU;
		if (!is_free_ram(mbi, dst, imglen))
			fail("no room to move the kernel file");
		img = memmove((void *)dst, img, imglen);
		eh = (const struct elf64_ehdr *)img;
		ph = (const struct elf64_phdr *)(img + (uint32_t)eh->e_phoff);
		sh = (const struct elf64_shdr *)(img + (uint32_t)eh->e_shoff);
	}

	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		paddr = (uint32_t)ph[i].p_paddr;
		filesz = (uint32_t)ph[i].p_filesz;
		memsz = (uint32_t)ph[i].p_memsz;
		memmove((void *)paddr, img + (uint32_t)ph[i].p_offset, filesz);
		memset((void *)(paddr + filesz), 0, memsz - filesz);
	}
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_OPENBSD_RANDOMIZE)
			continue;
		paddr = addr32(ph[i].p_paddr, "the random segment above 4 GiB");
		filesz = (uint32_t)ph[i].p_filesz;
		if (paddr < lo || paddr + filesz > hi)
			fail("random segment outside the kernel");
		fill_random((uint8_t *)paddr, filesz);
	}

	/*
	 * The symbols, as ddb reads them (ddb/db_elf.c): an ELF header
	 * whose section headers follow it, then the symbol and string
	 * tables at the offsets those headers give, relative to ssym.
	 */
	seh = (struct elf64_ehdr *)ssym;
	ssh = (struct elf64_shdr *)(ssym + sizeof(*eh));
	memcpy(seh, eh, sizeof(*eh));
	seh->e_phoff = 0;
	seh->e_phentsize = 0;
	seh->e_phnum = 0;
	seh->e_shoff = sizeof(*eh);
	memcpy(ssh, sh, shsz);
	off = roundup8(sizeof(*eh) + shsz);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB &&
		    sh[i].sh_type != SHT_STRTAB) {
			ssh[i].sh_offset = 0;
			continue;
		}
		memcpy((void *)(ssym + off), img + (uint32_t)sh[i].sh_offset,
		    (uint32_t)sh[i].sh_size);
		ssh[i].sh_offset = off;
		off += roundup8((uint32_t)sh[i].sh_size);
	}

	memset(&cd, 0, sizeof(cd));
	cd.consdev = COM_MAJOR << 8;	/* makedev(8, 0): com0 */
	cd.conspeed = COM_SPEED;
	cd.consaddr = COM0;
	argsz = add_memmap(0, mbi);
	argsz = add_bootarg(argsz, BOOTARG_CONSDEV, &cd, sizeof(cd));
	memset(&bootargs[argsz], 0, sizeof(struct bootarg32));
	*(int32_t *)&bootargs[argsz] = BOOTARG_END;
	argsz += sizeof(struct bootarg32);

	howto = parse_howto(mbi);
	com_puts(", loaded at ");
	com_puthex(lo);
	com_puts("-");
	com_puthex(hi);
	com_puts(", symbols to ");
	com_puthex(esym);
	com_puts(", entry ");
	com_puthex(eh->e_entry);
	com_puts("\n");

	start = (kernel_start_t)(uint32_t)(eh->e_entry & 0x0fffffff);
	start(howto, 0, BOOTARG_APIVER, esym,
	    (mbi->flags & MBI_MEMORY) ? mbi->mem_upper : 0,
	    (mbi->flags & MBI_MEMORY) ? mbi->mem_lower : 0,
	    argsz, (int)(uintptr_t)bootargs);
	fail("the kernel returned");
}
