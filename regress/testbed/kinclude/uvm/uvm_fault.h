/* Testbed <uvm/uvm_fault.h>: page faults and wiring. */

#ifndef _UVM_UVM_FAULT_H_
#define _UVM_UVM_FAULT_H_

#define VM_FAULT_INVALID	((vm_fault_t)0x0)
#define VM_FAULT_PROTECT	((vm_fault_t)0x1)
#define VM_FAULT_WIRE		((vm_fault_t)0x2)

#ifdef _KERNEL
int	uvm_fault_wire(struct vm_map *, vaddr_t, vaddr_t, vm_prot_t);
void	uvm_fault_unwire(struct vm_map *, vaddr_t, vaddr_t);
#endif

#endif /* !_UVM_UVM_FAULT_H_ */
