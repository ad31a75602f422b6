/* Testbed <uvm/uvm_aobj.h>: anonymous memory objects. */

#ifndef _UVM_UVM_AOBJ_H_
#define _UVM_UVM_AOBJ_H_

#define UAO_FLAG_KERNOBJ	0x1	/* (not supported) */
#define UAO_FLAG_KERNSWAP	0x2	/* (ignored) */
#define UAO_FLAG_CANFAIL	0x4	/* fail if memory would not suffice */
#define UAO_FLAG_NOSWAP		0x8	/* (ignored) */

#endif /* !_UVM_UVM_AOBJ_H_ */
