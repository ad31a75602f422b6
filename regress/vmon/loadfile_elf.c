/*
 * loadfile_elf.c: an OpenBSD/amd64 ELF kernel, loaded the way vmd's
 * loader does it: the PT_LOAD segments at their physical addresses with
 * the bss cleared and PT_OPENBSD_RANDOMIZE filled, the ELF header,
 * section headers and symbol tables after the kernel's end (for ddb),
 * the boot arguments (memory map from vmd's ranges, com0 as console) at
 * 0x2000, start()'s arguments on a stack at 0xf000, and a vcpu in long
 * mode's compatibility mode on vmd's GDT (0x10000) and 1 GiB identity
 * map (0x11000-0x13000), vmd's "flat64" state.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmon.h"

#define ELF_BOOTARGS	0x2000
#define ELF_STACK	0xf000
#define ELF_GDT		0x10000
#define ELF_PML4	0x11000
#define ELF_PML3	0x12000
#define ELF_PML2	0x13000

#define PT_LOAD			1
#define PT_OPENBSD_RANDOMIZE	0x65a3dbe6
#define SHT_SYMTAB		2
#define SHT_STRTAB		3
#define EM_X86_64		62

#define BOOTARG_MEMMAP		0
#define BOOTARG_CONSDEV		5
#define BOOTARG_END		(-1)
#define BAPIV_VMEMMAP		0x0e	/* vector, env, bytes memmap */
#define BIOS_MAP_END		0
#define BIOS_MAP_FREE		1
#define BIOS_MAP_RES		2
#define B_DEVMAGIC		0xa0000000U
#define BOOTDEV_SD		4

#define RB_ASKNAME	0x00001
#define RB_SINGLE	0x00002
#define RB_KDB		0x00040
#define RB_CONFIG	0x00400

#define PG_V	0x001
#define PG_RW	0x002
#define PG_U	0x004
#define PG_PS	0x080

struct elf_ehdr {
	uint8_t		e_ident[16];
	uint16_t	e_type, e_machine;
	uint32_t	e_version;
	uint64_t	e_entry, e_phoff, e_shoff;
	uint32_t	e_flags;
	uint16_t	e_ehsize, e_phentsize, e_phnum;
	uint16_t	e_shentsize, e_shnum, e_shstrndx;
};

struct elf_phdr {
	uint32_t	p_type, p_flags;
	uint64_t	p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

struct elf_shdr {
	uint32_t	sh_name, sh_type;
	uint64_t	sh_flags, sh_addr, sh_offset, sh_size;
	uint32_t	sh_link, sh_info;
	uint64_t	sh_addralign, sh_entsize;
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

#define ROUND8(x)	(((x) + 7) & ~7ULL)

int
elf_probe(struct vmon_image *img)
{
	struct elf_ehdr eh;

	if (img->i_size < sizeof(eh) ||
	    vmon_image_read(img, 0, &eh, sizeof(eh)) == -1)
		return (0);
	return (memcmp(eh.e_ident, "\177ELF", 4) == 0 && eh.e_ident[4] == 2 &&
	    eh.e_machine == EM_X86_64);
}

/* boot(8)-style flags from the words of the command line. */
static int
boot_howto(const char *s)
{
	int howto = 0, word = 1;

	for (; *s != '\0'; s++) {
		if (*s == ' ') {
			word = 1;
			continue;
		}
		if (word && *s != '-') {
			word = 0;
			continue;
		}
		word = 0;
		switch (*s) {
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
	return (howto);
}

static int
put_gpa(const struct vmon_mem *m, uint64_t gpa, const void *buf, size_t len)
{
	if (vmon_write_gpa(m, gpa, buf, len) == -1) {
		warnx("elf: 0x%llx-0x%llx is not in guest RAM",
		    (unsigned long long)gpa, (unsigned long long)(gpa + len));
		return (-1);
	}
	return (0);
}

/* The boot arguments at ELF_BOOTARGS; returns their size or -1. */
static int
bootargs(const struct vmon_mem *m)
{
	static uint8_t ba[4096];
	struct bios_memmap bm;
	struct bios_consdev cd;
	struct vm_mem_range *r;
	size_t off = 0, n = 0, i;
	int32_t hdr[3];

	memset(ba, 0, sizeof(ba));
	for (i = 0; i <= vcp.vcp_nmemranges; i++) {
		memset(&bm, 0, sizeof(bm));	/* the last: BIOS_MAP_END */
		if (i < vcp.vcp_nmemranges) {
			r = &vcp.vcp_memranges[i];
			bm.addr = r->vmr_gpa;
			bm.size = r->vmr_size;
			bm.type = r->vmr_type == VM_MEM_RAM ? BIOS_MAP_FREE :
			    BIOS_MAP_RES;
		}
		memcpy(ba + sizeof(hdr) + n++ * sizeof(bm), &bm, sizeof(bm));
	}
	hdr[0] = BOOTARG_MEMMAP;
	hdr[1] = sizeof(hdr) + n * sizeof(bm);
	hdr[2] = 0;
	memcpy(ba, hdr, sizeof(hdr));
	off = hdr[1];

	memset(&cd, 0, sizeof(cd));
	cd.consdev = 8 << 8;		/* makedev(8, 0): com0 */
	cd.conspeed = 115200;
	cd.consaddr = 0x3f8;
	hdr[0] = BOOTARG_CONSDEV;
	hdr[1] = sizeof(hdr) + sizeof(cd);
	memcpy(ba + off, hdr, sizeof(hdr));
	memcpy(ba + off + sizeof(hdr), &cd, sizeof(cd));
	off += hdr[1];
	hdr[0] = BOOTARG_END;
	hdr[1] = hdr[2] = 0;
	memcpy(ba + off, hdr, sizeof(hdr));
	off += sizeof(hdr);
	if (put_gpa(m, ELF_BOOTARGS, ba, off) == -1)
		return (-1);
	return (off);
}

/* vmd's GDT and long-mode page tables. */
static int
tables(const struct vmon_mem *m)
{
	static uint64_t page[512];
	size_t i;

	memset(page, 0, sizeof(page));
	page[1] = 0x00cf9b000000ffffULL;	/* 0x08: 32-bit code */
	page[2] = 0x00cf93000000ffffULL;	/* 0x10: data */
	page[3] = 0x00af9b000000ffffULL;	/* 0x18: 64-bit code */
	if (put_gpa(m, ELF_GDT, page, sizeof(page)) == -1)
		return (-1);
	memset(page, 0, sizeof(page));
	page[0] = ELF_PML3 | PG_V;
	if (put_gpa(m, ELF_PML4, page, sizeof(page)) == -1)
		return (-1);
	page[0] = ELF_PML2 | PG_V | PG_RW | PG_U;
	if (put_gpa(m, ELF_PML3, page, sizeof(page)) == -1)
		return (-1);
	for (i = 0; i < 512; i++)
		page[i] = (i << 21) | PG_V | PG_RW | PG_U | PG_PS;
	return (put_gpa(m, ELF_PML2, page, sizeof(page)));
}

int
elf_load(const struct vmon_mem *m, struct vmon_image *img,
    const char *cmdline, struct vcpu_reg_state *vrs)
{
	struct elf_ehdr eh, seh;
	struct elf_phdr *ph = NULL;
	struct elf_shdr *sh = NULL;
	uint64_t lo = UINT64_MAX, hi = 0, ssym, off, pa;
	uint32_t stack[9];
	size_t i, shsz;
	void *p;
	int argsz, ret = -1;

	if (vmon_image_read(img, 0, &eh, sizeof(eh)) == -1)
		return (-1);
	if (eh.e_phnum == 0 || eh.e_phentsize != sizeof(*ph) ||
	    (eh.e_shnum != 0 && eh.e_shentsize != sizeof(*sh))) {
		warnx("elf: unexpected header sizes");
		return (-1);
	}
	shsz = (size_t)eh.e_shnum * sizeof(*sh);
	if ((ph = calloc(eh.e_phnum, sizeof(*ph))) == NULL ||
	    (sh = calloc(eh.e_shnum + 1, sizeof(*sh))) == NULL) {
		warn("elf");
		goto out;
	}
	if (vmon_image_read(img, eh.e_phoff, ph,
	    (size_t)eh.e_phnum * sizeof(*ph)) == -1 ||
	    (shsz != 0 && vmon_image_read(img, eh.e_shoff, sh, shsz) == -1))
		goto out;

	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		pa = ph[i].p_paddr & 0x0fffffff;
		if (ph[i].p_filesz > ph[i].p_memsz ||
		    ph[i].p_offset + ph[i].p_filesz > img->i_size) {
			warnx("elf: segment %zu outside the file", i);
			goto out;
		}
		if (vmon_image_to_guest(m, img, ph[i].p_offset, pa,
		    ph[i].p_filesz) == -1)
			goto out;
		if (ph[i].p_memsz > ph[i].p_filesz) {
			if ((p = vmon_gpa(m, pa + ph[i].p_filesz,
			    ph[i].p_memsz - ph[i].p_filesz)) == NULL) {
				warnx("elf: bss of segment %zu is not in guest "
				    "RAM", i);
				goto out;
			}
			memset(p, 0, ph[i].p_memsz - ph[i].p_filesz);
		}
		if (pa < lo)
			lo = pa;
		if (pa + ph[i].p_memsz > hi)
			hi = pa + ph[i].p_memsz;
	}
	if (hi == 0) {
		warnx("elf: no loadable segment");
		goto out;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_OPENBSD_RANDOMIZE)
			continue;
		if ((p = vmon_gpa(m, ph[i].p_paddr & 0x0fffffff,
		    ph[i].p_filesz)) == NULL) {
			warnx("elf: random segment is not in guest RAM");
			goto out;
		}
		arc4random_buf(p, ph[i].p_filesz);
	}

	/*
	 * Symbols for ddb: an ELF header whose section headers follow it,
	 * then the symbol and string tables at the offsets those give.
	 */
	ssym = ROUND8(hi);
	off = ROUND8(sizeof(eh) + shsz);
	for (i = 0; i < eh.e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB &&
		    sh[i].sh_type != SHT_STRTAB) {
			sh[i].sh_offset = 0;
			continue;
		}
		if (sh[i].sh_offset + sh[i].sh_size > img->i_size) {
			warnx("elf: symbols outside the file");
			goto out;
		}
		if (vmon_image_to_guest(m, img, sh[i].sh_offset, ssym + off,
		    sh[i].sh_size) == -1)
			goto out;
		sh[i].sh_offset = off;
		off += ROUND8(sh[i].sh_size);
	}
	seh = eh;
	seh.e_phoff = 0;
	seh.e_phentsize = 0;
	seh.e_phnum = 0;
	seh.e_shoff = sizeof(eh);
	if (put_gpa(m, ssym, &seh, sizeof(seh)) == -1 ||
	    (shsz != 0 && put_gpa(m, ssym + sizeof(eh), sh, shsz) == -1))
		goto out;

	if ((argsz = bootargs(m)) == -1 || tables(m) == -1)
		goto out;
	/* start(howto, bootdev, apiver, esym, extmem, cnvmem, argsz, args) */
	stack[0] = 0;				/* return address */
	stack[1] = boot_howto(cmdline);
	stack[2] = B_DEVMAGIC | BOOTDEV_SD;	/* MAKEBOOTDEV(4, 0, 0, 0, 0) */
	stack[3] = BAPIV_VMEMMAP;
	stack[4] = ssym + off;
	stack[5] = 0;
	stack[6] = 0;
	stack[7] = argsz;
	stack[8] = ELF_BOOTARGS;
	if (put_gpa(m, ELF_STACK + 4096 - sizeof(stack), stack,
	    sizeof(stack)) == -1)
		goto out;

	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RIP] = eh.e_entry & 0x0fffffff;
	vrs->vrs_gprs[VCPU_REGS_RSP] = ELF_STACK + 4096 - sizeof(stack);
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x80000011;	/* PG, ET, PE */
	vrs->vrs_crs[VCPU_REGS_CR3] = ELF_PML4;
	vrs->vrs_crs[VCPU_REGS_CR4] = 0x30;		/* PAE, PSE */
	vrs->vrs_crs[VCPU_REGS_XCR0] = 0x1;
	vrs->vrs_msrs[VCPU_REGS_EFER] = 0x500;		/* LME, LMA */
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		vrs->vrs_sregs[i].vsi_sel = 0x10;
		vrs->vrs_sregs[i].vsi_limit = 0xffffffff;
		vrs->vrs_sregs[i].vsi_ar = 0xc093;
	}
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x8;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xc09f;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_sel = 0;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_limit = 0xffff;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x0082;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_sel = 0;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_limit = 0xffff;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x008b;
	vrs->vrs_gdtr.vsi_base = ELF_GDT;
	vrs->vrs_gdtr.vsi_limit = 0xffff;
	vrs->vrs_idtr.vsi_limit = 0xffff;
	vrs->vrs_drs[VCPU_REGS_DR6] = 0xffff0ff0;
	vrs->vrs_drs[VCPU_REGS_DR7] = 0x400;

	printf("vmon: elf: kernel 0x%llx-0x%llx, symbols to 0x%llx, entry "
	    "0x%llx, boot arguments %d bytes\n", (unsigned long long)lo,
	    (unsigned long long)hi, (unsigned long long)(ssym + off),
	    (unsigned long long)vrs->vrs_gprs[VCPU_REGS_RIP], argsz);
	ret = 0;
out:
	free(ph);
	free(sh);
	return (ret);
}
