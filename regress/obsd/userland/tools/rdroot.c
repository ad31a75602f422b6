/*
 * rdroot: put a root file system image into a ramdisk kernel.
 *
 *	rdroot -s kernel		print the ramdisk's size in bytes
 *	rdroot kernel image out		write kernel, with image, to out
 *
 * A kernel with rd(4) and RAMDISK_HOOKS has the array rd_root_image
 * (MINIROOTSIZE sectors, initialised data, so its bytes are in the file)
 * that rd0 serves.  The image goes at the start of that array; the rest
 * is cleared.  The symbol table gives the array's address and size, the
 * program headers its place in the file.
 */

#include <sys/types.h>
#include <elf.h>
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYMBOL	"rd_root_image"
#define MARKER	"|This is the root ramdisk!"

static unsigned char *
readfile(const char *path, size_t *lenp)
{
	unsigned char *buf;
	FILE *fp;
	long len;

	if ((fp = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	if (fseek(fp, 0, SEEK_END) == -1 || (len = ftell(fp)) == -1 ||
	    fseek(fp, 0, SEEK_SET) == -1)
		err(1, "%s: size", path);
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		err(1, NULL);
	if (fread(buf, 1, len, fp) != (size_t)len)
		err(1, "%s: read", path);
	fclose(fp);
	*lenp = len;
	return (buf);
}

static void *
at(unsigned char *buf, size_t buflen, uint64_t off, uint64_t len,
    const char *what)
{
	if (off > buflen || len > buflen - off)
		errx(1, "kernel: %s outside the file", what);
	return (buf + off);
}

/* Finds the ramdisk array: its file offset and size. */
static void
find_ramdisk(unsigned char *k, size_t klen, uint64_t *offp, uint64_t *sizep)
{
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	Elf64_Phdr *ph;
	Elf64_Sym *sym = NULL, *syms;
	const char *strs;
	size_t i, n;

	eh = at(k, klen, 0, sizeof(*eh), "ELF header");
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		errx(1, "kernel: not an x86-64 ELF file");
	sh = at(k, klen, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(*sh),
	    "section headers");
	ph = at(k, klen, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(*ph),
	    "program headers");
	for (i = 0; i < eh->e_shnum && sym == NULL; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		syms = at(k, klen, sh[i].sh_offset, sh[i].sh_size, "symbols");
		strs = at(k, klen, sh[sh[i].sh_link].sh_offset,
		    sh[sh[i].sh_link].sh_size, "symbol names");
		for (n = 0; n < sh[i].sh_size / sizeof(*syms); n++)
			if (syms[n].st_name < sh[sh[i].sh_link].sh_size &&
			    strcmp(strs + syms[n].st_name, SYMBOL) == 0) {
				sym = &syms[n];
				break;
			}
	}
	if (sym == NULL)
		errx(1, "kernel: no symbol %s (not a ramdisk kernel, or "
		    "stripped)", SYMBOL);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || sym->st_value < ph[i].p_vaddr ||
		    sym->st_value + sym->st_size >
		    ph[i].p_vaddr + ph[i].p_filesz)
			continue;
		*offp = ph[i].p_offset + (sym->st_value - ph[i].p_vaddr);
		*sizep = sym->st_size;
		if (memcmp(at(k, klen, *offp, sizeof(MARKER) - 1, SYMBOL),
		    MARKER, sizeof(MARKER) - 1) != 0)
			errx(1, "kernel: %s does not start with the ramdisk "
			    "marker", SYMBOL);
		return;
	}
	errx(1, "kernel: %s is not in the file's loaded bytes", SYMBOL);
}

int
main(int argc, char *argv[])
{
	unsigned char *k, *img;
	size_t klen, ilen;
	uint64_t off, size;
	FILE *fp;

	if (argc == 3 && strcmp(argv[1], "-s") == 0) {
		k = readfile(argv[2], &klen);
		find_ramdisk(k, klen, &off, &size);
		printf("%llu\n", (unsigned long long)size);
		return (0);
	}
	if (argc != 4) {
		fprintf(stderr, "usage: rdroot -s kernel\n"
		    "       rdroot kernel image out\n");
		return (2);
	}
	k = readfile(argv[1], &klen);
	img = readfile(argv[2], &ilen);
	find_ramdisk(k, klen, &off, &size);
	if (ilen > size)
		errx(1, "%s: %zu bytes, the ramdisk has %llu", argv[2], ilen,
		    (unsigned long long)size);
	memset(k + off, 0, size);
	memcpy(k + off, img, ilen);
	if ((fp = fopen(argv[3], "wb")) == NULL)
		err(1, "%s", argv[3]);
	if (fwrite(k, 1, klen, fp) != klen || fclose(fp) == EOF)
		err(1, "%s: write", argv[3]);
	return (0);
}
