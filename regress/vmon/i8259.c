/*
 * i8259.c: the two cascaded 8259A interrupt controllers (ports 0x20-0x21,
 * 0xa0-0xa1) and the edge/level control registers (0x4d0-0x4d1), as vmd
 * provides them.  Fixed priorities (line 0 first), specific and
 * non-specific EOI, automatic EOI, IRR/ISR reads, poll mode.  Called with
 * the shared lock held.
 */

#include <string.h>

#include "vmon.h"

struct pic {
	uint8_t	p_irr;		/* requests */
	uint8_t	p_isr;		/* in service */
	uint8_t	p_imr;		/* masked */
	uint8_t	p_base;		/* ICW2: vector of line 0 */
	uint8_t	p_icw;		/* next ICW expected (0: none) */
	uint8_t	p_icw4;		/* ICW1 said an ICW4 follows */
	uint8_t	p_aeoi;		/* automatic EOI */
	uint8_t	p_read_isr;	/* OCW3: reads of the command port give ISR */
	uint8_t	p_poll;		/* OCW3: the next read polls */
	uint8_t	p_elcr;		/* level-triggered lines */
	uint8_t	p_level;	/* level lines now asserted */
};

static struct pic	*pics;		/* master, slave (line 2) */

#define PIC_MASTER	0
#define PIC_SLAVE	1
#define CASCADE		2

void
i8259_init(void)
{
	if (pics == NULL)
		pics = vmon_shared_alloc(2 * sizeof(*pics));
	memset(pics, 0, 2 * sizeof(*pics));
	pics[PIC_MASTER].p_base = 0x08;
	pics[PIC_SLAVE].p_base = 0x70;
}

/* Highest-priority line set in `bits`, or -1. */
static int
first_line(uint8_t bits)
{
	int i;

	for (i = 0; i < 8; i++)
		if (bits & (1 << i))
			return (i);
	return (-1);
}

/*
 * The line a controller would present now: a requested, unmasked line of
 * higher priority than every line in service; -1 if none.
 */
static int
pic_pending(const struct pic *p, uint8_t extra)
{
	int req, svc;

	req = first_line((p->p_irr | extra) & ~p->p_imr);
	if (req == -1)
		return (-1);
	svc = first_line(p->p_isr);
	if (svc != -1 && svc <= req)
		return (-1);
	return (req);
}

/* The slave's request shows on the master's cascade line. */
static uint8_t
cascade_bit(void)
{
	return (pic_pending(&pics[PIC_SLAVE], 0) != -1 ? 1 << CASCADE : 0);
}

int
i8259_is_pending(void)
{
	return (pic_pending(&pics[PIC_MASTER], cascade_bit()) != -1);
}

/* Raise line irq (0-15); returns whether an interrupt is now pending. */
int
i8259_assert_irq(uint8_t irq)
{
	struct pic *p = &pics[irq >> 3];
	uint8_t bit = 1 << (irq & 7);

	if (irq >= 16)
		return (i8259_is_pending());
	p->p_irr |= bit;
	if (p->p_elcr & bit)
		p->p_level |= bit;
	return (i8259_is_pending());
}

/* Lower line irq: a level-triggered request goes away. */
int
i8259_deassert_irq(uint8_t irq)
{
	struct pic *p = &pics[irq >> 3];
	uint8_t bit = 1 << (irq & 7);

	if (irq < 16 && (p->p_elcr & bit)) {
		p->p_level &= ~bit;
		p->p_irr &= ~bit;
	}
	return (i8259_is_pending());
}

/* Take one line into service; returns its number within the controller. */
static int
pic_take(struct pic *p, int line)
{
	uint8_t bit = 1 << line;

	/* An edge request is consumed; a level one stays while asserted. */
	if ((p->p_level & bit) == 0)
		p->p_irr &= ~bit;
	if (!p->p_aeoi)
		p->p_isr |= bit;
	return (line);
}

/*
 * The CPU acknowledges: the vector of the highest-priority pending line
 * (IRR to ISR); 0xffff when nothing is pending (vmd's value).
 */
uint16_t
i8259_ack(void)
{
	struct pic *m = &pics[PIC_MASTER], *s = &pics[PIC_SLAVE];
	int line, sline;

	line = pic_pending(m, cascade_bit());
	if (line == -1)
		return (0xffff);
	if (line != CASCADE) {
		pic_take(m, line);
		return (m->p_base + line);
	}
	sline = pic_pending(s, 0);
	pic_take(m, CASCADE);
	pic_take(s, sline);
	return (s->p_base + sline);
}

static void
pic_eoi(struct pic *p, int line)
{
	if (line == -1)
		line = first_line(p->p_isr);
	if (line != -1)
		p->p_isr &= ~(1 << line);
}

static void
pic_command(struct pic *p, uint8_t v)
{
	if (v & 0x10) {
		/* ICW1: start initialisation. */
		p->p_icw = 2;
		p->p_icw4 = v & 0x01;
		p->p_imr = 0;
		p->p_isr = 0;
		p->p_irr &= p->p_level;
		p->p_aeoi = 0;
		p->p_read_isr = 0;
		p->p_poll = 0;
	} else if ((v & 0x18) == 0x08) {
		/* OCW3 */
		if (v & 0x04)
			p->p_poll = 1;
		if (v & 0x02)
			p->p_read_isr = v & 0x01;
	} else {
		/* OCW2: EOI (specific or not); rotation is not offered. */
		switch (v & 0xe0) {
		case 0x20:
		case 0xa0:
			pic_eoi(p, -1);
			break;
		case 0x60:
		case 0xe0:
			pic_eoi(p, v & 7);
			break;
		}
	}
}

static void
pic_data(struct pic *p, uint8_t v)
{
	switch (p->p_icw) {
	case 2:
		p->p_base = v & 0xf8;
		p->p_icw = 3;
		break;
	case 3:
		/* Cascade wiring: fixed here (slave on line 2). */
		p->p_icw = p->p_icw4 ? 4 : 0;
		break;
	case 4:
		p->p_aeoi = (v & 0x02) != 0;
		p->p_icw = 0;
		break;
	default:
		p->p_imr = v;	/* OCW1 */
		break;
	}
}

/* Poll command: like an acknowledge, the line in bits 0-2, bit 7 set. */
static uint8_t
pic_poll(struct pic *p, int slave)
{
	int line;

	p->p_poll = 0;
	line = pic_pending(p, slave ? 0 : cascade_bit());
	if (line == -1)
		return (0);
	pic_take(p, line);
	return (0x80 | line);
}

uint8_t
vcpu_exit_i8259(struct vm_exit_inout *vei)
{
	int slave = vei->vei_port >= 0xa0;
	struct pic *p = &pics[slave];
	uint8_t v = vei->vei_data;

	if (vei->vei_dir == VEI_DIR_OUT) {
		if ((vei->vei_port & 1) == 0)
			pic_command(p, v);
		else
			pic_data(p, v);
		return (IRQ_NONE);
	}
	if (p->p_poll)
		v = pic_poll(p, slave);
	else if (vei->vei_port & 1)
		v = p->p_imr;
	else
		v = p->p_read_isr ? p->p_isr : p->p_irr;
	vei_set_in(vei, v);
	return (IRQ_NONE);
}

/* 0x4d0/0x4d1: which lines are level-triggered (0, 1, 2, 8, 13 never). */
uint8_t
vcpu_exit_elcr(struct vm_exit_inout *vei)
{
	int slave = vei->vei_port & 1;
	struct pic *p = &pics[slave];
	uint8_t never = slave ? 0x21 : 0x07;

	if (vei->vei_dir == VEI_DIR_OUT) {
		p->p_elcr = vei->vei_data & ~never;
		p->p_level &= p->p_elcr;
	} else
		vei_set_in(vei, p->p_elcr);
	return (IRQ_NONE);
}
