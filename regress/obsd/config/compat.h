/*	$vmm-rs: compat.h $	*/

/*
 * Force-included into every file of the Linux port of config(8).
 *
 * config(8) works with OpenBSD device numbers: it builds them from the
 * "root on"/"swap on" lines and prints them back as makedev(maj, min)
 * into swapbsd.c, and it divides minors by the partition count.  glibc's
 * major(), minor() and makedev() (<sys/sysmacros.h>) use Linux's 64-bit
 * layout, so give the program OpenBSD's 32-bit one: the major in bits
 * 8-15, the minor in bits 0-7 and 16-31.
 */

#ifndef CONFIG_COMPAT_H
#define CONFIG_COMPAT_H

#include <sys/types.h>

#define major(d)	((int)(((unsigned int)(d) >> 8) & 0xff))
#define minor(d)	((int)(((unsigned int)(d) & 0xff) | \
			    (((unsigned int)(d) & 0xffff0000) >> 8)))
#define makedev(x, y)	((dev_t)((((unsigned int)(x) & 0xff) << 8) | \
			    ((unsigned int)(y) & 0xff) | \
			    (((unsigned int)(y) & 0xffff00) << 8)))

#endif /* CONFIG_COMPAT_H */
