/*	$vmm-rs: dev/vmm/vmm.h (machine-independent user ABI of vmm(4)) $	*/
/*
 * Copyright (c) 2026 The vmm-rs authors.
 * The interface described here is that of OpenBSD's vmm(4),
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
 * The machine-independent half of the /dev/vmm interface, with the names,
 * values and layouts of OpenBSD's <dev/vmm/vmm.h> rev 1.13 (2025/12/17).
 * Like the original it expects <sys/types.h> and <sys/ioctl.h> (for
 * vaddr_t, paddr_t, pid_t and _IOW/_IOWR) to be included first.  Only
 * the user-visible part is here: the kernel's state is Rust-owned.
 */

#include <machine/vmmvar.h>

#ifndef DEV_VMM_H
#define DEV_VMM_H

#define VMM_MAX_MEM_RANGES	16
#define VMM_MAX_DISKS_PER_VM	4
#define VMM_MAX_NAME_LEN	64
#define VMM_MAX_VCPUS		512
#define VMM_MAX_VCPUS_PER_VM	64
#define VMM_MAX_VM_MEM_SIZE	128L * 1024 * 1024 * 1024
#define VMM_MAX_NICS_PER_VM	4

/* Values of %rax for the VMCALL/VMMCALL services. */
#define	HVCALL_FORCED_ABORT	0x1234

/* One range of guest-physical memory. */
struct vm_mem_range {
	paddr_t vmr_gpa;
	vaddr_t vmr_va;
	size_t  vmr_size;
	int     vmr_type;
#define VM_MEM_RAM		0	/* usable guest RAM */
#define VM_MEM_RESERVED		1	/* backed, but reserved (BIOS etc.) */
#define VM_MEM_MMIO		2	/* not backed: device MMIO window */
};

struct vm_create_params {
	/* Input parameters to VMM_IOC_CREATE */
	size_t			vcp_nmemranges;
	size_t			vcp_ncpus;
	struct vm_mem_range	vcp_memranges[VMM_MAX_MEM_RANGES];
	char			vcp_name[VMM_MAX_NAME_LEN];
	int			vcp_sev;
	int			vcp_seves;

	/* Output parameters from VMM_IOC_CREATE */
	uint32_t		vcp_id;
	uint32_t		vcp_poscbit;
	uint32_t		vcp_asid[VMM_MAX_VCPUS];
};

struct vm_info_result {
	/* Output parameters from VMM_IOC_INFO */
	size_t		vir_memory_size;
	size_t		vir_used_size;
	size_t		vir_ncpus;
	uint8_t		vir_vcpu_state[VMM_MAX_VCPUS_PER_VM];
	pid_t		vir_creator_pid;
	uint32_t	vir_id;
	char		vir_name[VMM_MAX_NAME_LEN];
};

struct vm_info_params {
	/* Input parameters to VMM_IOC_INFO */
	size_t			 vip_size;	/* size of the vip_info buffer */

	/* Output parameters from VMM_IOC_INFO */
	size_t			 vip_info_ct;	/* entries returned */
	struct vm_info_result	*vip_info;	/* user buffer */
};

struct vm_terminate_params {
	/* Input parameters to VMM_IOC_TERM */
	uint32_t		vtp_vm_id;
};

struct vm_resetcpu_params {
	/* Input parameters to VMM_IOC_RESETCPU */
	uint32_t		vrp_vm_id;
	uint32_t		vrp_vcpu_id;
	struct vcpu_reg_state	vrp_init_state;
};

struct vm_sharemem_params {
	/* Input parameters to VMM_IOC_SHAREMEM */
	uint32_t		vsp_vm_id;
	size_t			vsp_nmemranges;
	struct vm_mem_range	vsp_memranges[VMM_MAX_MEM_RANGES];

	/* Output parameters from VMM_IOC_SHAREMEM */
	vaddr_t			vsp_va[VMM_MAX_MEM_RANGES];
};

struct vm_run_params {
	/* Input parameters to VMM_IOC_RUN */
	uint32_t	vrp_vm_id;
	uint32_t	vrp_vcpu_id;
	struct vcpu_inject_event	vrp_inject;
	uint8_t		vrp_intr_pending;	/* more interrupts pending */

	/* Input/output parameter to VMM_IOC_RUN */
	struct vm_exit	*vrp_exit;		/* exit record in user memory */

	/* Output parameters from VMM_IOC_RUN */
	uint16_t	vrp_exit_reason;	/* VMX/SVM exit or VM_EXIT_* */
	uint8_t		vrp_irqready;		/* guest can take an interrupt */
};

#define VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA 0x1	/* pvclock page address */
#define VM_RWVMPARAMS_PVCLOCK_VERSION	 0x2	/* pvclock version */
#define VM_RWVMPARAMS_ALL	(VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA | \
    VM_RWVMPARAMS_PVCLOCK_VERSION)

struct vm_rwvmparams_params {
	/* Input parameters to VMM_IOC_READVMPARAMS/VMM_IOC_WRITEVMPARAMS */
	uint32_t		vpp_vm_id;
	uint32_t		vpp_vcpu_id;
	uint32_t		vpp_mask;
	paddr_t			vpp_pvclock_system_gpa;
	uint32_t		vpp_pvclock_version;
};

/* ioctl command words */
#define VMM_IOC_CREATE _IOWR('V', 1, struct vm_create_params) /* create VM */
#define VMM_IOC_RUN _IOWR('V', 2, struct vm_run_params) /* run vcpu */
#define VMM_IOC_INFO _IOWR('V', 3, struct vm_info_params) /* list VMs */
#define VMM_IOC_TERM _IOW('V', 4, struct vm_terminate_params) /* terminate */
#define VMM_IOC_RESETCPU _IOW('V', 5, struct vm_resetcpu_params) /* reset */
#define VMM_IOC_READREGS _IOWR('V', 7, struct vm_rwregs_params) /* get regs */
#define VMM_IOC_WRITEREGS _IOW('V', 8, struct vm_rwregs_params) /* set regs */
#define VMM_IOC_READVMPARAMS _IOWR('V', 9, struct vm_rwvmparams_params)
#define VMM_IOC_WRITEVMPARAMS _IOW('V', 10, struct vm_rwvmparams_params)
#define VMM_IOC_SHAREMEM _IOWR('V', 11, struct vm_sharemem_params)

#ifdef _KERNEL
/* vcpu states reported in vir_vcpu_state[] (kernel-only, as upstream) */
enum {
	VCPU_STATE_STOPPED,
	VCPU_STATE_RUNNING,
	VCPU_STATE_REQTERM,
	VCPU_STATE_TERMINATED,
	VCPU_STATE_UNKNOWN,
};
#endif /* _KERNEL */

#endif /* DEV_VMM_H */
