/*
 * Testbed <machine/cpu.h>: one CPU, described by cpu_info_primary.
 * Fields the real amd64 cpu_info has beyond these can be added as the
 * driver needs them.
 */

#ifndef _MACHINE_CPU_H_
#define _MACHINE_CPU_H_

#include <sys/types.h>
#include <machine/param.h>
#include <machine/intrdefs.h>
#include <sys/sched.h>

struct proc;
struct device;
struct pmap;

/* The page VMXON is given: the VMCS revision first (Intel SDM 25.11.5). */
struct vmxon_region {
	uint32_t	vr_revision;
};

struct cpu_info {
	struct cpu_info	*ci_self;
	struct device	*ci_dev;
	struct proc	*ci_curproc;
	u_int		 ci_cpuid;		/* logical number, 0 */
	u_int		 ci_apicid;
	u_int		 ci_acpi_proc_id;
	volatile u_int	 ci_flags;		/* CPUF_* */
	u_int		 ci_pflags;		/* CPUPF_* */
	void		*ci_gdt;		/* this CPU's GDT */
	struct vmxon_region *ci_vmxon_region;	/* VMX: cpu_init_vmm's page */
	paddr_t		 ci_vmxon_region_pa;
	struct pmap	*ci_ept_pmap;		/* VMX: last EPT pmap run */
	struct schedstate_percpu ci_schedstate;
	char		 ci_vendor[16];		/* CPUID 0 vendor string */
	u_int32_t	 ci_cpuid_level;	/* highest basic leaf */
	u_int32_t	 ci_pnfeatset;		/* highest extended leaf */
	u_int32_t	 ci_signature;		/* CPUID 1 eax */
	u_int32_t	 ci_family;
	u_int32_t	 ci_model;
	u_int32_t	 ci_feature_flags;	/* CPUID 1 edx */
	u_int32_t	 ci_feature_ecxflags;	/* CPUID 1 ecx */
	u_int32_t	 ci_feature_eflags;	/* CPUID 0x80000001 edx */
	u_int32_t	 ci_efeature_ecx;	/* CPUID 0x80000001 ecx */
	u_int32_t	 ci_feature_sefflags_ebx; /* CPUID 7 ebx */
	u_int32_t	 ci_feature_sefflags_ecx;
	u_int32_t	 ci_feature_sefflags_edx;
	u_int64_t	 ci_xsave_mask;		/* XCR0 value in use */
	int		 ci_idepth;
	int		 ci_ilevel;		/* current spl */
	volatile u_int	 ci_ipending;
};

#define CPUF_BSP	0x0001
#define CPUF_AP		0x0002
#define CPUF_PRIMARY	0x0008
#define CPUF_RUNNING	0x2000
#define CPUF_VMM	0x20000		/* virtualization is on */

#define CPUPF_USERXSTATE 0x02		/* user FPU state is loaded */

extern struct cpu_info	 cpu_info_primary;
extern int		 ncpus;

#define curcpu()		(&cpu_info_primary)
#define cpu_number()		0
#define CPU_IS_PRIMARY(ci)	((ci) == &cpu_info_primary)
#define CPU_IS_RUNNING(ci)	1
#define CPU_INFO_ITERATOR	int
#define CPU_INFO_FOREACH(cii, ci)					\
	for ((cii) = 0, (ci) = &cpu_info_primary; (cii) < 1;		\
	    (cii)++, (ci) = NULL)
#define CPU_INFO_UNIT(ci)	0
#define CPU_BUSY_CYCLE()	__asm volatile("pause" : : : "memory")

#endif /* !_MACHINE_CPU_H_ */
