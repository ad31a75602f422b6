/* Testbed <uvm/uvm.h>. */

#ifndef _UVM_UVM_H_
#define _UVM_UVM_H_

#include <uvm/uvm_extern.h>

#endif /* !_UVM_UVM_H_ */
