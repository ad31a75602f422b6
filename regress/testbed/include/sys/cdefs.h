/*
 * Testbed <sys/cdefs.h>: compiler attribute shorthands used by OpenBSD
 * sources.  Shared by kernel and user code.
 */

#ifndef _SYS_CDEFS_H_
#define _SYS_CDEFS_H_

#define __BEGIN_DECLS
#define __END_DECLS

#define __CONCAT(x, y)		x ## y
#define __STRING(x)		#x

#define __dead			__attribute__((__noreturn__))
#define __pure			__attribute__((__const__))
#define __packed		__attribute__((__packed__))
#define __aligned(x)		__attribute__((__aligned__(x)))
#define __unused		__attribute__((__unused__))
#define __used			__attribute__((__used__))
#define __maybe_unused		__attribute__((__unused__))
#define __weak			__attribute__((__weak__))
#define __section(x)		__attribute__((__section__(x)))
#define __returns_twice		__attribute__((__returns_twice__))
#define __only_inline		static __inline
#define __malloc		__attribute__((__malloc__))

#define __predict_true(e)	__builtin_expect(((e) != 0), 1)
#define __predict_false(e)	__builtin_expect(((e) != 0), 0)

#define __printflike(f, a)	__attribute__((__format__(__printf__, f, a)))

#define __DECONST(t, v)		((t)(unsigned long)(const void *)(v))
#define __UNVOLATILE(v)		((void *)(unsigned long)(volatile void *)(v))

#define __BSD_VISIBLE		1
#define __POSIX_VISIBLE		200809
#define __XPG_VISIBLE		700
#define __ISO_C_VISIBLE		2011

#ifndef _KERNEL
/*
 * Every libc entry point that could collide with a kernel symbol of the
 * same name (malloc, free, printf, exit, ...) is given a private link
 * name, so that user programs and the kernel can share one image.
 */
#define __TB_LIBC(name)		__asm__("tb_u_" #name)
#endif

#endif /* !_SYS_CDEFS_H_ */
