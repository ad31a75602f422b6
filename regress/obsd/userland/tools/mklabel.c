/*
 * mklabel: write an OpenBSD disklabel into a file system image.
 *
 *	mklabel image
 *
 * The label goes to sector 1 (LABELSECTOR on amd64), where an FFS image
 * made by makefs(8) has nothing: its first 8 KiB are left for boot code.
 * Partition a, an FFS with 8 KiB blocks and 1 KiB fragments, and the raw
 * partition c both cover the whole image.  The layout is the one of
 * struct disklabel in OpenBSD's <sys/disklabel.h>, version 1 (48-bit
 * sector numbers), little-endian.
 */

#include <sys/types.h>
#include <err.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DEV_BSIZE	512
#define LABELSECTOR	1
#define DISKMAGIC	0x82564557U
#define MAXPARTITIONS	16
#define DTYPE_RDROOT	15		/* RAM disk root */
#define FS_UNUSED	0
#define FS_BSDFFS	7

#define FFS_BSIZE	8192		/* as given to makefs */
#define FFS_FSIZE	1024

struct partition {
	uint32_t	p_size;		/* sectors, low 32 bits */
	uint32_t	p_offset;	/* first sector, low 32 bits */
	uint16_t	p_offseth;	/* high bits */
	uint16_t	p_sizeh;
	uint8_t		p_fstype;
	uint8_t		p_fragblock;	/* FFS block and fragment sizes */
	uint16_t	p_cpg;
};

struct disklabel {
	uint32_t	d_magic;
	uint16_t	d_type;
	uint16_t	d_subtype;
	char		d_typename[16];
	char		d_packname[16];
	uint32_t	d_secsize;
	uint32_t	d_nsectors;	/* sectors per track */
	uint32_t	d_ntracks;	/* tracks per cylinder */
	uint32_t	d_ncylinders;
	uint32_t	d_secpercyl;
	uint32_t	d_secperunit;	/* sectors, low 32 bits */
	unsigned char	d_uid[8];
	uint32_t	d_acylinders;
	uint16_t	d_bstarth;	/* usable area, high bits */
	uint16_t	d_bendh;
	uint32_t	d_bstart;
	uint32_t	d_bend;
	uint32_t	d_flags;
	uint32_t	d_spare4[5];
	uint16_t	d_secperunith;	/* sectors, high bits */
	uint16_t	d_version;
	uint32_t	d_spare[4];
	uint32_t	d_magic2;
	uint16_t	d_checksum;	/* 16-bit words xor to 0 */
	uint16_t	d_npartitions;
	uint32_t	d_spare2;
	uint32_t	d_spare3;
	struct partition d_partitions[MAXPARTITIONS];
};

_Static_assert(sizeof(struct partition) == 16, "partition layout");
_Static_assert(offsetof(struct disklabel, d_version) == 114, "label layout");
_Static_assert(offsetof(struct disklabel, d_checksum) == 136, "label layout");
_Static_assert(offsetof(struct disklabel, d_partitions) == 148,
    "label layout");
_Static_assert(sizeof(struct disklabel) <= DEV_BSIZE, "label size");

/* Block and fragment sizes as the label encodes them. */
static uint8_t
fragblock(unsigned int bsize, unsigned int fsize)
{
	unsigned int frag = bsize / fsize;

	return (((__builtin_ffs(bsize) - 13) << 3) | __builtin_ffs(frag));
}

static void
whole(struct partition *pp, uint64_t nsec)
{
	pp->p_size = (uint32_t)nsec;
	pp->p_sizeh = (uint16_t)(nsec >> 32);
	pp->p_offset = 0;
	pp->p_offseth = 0;
}

int
main(int argc, char *argv[])
{
	struct disklabel dl;
	unsigned char sector[DEV_BSIZE];
	uint16_t *w, sum = 0;
	uint64_t nsec;
	FILE *fp;
	long len;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: mklabel image\n");
		return (2);
	}
	if ((fp = fopen(argv[1], "r+b")) == NULL)
		err(1, "%s", argv[1]);
	if (fseek(fp, 0, SEEK_END) == -1 || (len = ftell(fp)) == -1)
		err(1, "%s: size", argv[1]);
	if (len % DEV_BSIZE != 0 || len < 2 * DEV_BSIZE)
		errx(1, "%s: %ld bytes, not whole sectors", argv[1], len);
	nsec = len / DEV_BSIZE;

	memset(&dl, 0, sizeof(dl));
	dl.d_magic = dl.d_magic2 = DISKMAGIC;
	dl.d_type = DTYPE_RDROOT;
	strncpy(dl.d_typename, "rdroot", sizeof(dl.d_typename));
	strncpy(dl.d_packname, "regress", sizeof(dl.d_packname));
	dl.d_secsize = DEV_BSIZE;
	dl.d_nsectors = (uint32_t)nsec;
	dl.d_ntracks = 1;
	dl.d_ncylinders = 1;
	dl.d_secpercyl = (uint32_t)nsec;
	dl.d_secperunit = (uint32_t)nsec;
	dl.d_secperunith = (uint16_t)(nsec >> 32);
	dl.d_bstart = 0;
	dl.d_bend = (uint32_t)nsec;
	dl.d_bendh = (uint16_t)(nsec >> 32);
	dl.d_version = 1;
	dl.d_npartitions = MAXPARTITIONS;
	whole(&dl.d_partitions[0], nsec);
	dl.d_partitions[0].p_fstype = FS_BSDFFS;
	dl.d_partitions[0].p_fragblock = fragblock(FFS_BSIZE, FFS_FSIZE);
	whole(&dl.d_partitions[2], nsec);
	dl.d_partitions[2].p_fstype = FS_UNUSED;

	/* dkcksum(): xor of the 16-bit words up to the last partition. */
	for (w = (uint16_t *)&dl, i = 0;
	    i < offsetof(struct disklabel, d_partitions[MAXPARTITIONS]) / 2;
	    i++)
		sum ^= w[i];
	dl.d_checksum = sum;

	/* The sector must be free: makefs leaves it zero. */
	if (fseek(fp, LABELSECTOR * DEV_BSIZE, SEEK_SET) == -1 ||
	    fread(sector, sizeof(sector), 1, fp) != 1)
		err(1, "%s: read", argv[1]);
	for (i = 0; i < sizeof(sector); i++)
		if (sector[i] != 0)
			errx(1, "%s: sector %d is in use", argv[1],
			    LABELSECTOR);
	if (fseek(fp, LABELSECTOR * DEV_BSIZE, SEEK_SET) == -1 ||
	    fwrite(&dl, sizeof(dl), 1, fp) != 1 || fclose(fp) == EOF)
		err(1, "%s: write", argv[1]);
	return (0);
}
