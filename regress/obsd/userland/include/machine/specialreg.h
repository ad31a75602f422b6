/*
 * <machine/specialreg.h> of the OpenBSD userland: the subset of the
 * amd64 register bits that regress programs use (OpenBSD's names).
 */

#ifndef _OBSD_MACHINE_SPECIALREG_H_
#define _OBSD_MACHINE_SPECIALREG_H_

/* CR0 */
#define CR0_PE		0x00000001	/* protected mode */
#define CR0_ET		0x00000010	/* extension type */
#define CR0_NE		0x00000020	/* native FPU error reporting */
#define CR0_NW		0x20000000	/* not write-through */
#define CR0_CD		0x40000000	/* cache disable */
#define CR0_PG		0x80000000	/* paging */

/* XCR0: the state components XSAVE manages. */
#define XFEATURE_X87	0x00000001
#define XFEATURE_SSE	0x00000002
#define XFEATURE_AVX	0x00000004

#endif /* !_OBSD_MACHINE_SPECIALREG_H_ */
