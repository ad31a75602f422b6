/*
 * dev.c: autoconfiguration of the driver, the character device switch
 * and per-process file tables.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>
#include <sys/proc.h>
#include <sys/conf.h>
#include <sys/device.h>
#include <sys/fcntl.h>
#include <sys/stat.h>

#include "tb.h"
#include "tb_file.h"

/*
 * The driver provides vmmopen/vmmclose/vmmioctl (strong references
 * below) and, optionally, the autoconf glue vmm_ca/vmm_cd.
 */
extern const struct cfattach	vmm_ca __attribute__((__weak__));
extern struct cfdriver		vmm_cd __attribute__((__weak__));

struct cdevsw cdevsw[] = {
	[VMM_MAJOR] = {
		.d_open = vmmopen,
		.d_close = vmmclose,
		.d_ioctl = vmmioctl,
	},
};
int nchrdev = nitems(cdevsw);

struct devicelist alldevs = TAILQ_HEAD_INITIALIZER(alldevs);

static struct device	mainbus_dev = {
	.dv_class = DV_DULL,
	.dv_xname = "mainbus0",
	.dv_flags = DVF_ACTIVE,
};
static struct cfdata	vmm_cfdata;
static struct device	*vmm_dev;
static void		*vmm_devs[1];

int
enodev(void)
{
	return (ENODEV);
}

int
enoioctl(void)
{
	return (ENOTTY);
}

/*
 * Attach vmm0 at mainbus0, as amd64's mainbus does: the attach argument
 * starts with the bus name "vmm".
 */
void
tb_autoconf(void)
{
	const char *busname = "vmm";
	struct device *dev;
	int match;

	TAILQ_INSERT_TAIL(&alldevs, &mainbus_dev, dv_list);
	if (&vmm_ca == NULL || &vmm_cd == NULL) {
		printf("# autoconf: driver has no vmm_ca/vmm_cd, "
		    "nothing attached\n");
		return;
	}
	vmm_cfdata.cf_attach = &vmm_ca;
	vmm_cfdata.cf_driver = &vmm_cd;
	match = vmm_ca.ca_match(&mainbus_dev, &vmm_cfdata, &busname);
	if (match <= 0) {
		printf("# autoconf: vmm at mainbus0 not configured "
		    "(match %d)\n", match);
		return;
	}
	if (vmm_ca.ca_devsize < sizeof(struct device))
		panic("autoconf: vmm_ca.ca_devsize %zu too small",
		    vmm_ca.ca_devsize);
	dev = malloc(vmm_ca.ca_devsize, M_DEVBUF, M_WAITOK | M_ZERO);
	dev->dv_class = vmm_cd.cd_class;
	dev->dv_cfdata = &vmm_cfdata;
	dev->dv_unit = 0;
	snprintf(dev->dv_xname, sizeof(dev->dv_xname), "%s0",
	    vmm_cd.cd_name);
	dev->dv_parent = &mainbus_dev;
	dev->dv_flags = DVF_ACTIVE;
	dev->dv_ref = 1;
	vmm_devs[0] = dev;
	vmm_cd.cd_devs = vmm_devs;
	vmm_cd.cd_ndevs = 1;
	TAILQ_INSERT_TAIL(&alldevs, dev, dv_list);
	vmm_dev = dev;

	printf("%s at %s", dev->dv_xname, mainbus_dev.dv_xname);
	vmm_ca.ca_attach(&mainbus_dev, dev, &busname);
	if (!cons_atlinestart())
		printf("\n");
}

int
tb_dev_activate_hook(int act)
{
	if (vmm_dev == NULL)
		return (ENODEV);
	if (vmm_ca.ca_activate == NULL)
		return (EOPNOTSUPP);
	return (vmm_ca.ca_activate(vmm_dev, act));
}

struct device *
device_lookup(struct cfdriver *cd, int unit)
{
	if (vmm_dev == NULL || cd != &vmm_cd || unit != 0)
		return (NULL);
	vmm_dev->dv_ref++;
	return (vmm_dev);
}

void
device_ref(struct device *dv)
{
	dv->dv_ref++;
}

void
device_unref(struct device *dv)
{
	if (--dv->dv_ref == 0 && dv != &mainbus_dev)
		panic("device_unref: %s reference count reached zero",
		    dv->dv_xname);
}

struct device *
device_mainbus(void)
{
	return (&mainbus_dev);
}

/*
 * Files.
 */

static struct file *
file_alloc(int type, u_int flag, dev_t dev)
{
	struct file *fp;

	fp = malloc(sizeof(*fp), M_FILE, M_WAITOK | M_ZERO);
	fp->f_type = type;
	fp->f_flag = flag;
	fp->f_rdev = dev;
	fp->f_count = 1;
	tbstat.files++;
	return (fp);
}

static void
file_free(struct file *fp)
{
	free(fp, M_FILE, sizeof(*fp));
	tbstat.files--;
}

void
tb_files_init(struct process *pr)
{
	pr->ps_tbfiles[0] = file_alloc(DTYPE_CONSOLE, FREAD, 0);
	pr->ps_tbfiles[1] = file_alloc(DTYPE_CONSOLE, FWRITE, 0);
	pr->ps_tbfiles[2] = file_alloc(DTYPE_CONSOLE, FWRITE, 0);
}

struct file *
fd_getfile(struct process *pr, int fd)
{
	if (fd < 0 || fd >= TB_NFILES)
		return (NULL);
	return (pr->ps_tbfiles[fd]);
}

int
fd_alloc(struct process *pr, struct file *fp, int *fdp)
{
	int fd;

	for (fd = 0; fd < TB_NFILES; fd++) {
		if (pr->ps_tbfiles[fd] == NULL) {
			pr->ps_tbfiles[fd] = fp;
			*fdp = fd;
			return (0);
		}
	}
	return (EMFILE);
}

int
dev_open(struct proc *p, dev_t dev, int fflags, struct file **fpp)
{
	struct cdevsw *cdev;
	int error;

	if (major(dev) >= nchrdev ||
	    (cdev = &cdevsw[major(dev)])->d_open == NULL)
		return (ENXIO);
	error = cdev->d_open(dev, fflags, S_IFCHR, p);
	if (error)
		return (error);
	*fpp = file_alloc(DTYPE_VNODE, fflags, dev);
	return (0);
}

/* A boot module by name (see tb_modules), for reading. */
int
module_open(const char *name, int fflags, struct file **fpp)
{
	int i;

	for (i = 0; i < tb_nmodules; i++) {
		if (strcmp(tb_modules[i].m_name, name) != 0)
			continue;
		if (fflags & FWRITE)
			return (EACCES);
		*fpp = file_alloc(DTYPE_MODULE, fflags, 0);
		(*fpp)->f_module = &tb_modules[i];
		return (0);
	}
	return (ENOENT);
}

/* Drop a file reference; the last one closes the device. */
int
file_close(struct proc *p, struct file *fp)
{
	int error = 0;

	if (--fp->f_count > 0)
		return (0);
	if (fp->f_type == DTYPE_VNODE)
		error = cdevsw[major(fp->f_rdev)].d_close(fp->f_rdev,
		    fp->f_flag, S_IFCHR, p);
	file_free(fp);
	return (error);
}

int
file_ioctl(struct proc *p, struct file *fp, u_long com, caddr_t data)
{
	if (fp->f_type != DTYPE_VNODE)
		return (ENOTTY);
	return (cdevsw[major(fp->f_rdev)].d_ioctl(fp->f_rdev, com, data,
	    fp->f_flag, p));
}

void
file_hold(struct file *fp)
{
	fp->f_count++;
}

/* Process exit: close every descriptor. */
void
tb_files_close_all(struct process *pr)
{
	struct file *fp;
	int fd;

	for (fd = 0; fd < TB_NFILES; fd++) {
		if ((fp = pr->ps_tbfiles[fd]) == NULL)
			continue;
		pr->ps_tbfiles[fd] = NULL;
		(void)file_close(pr->ps_mainproc, fp);
	}
}
