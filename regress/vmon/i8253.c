/*
 * i8253.c: the interval timer (ports 0x40-0x43) and port 0x61 (channel
 * 2's gate and output, the refresh toggle), on the monitor's clock
 * (vmon_nsec).  Modes 0-5 with the count worked out from the time
 * elapsed since the count was loaded; counter latch and read-back
 * commands; channel 0 raises line 0 (vmd's PIT).  Binary counting only.
 * Called with the shared lock held.
 */

#include <string.h>

#include "vmon.h"

#define PIT_HZ		1193182ULL
#define NSEC		1000000000ULL

struct pit_chan {
	uint8_t		c_mode;		/* 0-5 */
	uint8_t		c_rw;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	uint8_t		c_wflip;	/* next write is the MSB */
	uint8_t		c_rflip;	/* next read is the MSB */
	uint8_t		c_wlsb;		/* LSB written, MSB to come */
	uint8_t		c_armed;	/* a count is loaded and running */
	uint8_t		c_fired;	/* one-shot modes: terminal count seen */
	uint8_t		c_gate;
	uint8_t		c_latched;	/* bytes of c_latch left to read */
	uint8_t		c_status_latched;
	uint8_t		c_status;
	uint16_t	c_latch;
	uint32_t	c_count;	/* 1-65536 */
	uint64_t	c_start;	/* ns when counting began */
	uint64_t	c_frozen;	/* ticks counted when the gate fell */
	uint64_t	c_next;		/* channel 0: ns of the next interrupt */
};

static struct pit {
	struct pit_chan	p_chan[3];
	uint8_t		p_port61;	/* bits 0-3 as written */
} *pitstate;

#define pit	pitstate->p_chan
#define port61	pitstate->p_port61

static void	load_count(struct pit_chan *, uint32_t, uint64_t);

static uint64_t
ns_to_ticks(uint64_t ns)
{
	return ((ns / NSEC) * PIT_HZ + (ns % NSEC) * PIT_HZ / NSEC);
}

static uint64_t
ticks_to_ns(uint64_t t)
{
	return ((t / PIT_HZ) * NSEC + (t % PIT_HZ) * NSEC / PIT_HZ);
}

/*
 * As vmd starts them: every channel counting down from 0xffff in mode 0,
 * from now on, without an interrupt until the guest loads a count
 * (channel 2 counts only while its gate is up).
 */
void
i8253_init(void)
{
	uint64_t now = vmon_nsec();
	int i;

	if (pitstate == NULL)
		pitstate = vmon_shared_alloc(sizeof(*pitstate));
	memset(pitstate, 0, sizeof(*pitstate));
	for (i = 0; i < 3; i++) {
		pit[i].c_gate = (i != 2);
		pit[i].c_rw = 3;
		load_count(&pit[i], 0xffff, now);
		pit[i].c_fired = 1;
	}
	port61 = 0;
}

static int
periodic(const struct pit_chan *c)
{
	return ((c->c_mode & 3) == 2 || (c->c_mode & 3) == 3);
}

/* Ticks counted since the count was loaded. */
static uint64_t
elapsed(const struct pit_chan *c, uint64_t now)
{
	if (!c->c_armed)
		return (0);
	if (!c->c_gate)
		return (c->c_frozen);
	return (c->c_frozen + ns_to_ticks(now - c->c_start));
}

static uint16_t
current_count(const struct pit_chan *c, uint64_t now)
{
	uint64_t e = elapsed(c, now);

	if (!c->c_armed)
		return (c->c_count & 0xffff);
	if (periodic(c))
		return ((c->c_count - e % c->c_count) & 0xffff);
	/* One-shot: after the terminal count it wraps and goes on. */
	return ((c->c_count - e) & 0xffff);
}

static int
output(const struct pit_chan *c, uint64_t now)
{
	uint64_t e = elapsed(c, now);

	if (!c->c_armed)
		return (c->c_mode != 0);
	switch (c->c_mode) {
	case 0:
	case 1:
		return (e >= c->c_count);
	case 2:
	case 6:
		return (e % c->c_count != c->c_count - 1);
	case 3:
	case 7:
		return (e % c->c_count < (c->c_count + 1) / 2);
	default:	/* 4, 5: low for the one tick of the terminal count */
		return (e != c->c_count);
	}
}

static void
load_count(struct pit_chan *c, uint32_t v, uint64_t now)
{
	c->c_count = v == 0 ? 65536 : v;
	c->c_start = now;
	c->c_frozen = 0;
	c->c_armed = 1;
	c->c_fired = 0;
	c->c_next = now + ticks_to_ns(c->c_count);
}

static void
latch(struct pit_chan *c, uint64_t now)
{
	if (c->c_latched)
		return;		/* the first latch holds until read */
	c->c_latch = current_count(c, now);
	c->c_latched = c->c_rw == 3 ? 2 : 1;
	c->c_rflip = 0;
}

static void
control(uint8_t v, uint64_t now)
{
	struct pit_chan *c;
	int i;

	if ((v >> 6) == 3) {
		/* Read-back: bit 5 clear latches counts, bit 4 clear status. */
		for (i = 0; i < 3; i++) {
			if ((v & (2 << i)) == 0)
				continue;
			c = &pit[i];
			if ((v & 0x20) == 0)
				latch(c, now);
			if ((v & 0x10) == 0 && !c->c_status_latched) {
				c->c_status = (output(c, now) << 7) |
				    (!c->c_armed << 6) | (c->c_rw << 4) |
				    (c->c_mode << 1);
				c->c_status_latched = 1;
			}
		}
		return;
	}
	c = &pit[v >> 6];
	if ((v & 0x30) == 0) {
		latch(c, now);
		return;
	}
	c->c_rw = (v >> 4) & 3;
	c->c_mode = (v >> 1) & 7;
	if (c->c_mode > 5)
		c->c_mode -= 4;
	c->c_wflip = c->c_rflip = 0;
	c->c_latched = 0;
	c->c_armed = 0;
	c->c_fired = 0;
}

static void
write_count(struct pit_chan *c, uint8_t v, uint64_t now)
{
	switch (c->c_rw) {
	case 1:
		load_count(c, v, now);
		break;
	case 2:
		load_count(c, (uint32_t)v << 8, now);
		break;
	default:
		if (!c->c_wflip) {
			c->c_wlsb = v;
			c->c_wflip = 1;
			/* Mode 0 stops counting when a new count begins. */
			if (c->c_mode == 0)
				c->c_armed = 0;
		} else {
			c->c_wflip = 0;
			load_count(c, c->c_wlsb | ((uint32_t)v << 8), now);
		}
		break;
	}
}

static uint8_t
read_count(struct pit_chan *c, uint64_t now)
{
	uint16_t v;
	int msb;

	if (c->c_status_latched) {
		c->c_status_latched = 0;
		return (c->c_status);
	}
	if (c->c_latched) {
		v = c->c_latch;
		c->c_latched--;
	} else
		v = current_count(c, now);
	switch (c->c_rw) {
	case 1:
		msb = 0;
		break;
	case 2:
		msb = 1;
		break;
	default:
		msb = c->c_rflip;
		c->c_rflip ^= 1;
		break;
	}
	return (msb ? v >> 8 : v & 0xff);
}

uint8_t
vcpu_exit_i8253(struct vm_exit_inout *vei)
{
	uint64_t now = vmon_nsec();
	uint8_t v = vei->vei_data;

	if (vei->vei_port == 0x43) {
		if (vei->vei_dir == VEI_DIR_OUT)
			control(v, now);
		else
			vei_set_in(vei, 0xff);
		return (IRQ_NONE);
	}
	if (vei->vei_dir == VEI_DIR_OUT)
		write_count(&pit[vei->vei_port - 0x40], v, now);
	else
		vei_set_in(vei, read_count(&pit[vei->vei_port - 0x40], now));
	return (IRQ_NONE);
}

/* Port 0x61: channel 2's gate (bit 0) and output (bit 5), refresh (4). */
uint8_t
vcpu_exit_i8253_misc(struct vm_exit_inout *vei)
{
	struct pit_chan *c = &pit[2];
	uint64_t now = vmon_nsec();
	int gate;

	if (vei->vei_dir == VEI_DIR_OUT) {
		port61 = vei->vei_data & 0x0f;
		gate = port61 & 1;
		if (gate && !c->c_gate) {
			/* Rising gate: periodic modes start over. */
			if (c->c_armed && (periodic(c) || c->c_mode == 1 ||
			    c->c_mode == 5))
				load_count(c, c->c_count & 0xffff, now);
			else
				c->c_start = now;
		} else if (!gate && c->c_gate)
			c->c_frozen = elapsed(c, now);
		c->c_gate = gate;
		return (IRQ_NONE);
	}
	vei_set_in(vei, port61 | (output(c, now) << 5) |
	    (((now / 15085) & 1) << 4));
	return (IRQ_NONE);
}

/*
 * Channel 0's interrupts up to now: 1 if line 0 is to be raised.  *next
 * gets the earliest time another one is due (unchanged if none).
 */
int
i8253_tick(uint64_t now, uint64_t *next)
{
	struct pit_chan *c = &pit[0];
	uint64_t period;
	int fire = 0;

	if (!c->c_armed)
		return (0);
	if (periodic(c)) {
		period = ticks_to_ns(c->c_count);
		if (now >= c->c_next) {
			fire = 1;
			/* Ticks the guest could not take are dropped. */
			c->c_next += period;
			if (c->c_next <= now)
				c->c_next = now + period;
		}
	} else if (!c->c_fired) {
		if (now >= c->c_next) {
			fire = 1;
			c->c_fired = 1;
		}
	}
	if ((periodic(c) || !c->c_fired) && c->c_next < *next)
		*next = c->c_next;
	return (fire);
}
