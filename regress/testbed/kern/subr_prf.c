/*
 * subr_prf.c: the printf formatting engine, shared by the kernel's
 * printf(9) family and the user-side stdio shim.
 *
 * Supported: flags "-0+ #", field width and precision (also "*"),
 * length modifiers hh h l ll q j z t, conversions d i u o x X c s p %
 * and the kernel's %b (bit field names, "\20\1FIRST\2SECOND").
 */

#include <sys/types.h>
#include <stdarg.h>

#include "tb.h"

struct fmtout {
	tb_putc_t	 fo_putc;
	void		*fo_arg;
	int		 fo_count;
};

struct fmtspec {
	int	left;		/* '-' */
	int	zero;		/* '0' */
	int	plus;		/* '+' */
	int	space;		/* ' ' */
	int	alt;		/* '#' */
	int	width;
	int	prec;		/* -1: none */
};

static void
fo_putc(struct fmtout *fo, int c)
{
	fo->fo_putc(c, fo->fo_arg);
	fo->fo_count++;
}

static void
fo_pad(struct fmtout *fo, int c, int n)
{
	while (n-- > 0)
		fo_putc(fo, c);
}

static void
fmt_string(struct fmtout *fo, const char *s, struct fmtspec *fs)
{
	int len = 0;

	if (s == NULL)
		s = "(null)";
	while (s[len] != '\0' && (fs->prec < 0 || len < fs->prec))
		len++;
	if (!fs->left)
		fo_pad(fo, ' ', fs->width - len);
	for (int i = 0; i < len; i++)
		fo_putc(fo, s[i]);
	if (fs->left)
		fo_pad(fo, ' ', fs->width - len);
}

/*
 * Print an unsigned magnitude with optional sign and base prefix,
 * honouring width, precision and the padding flags.
 */
static void
fmt_number(struct fmtout *fo, uint64_t v, int neg, int base, int upper,
    const char *prefix, struct fmtspec *fs)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0, ndig, plen, total, zeros;
	char sign = 0;

	do {
		buf[n++] = digits[v % base];
		v /= base;
	} while (v != 0);
	if (fs->prec == 0 && n == 1 && buf[0] == '0')
		n = 0;		/* "%.0d" of zero prints nothing */

	if (neg)
		sign = '-';
	else if (fs->plus)
		sign = '+';
	else if (fs->space)
		sign = ' ';

	plen = prefix != NULL ? (int)__builtin_strlen(prefix) : 0;
	ndig = n;
	zeros = 0;
	if (fs->prec > ndig)
		zeros = fs->prec - ndig;
	total = (sign ? 1 : 0) + plen + zeros + ndig;
	if (fs->zero && !fs->left && fs->prec < 0 && fs->width > total) {
		zeros += fs->width - total;
		total = fs->width;
	}

	if (!fs->left)
		fo_pad(fo, ' ', fs->width - total);
	if (sign)
		fo_putc(fo, sign);
	for (int i = 0; i < plen; i++)
		fo_putc(fo, prefix[i]);
	fo_pad(fo, '0', zeros);
	while (n > 0)
		fo_putc(fo, buf[--n]);
	if (fs->left)
		fo_pad(fo, ' ', fs->width - total);
}

/* The kernel's %b: number in the base given by the first byte, then
 * the names of the set bits in angle brackets. */
static void
fmt_bits(struct fmtout *fo, uint64_t v, const char *bits, struct fmtspec *fs)
{
	int base, any = 0, bit;

	base = (unsigned char)*bits++;
	if (base != 8 && base != 10 && base != 16)
		base = 16;
	fmt_number(fo, v, 0, base, 0, base == 16 && fs->alt ? "0x" : NULL, fs);
	while ((bit = (unsigned char)*bits++) != 0) {
		if (v & (1ULL << (bit - 1))) {
			fo_putc(fo, any ? ',' : '<');
			any = 1;
			while ((unsigned char)*bits > ' ')
				fo_putc(fo, *bits++);
		} else {
			while ((unsigned char)*bits > ' ')
				bits++;
		}
	}
	if (any)
		fo_putc(fo, '>');
}

struct sbuf {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void
sputc(int c, void *arg)
{
	struct sbuf *sb = arg;

	if (sb->size != 0 && sb->len < sb->size - 1)
		sb->buf[sb->len] = c;
	sb->len++;
}

/* vsnprintf(3) semantics, for the kernel's and the libc shim's. */
int
tb_vsformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sbuf sb = { buf, size, 0 };
	int n;

	n = tb_vformat(sputc, &sb, fmt, ap);
	if (size != 0)
		buf[sb.len < size ? sb.len : size - 1] = '\0';
	return (n);
}

int
tb_vformat(tb_putc_t putc, void *arg, const char *fmt, va_list ap)
{
	struct fmtout fo = { putc, arg, 0 };
	struct fmtspec fs;
	int lmod;	/* 0 int, 1 char, 2 short, 3 long, 4 long long */
	uint64_t u;
	int64_t s;
	char c;

	while ((c = *fmt++) != '\0') {
		if (c != '%') {
			fo_putc(&fo, c);
			continue;
		}
		fs.left = fs.zero = fs.plus = fs.space = fs.alt = 0;
		fs.width = 0;
		fs.prec = -1;
		lmod = 0;

		for (;; fmt++) {
			if (*fmt == '-')
				fs.left = 1;
			else if (*fmt == '0')
				fs.zero = 1;
			else if (*fmt == '+')
				fs.plus = 1;
			else if (*fmt == ' ')
				fs.space = 1;
			else if (*fmt == '#')
				fs.alt = 1;
			else
				break;
		}
		if (*fmt == '*') {
			fs.width = va_arg(ap, int);
			if (fs.width < 0) {
				fs.left = 1;
				fs.width = -fs.width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				fs.width = fs.width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			fs.prec = 0;
			if (*fmt == '*') {
				fs.prec = va_arg(ap, int);
				if (fs.prec < 0)
					fs.prec = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					fs.prec = fs.prec * 10 + (*fmt++ - '0');
			}
		}
		switch (*fmt) {
		case 'h':
			fmt++;
			lmod = 2;
			if (*fmt == 'h') {
				fmt++;
				lmod = 1;
			}
			break;
		case 'l':
			fmt++;
			lmod = 3;
			if (*fmt == 'l') {
				fmt++;
				lmod = 4;
			}
			break;
		case 'q':
		case 'j':
			fmt++;
			lmod = 4;
			break;
		case 'z':
		case 't':
			fmt++;
			lmod = 3;
			break;
		}

		switch (c = *fmt++) {
		case 'd':
		case 'i':
			if (lmod >= 3)
				s = lmod == 4 ? va_arg(ap, long long) :
				    va_arg(ap, long);
			else
				s = va_arg(ap, int);
			if (lmod == 1)
				s = (signed char)s;
			else if (lmod == 2)
				s = (short)s;
			u = s < 0 ? -(uint64_t)s : (uint64_t)s;
			fmt_number(&fo, u, s < 0, 10, 0, NULL, &fs);
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			if (lmod >= 3)
				u = lmod == 4 ? va_arg(ap, unsigned long long) :
				    va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			if (lmod == 1)
				u = (unsigned char)u;
			else if (lmod == 2)
				u = (unsigned short)u;
			if (c == 'u')
				fmt_number(&fo, u, 0, 10, 0, NULL, &fs);
			else if (c == 'o')
				fmt_number(&fo, u, 0, 8, 0,
				    fs.alt && u != 0 ? "0" : NULL, &fs);
			else
				fmt_number(&fo, u, 0, 16, c == 'X',
				    fs.alt && u != 0 ? (c == 'X' ? "0X" :
				    "0x") : NULL, &fs);
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			fmt_number(&fo, u, 0, 16, 0, "0x", &fs);
			break;
		case 'c':
			if (!fs.left)
				fo_pad(&fo, ' ', fs.width - 1);
			fo_putc(&fo, (unsigned char)va_arg(ap, int));
			if (fs.left)
				fo_pad(&fo, ' ', fs.width - 1);
			break;
		case 's':
			fmt_string(&fo, va_arg(ap, const char *), &fs);
			break;
		case 'b':
			u = va_arg(ap, unsigned int);
			fmt_bits(&fo, u, va_arg(ap, const char *), &fs);
			break;
		case '%':
			fo_putc(&fo, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			fo_putc(&fo, '%');
			fo_putc(&fo, c);
			break;
		}
	}
	return (fo.fo_count);
}
