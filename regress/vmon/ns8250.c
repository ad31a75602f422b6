/*
 * ns8250.c: com0 (ports 0x3f8-0x3ff, line 4), the guest's console, shown
 * live on the monitor's standard output a line at a time.  A 16550A as
 * far as a driver can tell (FIFO bits in IIR), transmitting at once:
 * the transmitter-empty interrupt, modem status and loopback.  There is
 * no input.  The line to the PIC is gated by MCR OUT2 as on a PC, and is
 * raised when an interrupt condition appears.  Called with the shared
 * lock held.
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmon.h"

#define COM_DATA	0
#define COM_IER		1
#define COM_IIR		2	/* read; write: FCR */
#define COM_LCR		3
#define COM_MCR		4
#define COM_LSR		5
#define COM_MSR		6
#define COM_SCR		7

#define IER_ETXRDY	0x02
#define IIR_NOPEND	0x01
#define IIR_TXRDY	0x02
#define IIR_FIFO	0xc0
#define LCR_DLAB	0x80
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define LSR_TXRDY	0x20
#define LSR_TSRE	0x40

static struct com {
	uint8_t	ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t	thre;		/* transmitter-empty interrupt pending */
	char	line[512];
	size_t	len;
} *comstate;

#define com	(*comstate)

void
ns8250_init(void)
{
	if (comstate == NULL)
		comstate = vmon_shared_alloc(sizeof(*comstate));
	memset(comstate, 0, sizeof(*comstate));
	com.dll = 1;		/* 115200 baud */
}

/* Writes out the console line so far. */
void
ns8250_flush(void)
{
	if (com.len == 0)
		return;
	if (!vcfg.c_quiet) {
		com.line[com.len++] = '\n';
		(void)write(STDOUT_FILENO, com.line, com.len);
	}
	com.len = 0;
	com.line[0] = '\0';
}

static void
console_putc(uint8_t c)
{
	vsh->sh_st.st_console_bytes++;
	vmon_console_progress();
	if (c == '\r')
		return;
	if (c == '\n') {
		ns8250_flush();
		return;
	}
	if (com.len >= sizeof(com.line) - 2)
		ns8250_flush();
	com.line[com.len++] = c;
	com.line[com.len] = '\0';
	if (vcfg.c_marker != NULL && !vsh->sh_marker_seen &&
	    strstr(com.line, vcfg.c_marker) != NULL) {
		vsh->sh_marker_seen = 1;
		vsh->sh_st.st_ns_marker = vmon_nsec() - vsh->sh_t0;
		vsh->sh_st.st_tsc_marker = rdtsc_now() - vsh->sh_tsc0;
		if (vcfg.c_marker_stop)
			vmon_stop(END_MARKER, "the marker appeared");
	}
}

/* The condition changed from none to one: raise the line (if OUT2). */
static uint8_t
set_thre(void)
{
	if ((com.ier & IER_ETXRDY) == 0 || com.thre)
		return (IRQ_NONE);
	com.thre = 1;
	return ((com.mcr & MCR_OUT2) ? IRQ_COM1 : IRQ_NONE);
}

static uint8_t
msr(void)
{
	uint8_t m = com.mcr, v = 0;

	if ((m & MCR_LOOP) == 0)
		return (0xb0);		/* DCD, DSR, CTS */
	if (m & MCR_RTS)
		v |= 0x10;
	if (m & MCR_DTR)
		v |= 0x20;
	if (m & MCR_OUT1)
		v |= 0x40;
	if (m & MCR_OUT2)
		v |= 0x80;
	return (v);
}

static uint8_t
com_out(int reg, uint8_t v)
{
	switch (reg) {
	case COM_DATA:
		if (com.lcr & LCR_DLAB) {
			com.dll = v;
			break;
		}
		if ((com.mcr & MCR_LOOP) == 0)
			console_putc(v);
		/* Sent at once: the transmitter is empty again. */
		return (set_thre());
	case COM_IER:
		if (com.lcr & LCR_DLAB) {
			com.dlm = v;
			break;
		}
		com.ier = v & 0x0f;
		if ((com.ier & IER_ETXRDY) == 0) {
			com.thre = 0;
			break;
		}
		return (set_thre());
	case COM_IIR:
		com.fcr = v;
		break;
	case COM_LCR:
		com.lcr = v;
		break;
	case COM_MCR:
		com.mcr = v & 0x1f;
		if ((com.mcr & MCR_OUT2) && com.thre)
			return (IRQ_COM1);
		break;
	case COM_SCR:
		com.scr = v;
		break;
	}
	return (IRQ_NONE);
}

static uint8_t
com_in(int reg)
{
	uint8_t fifo = (com.fcr & 0x01) ? IIR_FIFO : 0;

	switch (reg) {
	case COM_DATA:
		return ((com.lcr & LCR_DLAB) ? com.dll : 0);
	case COM_IER:
		return ((com.lcr & LCR_DLAB) ? com.dlm : com.ier);
	case COM_IIR:
		if (com.thre) {
			com.thre = 0;
			return (fifo | IIR_TXRDY);
		}
		return (fifo | IIR_NOPEND);
	case COM_LCR:
		return (com.lcr);
	case COM_MCR:
		return (com.mcr);
	case COM_LSR:
		return (LSR_TXRDY | LSR_TSRE);
	case COM_MSR:
		return (msr());
	default:
		return (com.scr);
	}
}

uint8_t
vcpu_exit_com(struct vm_exit_inout *vei)
{
	int reg = vei->vei_port - 0x3f8;

	if (vei->vei_dir == VEI_DIR_OUT)
		return (com_out(reg, vei->vei_data));
	vei_set_in(vei, com_in(reg));
	return (IRQ_NONE);
}
