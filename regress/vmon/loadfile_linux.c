/*
 * loadfile_linux.c: Linux's x86 boot protocol (Documentation/arch/x86/
 * boot.rst), 64-bit entry: the protected-mode part of a bzImage at
 * 1 MiB, the zero page (boot_params) with the setup header, the e820 map
 * made from vmd's memory ranges, the command line and the initrd, and a
 * vcpu in long mode on identity-mapped page tables with the boot GDT the
 * protocol asks for (code 0x10, data 0x18).
 */

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmon.h"

/* Guest-physical layout below 640 KiB. */
#define LX_GDT		0x5000
#define LX_PML4		0x6000
#define LX_ZEROPAGE	0x7000
#define LX_PDPT		0x8000
#define LX_PD		0x9000		/* four pages: 4 GiB */
#define LX_CMDLINE	0x20000
#define LX_KERNEL	0x100000

/* boot_params and setup header offsets. */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_SETUP_SECTS		0x1f1
#define BP_HEADER		0x202	/* "HdrS" */
#define BP_VERSION		0x206
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_INITRD_ADDR_MAX	0x22c
#define BP_XLOADFLAGS		0x236
#define BP_CMDLINE_SIZE		0x238
#define BP_INIT_SIZE		0x260
#define BP_E820_TABLE		0x2d0
#define E820_MAX		128

#define LOADED_HIGH		0x01
#define XLF_KERNEL_64		0x01
#define E820_RAM		1
#define E820_RESERVED		2

#define PG_V		0x001
#define PG_RW		0x002
#define PG_PS		0x080

static uint32_t
get32(const uint8_t *p)
{
	return (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

int
linux_probe(struct vmon_image *img)
{
	uint8_t hdr[0x210];

	if (img->i_size < sizeof(hdr) ||
	    vmon_image_read(img, 0, hdr, sizeof(hdr)) == -1)
		return (0);
	return (memcmp(hdr + BP_HEADER, "HdrS", 4) == 0 &&
	    hdr[0x1fe] == 0x55 && hdr[0x1ff] == 0xaa);
}

/* End of the RAM range holding [gpa, gpa + len), 0 if none. */
static uint64_t
ram_end(uint64_t gpa)
{
	struct vm_mem_range *r;
	size_t i;

	for (i = 0; i < vcp.vcp_nmemranges; i++) {
		r = &vcp.vcp_memranges[i];
		if (r->vmr_type == VM_MEM_RAM && gpa >= r->vmr_gpa &&
		    gpa < r->vmr_gpa + r->vmr_size)
			return (r->vmr_gpa + r->vmr_size);
	}
	return (0);
}

static int
write_or_warn(const struct vmon_mem *m, uint64_t gpa, const void *buf,
    size_t len, const char *what)
{
	if (vmon_write_gpa(m, gpa, buf, len) == -1) {
		warnx("linux: %s at 0x%llx (%zu bytes) is not in guest RAM",
		    what, (unsigned long long)gpa, len);
		return (-1);
	}
	return (0);
}

int
linux_load(const struct vmon_mem *m, struct vmon_image *kern,
    struct vmon_image *initrd, const char *cmdline,
    struct vcpu_reg_state *vrs)
{
	static uint8_t bp[4096], page[4096];
	uint64_t koff, ksize, init_size, end, rd = 0, maxrd;
	uint16_t version;
	size_t len, i, n;
	uint8_t sects, *e;
	struct vm_mem_range *r;
	int j;

	memset(bp, 0, sizeof(bp));
	if (vmon_image_read(kern, 0, bp, 1024) == -1)
		return (-1);
	version = bp[BP_VERSION] | bp[BP_VERSION + 1] << 8;
	if (version < 0x20c || (bp[BP_XLOADFLAGS] & XLF_KERNEL_64) == 0) {
		warnx("linux: boot protocol %u.%u without the 64-bit entry",
		    version >> 8, version & 0xff);
		return (-1);
	}
	/* The zero page: the setup header as the image has it, then ours. */
	len = 0x202 + bp[0x201];
	memset(bp, 0, BP_SETUP_SECTS);
	memset(bp + len, 0, sizeof(bp) - len);
	sects = bp[BP_SETUP_SECTS] ? bp[BP_SETUP_SECTS] : 4;
	koff = (uint64_t)(sects + 1) * 512;
	if (koff >= kern->i_size) {
		warnx("linux: no protected-mode kernel");
		return (-1);
	}
	ksize = kern->i_size - koff;
	init_size = get32(bp + BP_INIT_SIZE);
	end = ram_end(LX_KERNEL);
	if (end < LX_KERNEL + (init_size > ksize ? init_size : ksize)) {
		warnx("linux: the kernel needs %llu MiB from 1 MiB on",
		    (unsigned long long)(init_size >> 20) + 1);
		return (-1);
	}
	bp[BP_TYPE_OF_LOADER] = 0xff;
	bp[BP_LOADFLAGS] |= LOADED_HIGH;

	len = strlen(cmdline) + 1;
	if (len > get32(bp + BP_CMDLINE_SIZE) + 1 || len > 4096) {
		warnx("linux: command line longer than %u bytes",
		    get32(bp + BP_CMDLINE_SIZE));
		return (-1);
	}
	if (write_or_warn(m, LX_CMDLINE, cmdline, len, "command line") == -1)
		return (-1);
	put32(bp + BP_CMD_LINE_PTR, LX_CMDLINE);

	if (vmon_image_to_guest(m, kern, koff, LX_KERNEL, ksize) == -1)
		return (-1);

	if (initrd != NULL) {
		/* As high as the kernel allows, in the RAM above 1 MiB. */
		maxrd = (uint64_t)get32(bp + BP_INITRD_ADDR_MAX) + 1;
		end = ram_end(LX_KERNEL);
		if (end > maxrd)
			end = maxrd;
		rd = (end - initrd->i_size) & ~0xfffULL;
		if (initrd->i_size > end ||
		    rd < LX_KERNEL + (init_size > ksize ? init_size : ksize)) {
			warnx("linux: no room for the %llu-byte initrd",
			    (unsigned long long)initrd->i_size);
			return (-1);
		}
		if (vmon_image_to_guest(m, initrd, 0, rd, initrd->i_size) == -1)
			return (-1);
		put32(bp + BP_RAMDISK_IMAGE, rd);
		put32(bp + BP_RAMDISK_SIZE, initrd->i_size);
	}

	/* e820: RAM usable, everything else of vmd's map reserved. */
	n = 0;
	for (i = 0; i < vcp.vcp_nmemranges && n < E820_MAX; i++) {
		r = &vcp.vcp_memranges[i];
		e = bp + BP_E820_TABLE + n++ * 20;
		put64(e, r->vmr_gpa);
		put64(e + 8, r->vmr_size);
		put32(e + 16, r->vmr_type == VM_MEM_RAM ? E820_RAM :
		    E820_RESERVED);
	}
	bp[BP_E820_ENTRIES] = n;
	if (write_or_warn(m, LX_ZEROPAGE, bp, sizeof(bp), "zero page") == -1)
		return (-1);

	/* Boot GDT: 0x10 64-bit code, 0x18 data, both flat. */
	memset(page, 0, sizeof(page));
	put64(page + 0x10, 0x00af9b000000ffffULL);
	put64(page + 0x18, 0x00cf93000000ffffULL);
	if (write_or_warn(m, LX_GDT, page, 0x20, "GDT") == -1)
		return (-1);

	/* Identity map of the first 4 GiB in 2 MiB pages. */
	memset(page, 0, sizeof(page));
	put64(page, LX_PDPT | PG_V | PG_RW);
	if (write_or_warn(m, LX_PML4, page, sizeof(page), "PML4") == -1)
		return (-1);
	for (j = 0; j < 4; j++)
		put64(page + j * 8, (LX_PD + j * 4096) | PG_V | PG_RW);
	if (write_or_warn(m, LX_PDPT, page, sizeof(page), "PDPT") == -1)
		return (-1);
	for (j = 0; j < 4; j++) {
		for (i = 0; i < 512; i++)
			put64(page + i * 8, ((uint64_t)j << 30) |
			    (i << 21) | PG_V | PG_RW | PG_PS);
		if (write_or_warn(m, LX_PD + j * 4096, page, sizeof(page),
		    "page directory") == -1)
			return (-1);
	}

	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RIP] = LX_KERNEL + 0x200;
	vrs->vrs_gprs[VCPU_REGS_RSI] = LX_ZEROPAGE;
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x80000011;	/* PG, ET, PE */
	vrs->vrs_crs[VCPU_REGS_CR3] = LX_PML4;
	vrs->vrs_crs[VCPU_REGS_CR4] = 0x20;		/* PAE */
	vrs->vrs_crs[VCPU_REGS_XCR0] = 0x1;
	vrs->vrs_msrs[VCPU_REGS_EFER] = 0x500;		/* LME, LMA */
	for (j = 0; j < VCPU_REGS_NSREGS; j++) {
		vrs->vrs_sregs[j].vsi_sel = 0x18;
		vrs->vrs_sregs[j].vsi_limit = 0xffffffff;
		vrs->vrs_sregs[j].vsi_ar = 0xc093;
		vrs->vrs_sregs[j].vsi_base = 0;
	}
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x10;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xa09b;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_sel = 0;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_limit = 0xffff;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x0082;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_sel = 0;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_limit = 0xffff;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x008b;
	vrs->vrs_gdtr.vsi_base = LX_GDT;
	vrs->vrs_gdtr.vsi_limit = 0x1f;
	vrs->vrs_idtr.vsi_limit = 0xffff;
	vrs->vrs_drs[VCPU_REGS_DR6] = 0xffff0ff0;
	vrs->vrs_drs[VCPU_REGS_DR7] = 0x400;

	printf("vmon: linux: boot protocol %u.%u, kernel %llu bytes at "
	    "0x%x (needs %llu), initrd %llu bytes at 0x%llx, "
	    "%zu e820 entries\n", version >> 8, version & 0xff,
	    (unsigned long long)ksize, LX_KERNEL,
	    (unsigned long long)init_size,
	    (unsigned long long)(initrd ? initrd->i_size : 0),
	    (unsigned long long)rd, n);
	return (0);
}
