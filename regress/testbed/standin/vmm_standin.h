/*
 * vmm_standin.h: ioctl interface of the stand-in /dev/vmm driver, used
 * only to prove the testbed pipeline until the real driver is linked.
 * Group 'V' with numbers 200+ (clear of the real VMM_IOC_* numbers).
 */

#ifndef _VMM_STANDIN_H_
#define _VMM_STANDIN_H_

#include <sys/types.h>
#include <sys/ioccom.h>

/* Returns si_in + 1 and the name upper-cased. */
struct standin_echo {
	uint32_t	se_in;
	uint32_t	se_out;
	char		se_name[32];
};

/* Copies a description into the user buffer si_buf (like vm_get_info). */
struct standin_info {
	void		*si_buf;
	size_t		 si_len;	/* in: buffer size, out: needed */
	pid_t		 si_pid;	/* out: caller's pid */
	uint32_t	 si_opens;	/* out: current opens */
};

/*
 * Creates an aobj of sm_size bytes, maps it into the caller (immutable,
 * like vm_create does with guest memory), fills every page with
 * sm_fill, and keeps a reference.  sm_va (out) is the mapping, sm_id
 * names it for STANDIN_IOC_UNMAP.  Needs PLEDGE_PROC when pledged.
 */
struct standin_map {
	size_t		 sm_size;
	vaddr_t		 sm_va;
	uint32_t	 sm_id;
	uint8_t		 sm_fill;
};

/* Bigger than sys_ioctl's on-stack buffer: the kernel mallocs it. */
struct standin_big {
	uint32_t	sb_sum;		/* out: sum of sb_data */
	uint8_t		sb_data[1020];	/* in: data, out: reversed */
};

#define STANDIN_IOC_ECHO	_IOWR('V', 200, struct standin_echo)
#define STANDIN_IOC_INFO	_IOWR('V', 201, struct standin_info)
#define STANDIN_IOC_MAP		_IOWR('V', 202, struct standin_map)
#define STANDIN_IOC_UNMAP	_IOW('V', 203, struct standin_map)
#define STANDIN_IOC_BIG		_IOWR('V', 204, struct standin_big)

#endif /* !_VMM_STANDIN_H_ */
