/* Testbed <uvm/uvm_map.h>. */

#ifndef _UVM_UVM_MAP_H_
#define _UVM_UVM_MAP_H_

#include <uvm/uvm_extern.h>

#endif /* !_UVM_UVM_MAP_H_ */
