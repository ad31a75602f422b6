/* Testbed <uvm/uvm_param.h>: page arithmetic. */

#ifndef _UVM_UVM_PARAM_H_
#define _UVM_UVM_PARAM_H_

#include <machine/param.h>

#define round_page(x)	(((x) + PAGE_MASK) & ~((unsigned long)PAGE_MASK))
#define trunc_page(x)	((x) & ~((unsigned long)PAGE_MASK))
#define atop(x)		((unsigned long)(x) >> PAGE_SHIFT)
#define ptoa(x)		((unsigned long)(x) << PAGE_SHIFT)

#endif /* !_UVM_UVM_PARAM_H_ */
