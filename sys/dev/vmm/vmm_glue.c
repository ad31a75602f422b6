/*	$vmm-rs: vmm_glue.c $	*/
/*
 * Copyright (c) 2026 The vmm-rs authors.
 * Based on the interfaces of OpenBSD's sys/dev/vmm/vmm.c,
 * Copyright (c) 2014-2023 Mike Larkin <mlarkin@openbsd.org>; see NOTICE.
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The kernel-facing side of the Rust vmm(4): autoconf attachment, the
 * character device entry points, the pledge hook and vmm_enabled().
 * Everything else is in Rust (vmm_rs.o); this file only adapts calling
 * conventions and takes the kernel lock off around ioctls, as vmm.c does.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/device.h>
#include <sys/ioctl.h>
#include <sys/proc.h>
#include <sys/pledge.h>

#include <machine/vmmvar.h>
#include <dev/vmm/vmm.h>

#include "vmm_kern.h"
#include "vmm_rs.h"
#include "vmm_abi_check.h"	/* the tree's ABI is the one Rust expects */

struct vmm_rs_softc {
	struct device	sc_dev;
};

int	vmm_probe(struct device *, void *, void *);
void	vmm_attach(struct device *, struct device *, void *);
int	vmm_activate(struct device *, int);
int	vmmopen(dev_t, int, int, struct proc *);
int	vmmclose(dev_t, int, int, struct proc *);
int	vmmioctl(dev_t, u_long, caddr_t, int, struct proc *);
int	pledge_ioctl_vmm(struct proc *, long);
int	vmm_enabled(void);

struct cfdriver vmm_cd = {
	NULL, "vmm", DV_DULL, CD_SKIPHIBERNATE
};

const struct cfattach vmm_ca = {
	sizeof(struct vmm_rs_softc), vmm_probe, vmm_attach, NULL, vmm_activate
};

int
vmm_enabled(void)
{
	return (vmm_rs_enabled());
}

int
vmm_probe(struct device *parent, void *match, void *aux)
{
	const char **busname = (const char **)aux;

	if (strcmp(*busname, vmm_cd.cd_name) != 0)
		return (0);
	return (vmm_rs_probe());
}

void
vmm_attach(struct device *parent, struct device *self, void *aux)
{
	vmm_rs_attach();
	printf("\n");
}

int
vmm_activate(struct device *self, int act)
{
	switch (act) {
	case DVACT_QUIESCE:
		return (vmm_rs_activate(VMM_RS_ACT_QUIESCE));
	case DVACT_WAKEUP:
		return (vmm_rs_activate(VMM_RS_ACT_WAKEUP));
	}
	return (0);
}

int
vmmopen(dev_t dev, int flag, int mode, struct proc *p)
{
	return (vmm_rs_open());
}

int
vmmclose(dev_t dev, int flag, int mode, struct proc *p)
{
	return (vmm_rs_close());
}

/*
 * The calling process's pledge(2) promises as VMMK_PLEDGE_* bits, with
 * its pid passed to the Rust side on every ioctl: read here inline, as
 * the C driver reads them (through calls into vmm_kern.c they cost some
 * 30 instructions per ioctl).
 */
static inline uint32_t
vmm_promises(struct proc *p)
{
	uint64_t pledge;
	uint32_t promises = 0;

#if OpenBSD >= 202510
	pledge = p->p_pledge;
#else
	pledge = p->p_p->ps_pledge;
#endif
	if (pledge & PLEDGE_PROC)
		promises |= VMMK_PLEDGE_PROC;
	if (pledge & PLEDGE_VMM)
		promises |= VMMK_PLEDGE_VMM;
	return (promises);
}

int
vmmioctl(dev_t dev, u_long cmd, caddr_t data, int flag, struct proc *p)
{
	int ret;

	KERNEL_UNLOCK();
	ret = vmm_rs_ioctl(cmd, data, (struct vmmk_proc *)p, p->p_p->ps_pid,
	    vmm_promises(p));
	KERNEL_LOCK();

	return (ret);
}

int
pledge_ioctl_vmm(struct proc *p, long com)
{
	return (vmm_rs_pledge_ioctl((struct vmmk_proc *)p, p->p_p->ps_pid,
	    vmm_promises(p), com));
}

/*
 * Called on the CPU concerned: from the X86_IPI_START_VMM/STOP_VMM
 * handlers, and by cpu.c for a CPU that starts while VMs exist.
 */
void
start_vmm_on_cpu(struct cpu_info *ci)
{
	KASSERT(ci == curcpu());
	vmm_rs_start_cpu();
}

void
stop_vmm_on_cpu(struct cpu_info *ci)
{
	KASSERT(ci == curcpu());
	vmm_rs_stop_cpu();
}

/*
 * X86_IPI_VMCLEAR_VMM: the Rust VMX backend clears its VMCS on the CPU it
 * runs on before another CPU loads it, so nothing is left to do here.
 */
void
vmclear_on_cpu(struct cpu_info *ci)
{
}

/* psp(4) asks for the VMSA of an SEV-ES vcpu; SEV-ES is not supported. */
int
svm_get_vmsa_pa(uint32_t vmid, uint32_t vcpuid, uint64_t *pa)
{
	return (ENOENT);
}
