/*
 * pinsyscalls: give a static OpenBSD/amd64 executable linked by an
 * upstream ld.lld its PT_OPENBSD_SYSCALLS program header.
 *
 *	pinsyscalls file
 *
 * OpenBSD's execve(2) reads, from the segment of that type, pairs of
 * 32-bit words {address of a `syscall' instruction, system call number}
 * (for a non-PIE ET_EXEC the address is the link-time one) and lets the
 * process make each system call only from its own instruction.
 * OpenBSD's linker makes that header; upstream ld.lld does not.  The
 * stubs (syscall.S) collect the pairs in the unloaded section
 * .openbsd.syscalls; this tool turns the PT_GNU_STACK header, which
 * OpenBSD ignores, into PT_OPENBSD_SYSCALLS over that section's bytes.
 *
 * It checks the table first: every address must hold a `syscall'
 * instruction (0f 05) in an executable PT_LOAD segment and no number may
 * appear twice (the kernel would allow such a call from anywhere).
 */

#include <sys/types.h>
#include <elf.h>
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT_OPENBSD_SYSCALLS	0x65a3dbe9
#define SYS_MAXSYSCALL		331	/* OpenBSD 7.6 */
#define SECTION			".openbsd.syscalls"

static unsigned char	*buf;
static size_t		 buflen;

static void *
at(uint64_t off, uint64_t len, const char *what)
{
	if (off > buflen || len > buflen - off)
		errx(1, "%s outside the file", what);
	return (buf + off);
}

/* The file bytes at a virtual address inside an executable PT_LOAD. */
static const unsigned char *
text_at(Elf64_Phdr *ph, int phnum, uint32_t addr, size_t len)
{
	int i;

	for (i = 0; i < phnum; i++) {
		if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & PF_X) == 0)
			continue;
		if (addr >= ph[i].p_vaddr &&
		    addr + len <= ph[i].p_vaddr + ph[i].p_filesz)
			return (at(ph[i].p_offset + (addr - ph[i].p_vaddr),
			    len, "instruction"));
	}
	return (NULL);
}

int
main(int argc, char *argv[])
{
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh, *tab = NULL;
	Elf64_Phdr *ph, *stack = NULL;
	const char *names;
	const unsigned char *insn;
	uint32_t *pairs;
	unsigned char seen[SYS_MAXSYSCALL];
	size_t i, npairs;
	FILE *fp;
	long len;

	if (argc != 2) {
		fprintf(stderr, "usage: pinsyscalls file\n");
		return (2);
	}
	if ((fp = fopen(argv[1], "r+b")) == NULL)
		err(1, "%s", argv[1]);
	if (fseek(fp, 0, SEEK_END) == -1 || (len = ftell(fp)) <= 0 ||
	    fseek(fp, 0, SEEK_SET) == -1)
		err(1, "%s: size", argv[1]);
	buflen = len;
	if ((buf = malloc(buflen)) == NULL)
		err(1, NULL);
	if (fread(buf, 1, buflen, fp) != buflen)
		err(1, "%s: read", argv[1]);

	eh = at(0, sizeof(*eh), "ELF header");
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		errx(1, "%s: not an x86-64 ET_EXEC file", argv[1]);
	ph = at(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(*ph),
	    "program headers");
	sh = at(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(*sh),
	    "section headers");
	if (eh->e_shstrndx >= eh->e_shnum)
		errx(1, "%s: no section names", argv[1]);
	names = at(sh[eh->e_shstrndx].sh_offset,
	    sh[eh->e_shstrndx].sh_size, "section names");

	for (i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_name < sh[eh->e_shstrndx].sh_size &&
		    strcmp(names + sh[i].sh_name, SECTION) == 0)
			tab = &sh[i];
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_OPENBSD_SYSCALLS)
			errx(1, "%s: already has PT_OPENBSD_SYSCALLS",
			    argv[1]);
		if (ph[i].p_type == PT_GNU_STACK)
			stack = &ph[i];
	}
	if (tab == NULL)
		errx(1, "%s: no %s section", argv[1], SECTION);
	if (stack == NULL)
		errx(1, "%s: no PT_GNU_STACK header to reuse", argv[1]);
	if (tab->sh_size == 0 || tab->sh_size % 8 != 0 ||
	    tab->sh_size > SYS_MAXSYSCALL * 2 * 8)
		errx(1, "%s: %s has a bad size", argv[1], SECTION);

	pairs = at(tab->sh_offset, tab->sh_size, SECTION);
	npairs = tab->sh_size / 8;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < npairs; i++) {
		uint32_t addr = pairs[2 * i], num = pairs[2 * i + 1];

		if (num == 0 || num >= SYS_MAXSYSCALL)
			errx(1, "%s: bad system call number %u", argv[1], num);
		if (seen[num]++)
			errx(1, "%s: system call %u made from two places",
			    argv[1], num);
		insn = text_at(ph, eh->e_phnum, addr, 2);
		if (insn == NULL || insn[0] != 0x0f || insn[1] != 0x05)
			errx(1, "%s: no syscall instruction at 0x%x "
			    "(number %u)", argv[1], addr, num);
	}

	stack->p_type = PT_OPENBSD_SYSCALLS;
	stack->p_flags = PF_R;
	stack->p_offset = tab->sh_offset;
	stack->p_vaddr = 0;
	stack->p_paddr = 0;
	stack->p_filesz = tab->sh_size;
	stack->p_memsz = 0;
	stack->p_align = 4;
	if (fseek(fp, 0, SEEK_SET) == -1 ||
	    fwrite(buf, 1, buflen, fp) != buflen || fclose(fp) == EOF)
		err(1, "%s: write", argv[1]);
	return (0);
}
