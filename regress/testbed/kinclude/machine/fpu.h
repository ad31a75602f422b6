/*
 * Testbed <machine/fpu.h>: the FPU save area and the helpers the vmm
 * glue uses around guest entry/exit.
 *
 * The testbed enables XSAVE (when the CPU has it) with XCR0 limited to
 * x87 | SSE | AVX, so struct savefpu (legacy area, XSAVE header, AVX
 * upper halves: 832 bytes, 64-byte aligned) holds everything.
 */

#ifndef _MACHINE_FPU_H_
#define _MACHINE_FPU_H_

#include <sys/types.h>

struct fxsave64 {
	u_int16_t	fx_fcw;
	u_int16_t	fx_fsw;
	u_int8_t	fx_ftw;
	u_int8_t	fx_unused1;
	u_int16_t	fx_fop;
	u_int64_t	fx_rip;
	u_int64_t	fx_rdp;
	u_int32_t	fx_mxcsr;
	u_int32_t	fx_mxcsr_mask;
	u_int64_t	fx_st[8][2];
	u_int64_t	fx_xmm[16][2];
	u_int8_t	fx_unused3[96];
} __packed;

struct xstate_hdr {
	u_int64_t	xstate_bv;
	u_int64_t	xstate_xcomp_bv;
	u_int8_t	xstate_rsrv0[0];
	u_int8_t	xstate_rsrv[40];
} __packed;

struct savefpu {
	struct fxsave64		fp_fxsave;	/* legacy area */
	struct xstate_hdr	fp_xstate;	/* XSAVE header */
	u_int64_t		fp_ymm[16][2];	/* AVX upper halves */
} __aligned(64);

#define __INITIAL_MXCSR__	0x1f80
#define __INITIAL_NPXCW__	0x037f

#ifdef _KERNEL
extern uint64_t	xsave_mask;		/* XCR0 in use, 0 without XSAVE */

/* Save the current FPU state to *sfp, then reset the FPU. */
void	fpusavereset(struct savefpu *);
/* Load state from *sfp (components in mask). */
void	xrstor_kern(struct savefpu *, uint64_t);
/* Set XCR reg to a value a guest asked for: EINVAL if it is invalid. */
int	xsetbv_user(uint32_t, uint64_t);
#endif

#endif /* !_MACHINE_FPU_H_ */
