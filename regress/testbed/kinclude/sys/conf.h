/*
 * Testbed <sys/conf.h>: the character device switch.  The only real
 * entry is vmm, at amd64's major number 10; /dev/vmm is that device.
 */

#ifndef _SYS_CONF_H_
#define _SYS_CONF_H_

#include <sys/types.h>

struct proc;
struct uio;
struct tty;
struct knote;

struct cdevsw {
	int	(*d_open)(dev_t, int, int, struct proc *);
	int	(*d_close)(dev_t, int, int, struct proc *);
	int	(*d_read)(dev_t, struct uio *, int);
	int	(*d_write)(dev_t, struct uio *, int);
	int	(*d_ioctl)(dev_t, u_long, caddr_t, int, struct proc *);
	int	(*d_stop)(struct tty *, int);
	struct tty *(*d_tty)(dev_t);
	paddr_t	(*d_mmap)(dev_t, off_t, int);
	u_int	d_type;
	u_int	d_flags;
	int	(*d_kqfilter)(dev_t, struct knote *);
};

#define VMM_MAJOR	10

#ifdef _KERNEL
extern struct cdevsw	cdevsw[];
extern int		nchrdev;

#define dev_type_open(n)	int n(dev_t, int, int, struct proc *)
#define dev_type_close(n)	int n(dev_t, int, int, struct proc *)
#define dev_type_ioctl(n)	int n(dev_t, u_long, caddr_t, int, struct proc *)

#define cdev_decl(n)							\
	dev_type_open(__CONCAT(n, open));				\
	dev_type_close(__CONCAT(n, close));				\
	dev_type_ioctl(__CONCAT(n, ioctl))

cdev_decl(vmm);

int	enodev(void);
int	enoioctl(void);
#endif

#endif /* !_SYS_CONF_H_ */
