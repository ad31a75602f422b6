/*
 * cons.c: console output on COM1 (0x3f8) and the 0xe9 debug port, plus
 * the printf(9) family.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <machine/cpufunc.h>

#include "tb.h"

#define COM1		0x3f8
#define COM_DATA	0
#define COM_IER		1
#define COM_FCR		2
#define COM_LCR		3
#define COM_MCR		4
#define COM_LSR		5
#define LSR_THRE	0x20
#define LCR_DLAB	0x80
#define DEBUG_PORT	0xe9

void
cons_init(void)
{
	outb(COM1 + COM_IER, 0x00);
	outb(COM1 + COM_LCR, LCR_DLAB);
	outb(COM1 + COM_DATA, 0x01);		/* 115200 baud */
	outb(COM1 + COM_IER, 0x00);
	outb(COM1 + COM_LCR, 0x03);		/* 8N1 */
	outb(COM1 + COM_FCR, 0x07);		/* FIFO on, cleared */
	outb(COM1 + COM_MCR, 0x03);		/* DTR, RTS */
}

static int cons_col;

int
cons_atlinestart(void)
{
	return (cons_col == 0);
}

void
cons_putc(int c)
{
	int spin;

	cons_col = (c == '\n') ? 0 : cons_col + 1;

	/* Bounded wait: output must never hang the run. */
	for (spin = 0; spin < 1000000; spin++)
		if (inb(COM1 + COM_LSR) & LSR_THRE)
			break;
	outb(COM1 + COM_DATA, c);
	outb(DEBUG_PORT, c);
}

void
cons_write(const char *buf, size_t len)
{
	while (len-- > 0)
		cons_putc(*buf++);
}

static void
kputc(int c, void *arg)
{
	(void)arg;
	cons_putc(c);
}

int
vprintf(const char *fmt, va_list ap)
{
	return (tb_vformat(kputc, NULL, fmt, ap));
}

int
printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return (n);
}

void
uprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void
log(int level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

int
vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return (tb_vsformat(buf, size, fmt, ap));
}

int
snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return (n);
}
