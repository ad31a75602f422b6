/*
 * i8042.c: only what a guest needs of the keyboard controller to reset
 * the machine: a status port (0x64) that reads as idle (input buffer
 * empty, so a driver waiting to send a command does not wait), and the
 * "pulse reset line" command 0xfe.  The data port reads 0.
 */

#include "vmon.h"

#define KBC_STATUS	0x64
#define KBC_PULSE_RESET	0xfe
#define KBS_SYSFLAG	0x04

uint8_t
vcpu_exit_i8042(struct vm_exit_inout *vei)
{
	if (vei->vei_dir == VEI_DIR_IN) {
		vei_set_in(vei, vei->vei_port == KBC_STATUS ? KBS_SYSFLAG : 0);
		return (IRQ_NONE);
	}
	if (vei->vei_port == KBC_STATUS &&
	    (vei->vei_data & 0xff) == KBC_PULSE_RESET)
		vmon_stop(END_RESET, "guest reset (i8042 reset line)");
	return (IRQ_NONE);
}
