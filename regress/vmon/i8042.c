/*
 * i8042.c: only what a guest needs of the keyboard controller to reset
 * the machine: the "pulse reset line" command 0xfe at port 0x64.  There
 * is no keyboard: the status port shows an output buffer that never
 * empties and an input buffer that is always free, which drivers take
 * for "no controller" (Linux gives up after 16 reads) while a driver
 * waiting to send the reset command does not wait.  The data port reads
 * 0.
 */

#include "vmon.h"

#define KBC_STATUS	0x64
#define KBC_PULSE_RESET	0xfe
#define KBS_DIB		0x01	/* output buffer full */
#define KBS_SYSFLAG	0x04

uint8_t
vcpu_exit_i8042(struct vm_exit_inout *vei)
{
	if (vei->vei_dir == VEI_DIR_IN) {
		vei_set_in(vei, vei->vei_port == KBC_STATUS ?
		    KBS_DIB | KBS_SYSFLAG : 0);
		return (IRQ_NONE);
	}
	if (vei->vei_port == KBC_STATUS &&
	    (vei->vei_data & 0xff) == KBC_PULSE_RESET)
		vmon_stop(END_RESET, "guest reset (i8042 reset line)");
	return (IRQ_NONE);
}
