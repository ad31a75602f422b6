/*
 * mc146818.c: the real-time clock and its NVRAM (ports 0x70-0x71), line
 * 8.  The time is the host's real-time clock at start plus the
 * monitor's clock since; periodic and update-ended interrupts; the
 * memory sizes in the NVRAM as vmd fills them (the RAM above 16 MiB and
 * above 4 GiB in 64 KiB units, no further CPUs).  The clock and
 * the NVRAM survive a reset of the machine.  Called with the shared lock
 * held.
 */

#include <string.h>
#include <time.h>

#include "vmon.h"

#define NSEC		1000000000ULL

#define RTC_SEC		0x00
#define RTC_MIN		0x02
#define RTC_HOUR	0x04
#define RTC_WDAY	0x06
#define RTC_MDAY	0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_STATUSA	0x0a
#define RTC_STATUSB	0x0b
#define RTC_INTR	0x0c
#define RTC_STATUSD	0x0d
#define RTC_CENTURY	0x32

#define B_SET		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define B_DM		0x04	/* binary, not BCD */
#define B_24HR		0x02
#define C_IRQF		0x80
#define C_PF		0x40
#define C_UF		0x10

/* NVRAM bytes vmd fills for a BIOS (SeaBIOS reads them). */
#define NV_MEM16LO	0x34	/* 16 MiB-4 GiB, 64 KiB units (2 bytes) */
#define NV_MEM4GLO	0x5b	/* above 4 GiB, 64 KiB units (3 bytes) */
#define NV_SMP_COUNT	0x5f	/* CPUs besides the first */

static struct rtc {
	uint8_t		regs[128];
	uint8_t		index;
	int64_t		epoch;		/* guest time at t0, seconds */
	uint64_t	t0;		/* monitor clock then */
	uint64_t	next_periodic;
	uint64_t	next_update;
} *rtcstate;

#define rtc	(*rtcstate)

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
civil_from_days(int64_t z, int64_t *yp, int *mp, int *dp)
{
	int64_t era, doe, yoe, doy, mp0;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp0 = (5 * doy + 2) / 153;
	*dp = doy - (153 * mp0 + 2) / 5 + 1;
	*mp = mp0 < 10 ? mp0 + 3 : mp0 - 9;
	*yp = yoe + era * 400 + (*mp <= 2);
}

static uint8_t
to_reg(int v)
{
	if (rtc.regs[RTC_STATUSB] & B_DM)
		return (v);
	return (((v / 10) << 4) | (v % 10));
}

static int
from_reg(uint8_t v)
{
	if (rtc.regs[RTC_STATUSB] & B_DM)
		return (v);
	return ((v >> 4) * 10 + (v & 0x0f));
}

static int64_t
now_secs(uint64_t now)
{
	return (rtc.epoch + (int64_t)((now - rtc.t0) / NSEC));
}

/* The time registers from the clock. */
static void
update_regs(uint64_t now)
{
	int64_t t = now_secs(now), days, y;
	int secs, m, d, hour;

	days = t / 86400;
	secs = t % 86400;
	civil_from_days(days, &y, &m, &d);
	rtc.regs[RTC_SEC] = to_reg(secs % 60);
	rtc.regs[RTC_MIN] = to_reg(secs / 60 % 60);
	hour = secs / 3600;
	if (rtc.regs[RTC_STATUSB] & B_24HR)
		rtc.regs[RTC_HOUR] = to_reg(hour);
	else
		rtc.regs[RTC_HOUR] = to_reg(hour % 12 == 0 ? 12 : hour % 12) |
		    (hour >= 12 ? 0x80 : 0);
	rtc.regs[RTC_WDAY] = to_reg((days + 4) % 7 + 1);
	rtc.regs[RTC_MDAY] = to_reg(d);
	rtc.regs[RTC_MONTH] = to_reg(m);
	rtc.regs[RTC_YEAR] = to_reg(y % 100);
	rtc.regs[RTC_CENTURY] = to_reg(y / 100);
}

/* The guest set the clock: take the registers as the time from now on. */
static void
set_time(uint64_t now)
{
	int hour = from_reg(rtc.regs[RTC_HOUR] & 0x7f);
	int64_t y;

	if ((rtc.regs[RTC_STATUSB] & B_24HR) == 0) {
		hour %= 12;
		if (rtc.regs[RTC_HOUR] & 0x80)
			hour += 12;
	}
	y = from_reg(rtc.regs[RTC_CENTURY]) * 100 +
	    from_reg(rtc.regs[RTC_YEAR]);
	rtc.epoch = days_from_civil(y, from_reg(rtc.regs[RTC_MONTH]),
	    from_reg(rtc.regs[RTC_MDAY])) * 86400 + hour * 3600 +
	    from_reg(rtc.regs[RTC_MIN]) * 60 + from_reg(rtc.regs[RTC_SEC]);
	rtc.t0 = now;
}

/* ns between periodic interrupts for the rate in status A (0: off). */
static uint64_t
periodic_ns(void)
{
	int rate = rtc.regs[RTC_STATUSA] & 0x0f;

	if (rate == 0)
		return (0);
	if (rate < 3)
		rate += 7;
	return (NSEC / (32768 >> (rate - 1)));
}

/*
 * mem_lo: bytes of RAM from 1 MiB to 4 GiB; mem_hi: above 4 GiB.
 */
void
mc146818_init(uint64_t mem_lo, uint64_t mem_hi)
{
	struct timespec ts;
	uint64_t above16;

	if (rtcstate == NULL)
		rtcstate = vmon_shared_alloc(sizeof(*rtcstate));
	memset(rtcstate, 0, sizeof(*rtcstate));
	clock_gettime(CLOCK_REALTIME, &ts);
	rtc.epoch = ts.tv_sec;
	rtc.t0 = vmon_nsec();
	rtc.regs[RTC_STATUSA] = 0x26;	/* 32.768 kHz base, 1024 Hz rate */
	rtc.regs[RTC_STATUSB] = B_24HR;
	rtc.regs[RTC_STATUSD] = 0x80;	/* valid RAM and time */
	update_regs(rtc.t0);

	above16 = mem_lo > VMON_MB(15) ? (mem_lo - VMON_MB(15)) >> 16 : 0;
	if (above16 > 0xffff)
		above16 = 0xffff;
	rtc.regs[NV_MEM16LO] = above16 & 0xff;
	rtc.regs[NV_MEM16LO + 1] = above16 >> 8;
	rtc.regs[NV_MEM4GLO] = (mem_hi >> 16) & 0xff;
	rtc.regs[NV_MEM4GLO + 1] = (mem_hi >> 24) & 0xff;
	rtc.regs[NV_MEM4GLO + 2] = (mem_hi >> 32) & 0xff;
	rtc.regs[NV_SMP_COUNT] = 0;
}

/*
 * The machine resets: the clock and the NVRAM go on (they have their
 * own battery); as the chip's RESET input does, the interrupt enables
 * and flags are cleared.
 */
void
mc146818_reset(void)
{
	rtc.regs[RTC_STATUSB] &= ~(B_PIE | B_AIE | B_UIE);
	rtc.regs[RTC_INTR] = 0;
	rtc.next_periodic = rtc.next_update = 0;
}

/* Interrupts due by now: 1 to raise line 8; *next: the next one due. */
int
mc146818_tick(uint64_t now, uint64_t *next)
{
	uint64_t p = periodic_ns();
	uint8_t flags = 0;

	if (p != 0) {
		if (rtc.next_periodic == 0 || rtc.next_periodic > now + p)
			rtc.next_periodic = now + p;
		if (now >= rtc.next_periodic) {
			flags |= C_PF;
			rtc.next_periodic += p;
			if (rtc.next_periodic <= now)
				rtc.next_periodic = now + p;
		}
		if ((rtc.regs[RTC_STATUSB] & B_PIE) &&
		    rtc.next_periodic < *next)
			*next = rtc.next_periodic;
	}
	if (rtc.next_update == 0)
		rtc.next_update = rtc.t0 + ((now - rtc.t0) / NSEC + 1) * NSEC;
	if (now >= rtc.next_update) {
		flags |= C_UF;
		rtc.next_update = rtc.t0 + ((now - rtc.t0) / NSEC + 1) * NSEC;
	}
	if ((rtc.regs[RTC_STATUSB] & B_UIE) && rtc.next_update < *next)
		*next = rtc.next_update;
	if (flags == 0)
		return (0);
	rtc.regs[RTC_INTR] |= flags;
	if ((flags & C_PF && rtc.regs[RTC_STATUSB] & B_PIE) ||
	    (flags & C_UF && rtc.regs[RTC_STATUSB] & B_UIE)) {
		rtc.regs[RTC_INTR] |= C_IRQF;
		return (1);
	}
	return (0);
}

uint8_t
vcpu_exit_mc146818(struct vm_exit_inout *vei)
{
	uint64_t now = vmon_nsec();
	uint8_t v = vei->vei_data, r;

	if (vei->vei_port == 0x70) {
		if (vei->vei_dir == VEI_DIR_OUT)
			rtc.index = v & 0x7f;	/* bit 7: NMI mask */
		else
			vei_set_in(vei, 0xff);
		return (IRQ_NONE);
	}
	r = rtc.index;
	if (vei->vei_dir == VEI_DIR_IN) {
		if (r <= RTC_YEAR || r == RTC_CENTURY) {
			if ((rtc.regs[RTC_STATUSB] & B_SET) == 0)
				update_regs(now);
		}
		vei_set_in(vei, rtc.regs[r]);
		if (r == RTC_INTR)
			rtc.regs[RTC_INTR] = 0;
		return (IRQ_NONE);
	}
	switch (r) {
	case RTC_INTR:
	case RTC_STATUSD:
		break;		/* read only */
	case RTC_STATUSA:
		rtc.regs[r] = v & 0x7f;		/* UIP is read only */
		rtc.next_periodic = 0;
		break;
	case RTC_STATUSB:
		if ((rtc.regs[r] & B_SET) && (v & B_SET) == 0)
			set_time(now);
		else if ((v & B_SET) && (rtc.regs[r] & B_SET) == 0)
			update_regs(now);
		rtc.regs[r] = v;
		break;
	default:
		rtc.regs[r] = v;
		if ((r <= RTC_YEAR || r == RTC_CENTURY) && r != 1 && r != 3 &&
		    r != 5 && (rtc.regs[RTC_STATUSB] & B_SET) == 0)
			set_time(now);
		break;
	}
	return (IRQ_NONE);
}
