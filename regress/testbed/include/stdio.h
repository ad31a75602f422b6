/*
 * Testbed <stdio.h>: console output only.  stdout and stderr both go to
 * the serial console; every output line of a regress program is shown
 * with a "# " prefix so that it can never be mistaken for a test result.
 */

#ifndef _STDIO_H_
#define _STDIO_H_

#ifdef _KERNEL
#error "<stdio.h> is a user header; kernel code uses <sys/systm.h>"
#endif

#include <sys/cdefs.h>
#include <sys/_types.h>
#include <stdarg.h>

#ifndef _SIZE_T_DEFINED_
#define _SIZE_T_DEFINED_
typedef __size_t	size_t;
#endif

#ifndef NULL
#define NULL		((void *)0)
#endif

typedef struct __tb_sFILE {
	int	_file;		/* file descriptor */
	int	_flags;
	int	_err;
	int	_eof;
} FILE;

extern FILE	__tb_sF[3];

#define stdin	(&__tb_sF[0])
#define stdout	(&__tb_sF[1])
#define stderr	(&__tb_sF[2])

#define EOF	(-1)
#define BUFSIZ	1024

int	 printf(const char *, ...) __TB_LIBC(printf) __printflike(1, 2);
int	 fprintf(FILE *, const char *, ...) __TB_LIBC(fprintf)
	    __printflike(2, 3);
int	 dprintf(int, const char *, ...) __TB_LIBC(dprintf) __printflike(2, 3);
int	 sprintf(char *, const char *, ...) __TB_LIBC(sprintf)
	    __printflike(2, 3);
int	 snprintf(char *, size_t, const char *, ...) __TB_LIBC(snprintf)
	    __printflike(3, 4);
int	 asprintf(char **, const char *, ...) __TB_LIBC(asprintf)
	    __printflike(2, 3);
int	 vprintf(const char *, va_list) __TB_LIBC(vprintf);
int	 vfprintf(FILE *, const char *, va_list) __TB_LIBC(vfprintf);
int	 vdprintf(int, const char *, va_list) __TB_LIBC(vdprintf);
int	 vsnprintf(char *, size_t, const char *, va_list) __TB_LIBC(vsnprintf);
int	 vasprintf(char **, const char *, va_list) __TB_LIBC(vasprintf);
int	 puts(const char *) __TB_LIBC(puts);
int	 fputs(const char *, FILE *) __TB_LIBC(fputs);
int	 putchar(int) __TB_LIBC(putchar);
int	 fputc(int, FILE *) __TB_LIBC(fputc);
int	 putc(int, FILE *) __TB_LIBC(putc);
size_t	 fwrite(const void *, size_t, size_t, FILE *) __TB_LIBC(fwrite);
int	 fflush(FILE *) __TB_LIBC(fflush);
void	 perror(const char *) __TB_LIBC(perror);
int	 fileno(FILE *) __TB_LIBC(fileno);
void	 setbuf(FILE *, char *) __TB_LIBC(setbuf);
int	 setvbuf(FILE *, char *, int, size_t) __TB_LIBC(setvbuf);
int	 getchar(void) __TB_LIBC(getchar);
int	 ferror(FILE *) __TB_LIBC(ferror);

#define _IOFBF	0
#define _IOLBF	1
#define _IONBF	2

#endif /* !_STDIO_H_ */
