/* tb_file.h: testbed file objects (what a descriptor refers to). */

#ifndef _TB_FILE_H_
#define _TB_FILE_H_

#define DTYPE_VNODE	1	/* a character device */
#define DTYPE_CONSOLE	100	/* the serial console (fds 0-2) */
#define DTYPE_MODULE	101	/* a boot module, read only */


struct file {
	int	f_type;		/* DTYPE_* */
	u_int	f_flag;		/* FREAD, FWRITE, ... */
	dev_t	f_rdev;		/* device, for DTYPE_VNODE */
	int	f_count;	/* descriptors referring to it */
	const struct tb_module *f_module;	/* for DTYPE_MODULE */
	off_t	f_offset;	/* for DTYPE_MODULE */
};

struct file	*fd_getfile(struct process *, int);
int		 fd_alloc(struct process *, struct file *, int *);
int		 dev_open(struct proc *, dev_t, int, struct file **);
int		 module_open(const char *, int, struct file **);
int		 file_close(struct proc *, struct file *);
int		 file_ioctl(struct proc *, struct file *, u_long, caddr_t);
void		 file_hold(struct file *);

#endif /* !_TB_FILE_H_ */
