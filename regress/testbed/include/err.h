/* Testbed <err.h>: messages go to stderr, prefixed by the program name. */

#ifndef _ERR_H_
#define _ERR_H_

#include <sys/cdefs.h>
#include <stdarg.h>

__dead void	err(int, const char *, ...) __TB_LIBC(err) __printflike(2, 3);
__dead void	verr(int, const char *, va_list) __TB_LIBC(verr);
__dead void	errc(int, int, const char *, ...) __TB_LIBC(errc)
		    __printflike(3, 4);
__dead void	verrc(int, int, const char *, va_list) __TB_LIBC(verrc);
__dead void	errx(int, const char *, ...) __TB_LIBC(errx) __printflike(2, 3);
__dead void	verrx(int, const char *, va_list) __TB_LIBC(verrx);
void		warn(const char *, ...) __TB_LIBC(warn) __printflike(1, 2);
void		vwarn(const char *, va_list) __TB_LIBC(vwarn);
void		warnc(int, const char *, ...) __TB_LIBC(warnc)
		    __printflike(2, 3);
void		vwarnc(int, const char *, va_list) __TB_LIBC(vwarnc);
void		warnx(const char *, ...) __TB_LIBC(warnx) __printflike(1, 2);
void		vwarnx(const char *, va_list) __TB_LIBC(vwarnx);

#endif /* !_ERR_H_ */
