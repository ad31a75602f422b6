/*
 * Testbed <sys/device.h>: autoconf structures.  The testbed attaches the
 * vmm driver at boot by calling vmm_ca.ca_match() and, if it matches,
 * ca_attach() with parent "mainbus0" and aux pointing at the bus name
 * "vmm" (like amd64 mainbus does).
 */

#ifndef _SYS_DEVICE_H_
#define _SYS_DEVICE_H_

#include <sys/types.h>
#include <sys/queue.h>

enum devclass {
	DV_DULL,		/* generic */
	DV_CPU,
	DV_DISK,
	DV_IFNET,
	DV_TAPE,
	DV_TTY
};

/* ca_activate actions */
#define DVACT_DEACTIVATE	1
#define DVACT_QUIESCE		2
#define DVACT_SUSPEND		3
#define DVACT_RESUME		4
#define DVACT_WAKEUP		5
#define DVACT_POWERDOWN		6

struct device {
	enum devclass		 dv_class;
	TAILQ_ENTRY(device)	 dv_list;
	struct cfdata		*dv_cfdata;
	int			 dv_unit;
	char			 dv_xname[16];
	struct device		*dv_parent;
	int			 dv_flags;
	int			 dv_ref;
};

#define DVF_ACTIVE	0x0001

TAILQ_HEAD(devicelist, device);

struct cfdata {
	const struct cfattach	*cf_attach;
	struct cfdriver		*cf_driver;
	short			 cf_unit;
	short			 cf_fstate;
	long			*cf_loc;
	int			 cf_flags;
	short			*cf_parents;
	int			 cf_locnames;
	short			 cf_starunit1;
};

typedef int (*cfmatch_t)(struct device *, void *, void *);
typedef void (*cfscan_t)(struct device *, void *);
typedef int (*cfprint_t)(void *, const char *);

struct cfattach {
	size_t		ca_devsize;
	cfmatch_t	ca_match;
	void		(*ca_attach)(struct device *, struct device *, void *);
	int		(*ca_detach)(struct device *, int);
	int		(*ca_activate)(struct device *, int);
};

#define DETACH_FORCE	0x01
#define DETACH_QUIET	0x02

#define CD_INDIRECT		1
#define CD_SKIPHIBERNATE	2
#define CD_COCOVM		4

struct cfdriver {
	void		**cd_devs;
	char		 *cd_name;
	enum devclass	  cd_class;
	int		  cd_mode;
	int		  cd_ndevs;
};

#define QUIET	0
#define UNCONF	1
#define UNSUPP	2

#define DEVNAME(sc)	((sc)->sc_dev.dv_xname)

#ifdef _KERNEL
extern struct devicelist alldevs;

struct device	*device_lookup(struct cfdriver *, int);
void		 device_ref(struct device *);
void		 device_unref(struct device *);
struct device	*device_mainbus(void);
#endif

#endif /* !_SYS_DEVICE_H_ */
