/*
 * vmm_rs.h: the entry points the Rust vmm(4) library exports to the C glue
 * (sys/dev/vmm/vmm_glue.c).  Each one corresponds to a function of
 * OpenBSD's sys/dev/vmm/vmm.c; the glue keeps the kernel-facing names.
 */
#ifndef VMM_RS_H
#define VMM_RS_H

struct vmmk_proc;
struct vmx_invept_descriptor;

#define VMM_RS_ACT_QUIESCE	1
#define VMM_RS_ACT_WAKEUP	2

int	vmm_rs_enabled(void);		/* vmm_enabled(): can vmm attach? */
int	vmm_rs_probe(void);		/* vmm_probe_machdep() */
void	vmm_rs_attach(void);		/* vmm_attach() */
int	vmm_rs_activate(int);		/* vmm_activate() */
int	vmm_rs_open(void);		/* vmmopen() */
int	vmm_rs_close(void);		/* vmmclose() */
/*
 * vmmioctl(), pledge_ioctl_vmm(): with the calling process, its pid and
 * its pledge(2) promises as vmm_kern.h's VMMK_PLEDGE_* bits.
 */
int	vmm_rs_ioctl(unsigned long, void *, struct vmmk_proc *, int32_t,
	    uint32_t);
int	vmm_rs_pledge_ioctl(struct vmmk_proc *, int32_t, uint32_t, long);
void	vmm_rs_start_cpu(void);		/* start_vmm_on_cpu(curcpu()) */
void	vmm_rs_stop_cpu(void);		/* stop_vmm_on_cpu(curcpu()) */

/*
 * Called by the kernel itself (pmap.c, pmap_remove_ept), with the name and
 * prototype of <machine/vmmvar.h>: INVEPT of the given type for the
 * descriptor's EPTP on this CPU; 0, or 1 if the instruction failed.
 */
int	invept(uint64_t, struct vmx_invept_descriptor *);

#endif /* VMM_RS_H */
