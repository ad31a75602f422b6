/*
 * Testbed <machine/segments.h>: the testbed's GDT (kern/locore.S):
 * 0x08 kernel code (64-bit), 0x10 kernel data, 0x20 the TSS (16 bytes).
 */

#ifndef _MACHINE_SEGMENTS_H_
#define _MACHINE_SEGMENTS_H_

#define GCODE_SEL	1
#define GDATA_SEL	2
#define GPROC0_SEL	4		/* TSS, two slots */
#define NGDT_MEM	4
#define NGDT_SYS	1
#define GDT_SIZE	((NGDT_MEM << 3) + (NGDT_SYS << 4))

#define GSEL(s, r)	(((s) << 3) | (r))
#define SEL_KPL		0

#endif /* !_MACHINE_SEGMENTS_H_ */
