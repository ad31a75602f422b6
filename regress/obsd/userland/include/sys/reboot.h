/* <sys/reboot.h> of the OpenBSD userland: reboot(2) and its flags. */

#ifndef _OBSD_SYS_REBOOT_H_
#define _OBSD_SYS_REBOOT_H_

#define RB_AUTOBOOT	0
#define RB_NOSYNC	0x00004		/* do not sync the file systems */
#define RB_HALT		0x00008		/* halt instead of rebooting */
#define RB_POWERDOWN	0x01000		/* and power the machine off */

int	reboot(int);

#endif /* !_OBSD_SYS_REBOOT_H_ */
