/*
 * vmm_standin.c: a stand-in for the vmm(4) driver.
 *
 * It provides what the testbed expects from the real driver (vmm_ca,
 * vmm_cd, vmmopen, vmmclose, vmmioctl, pledge_ioctl_vmm) and does just
 * enough with the kernel API (rwlock, refcnt, pool, malloc, copyout,
 * uao/uvm_map/uvm_map_immutable/uvm_unmap, uvm_fault_wire, pmap_extract)
 * to prove the pipeline.  Build with the real driver instead by setting
 * DRIVER_SRCS/DRIVER_OBJS (see README.md).
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/device.h>
#include <sys/malloc.h>
#include <sys/pool.h>
#include <sys/pledge.h>
#include <sys/proc.h>
#include <sys/refcnt.h>
#include <sys/rwlock.h>
#include <sys/queue.h>
#include <sys/conf.h>
#include <sys/fcntl.h>
#include <uvm/uvm_extern.h>
#include <uvm/uvm_aobj.h>

#include "vmm_standin.h"

struct standin_mem {
	SLIST_ENTRY(standin_mem) sm_link;
	uint32_t		 sm_id;
	pid_t			 sm_pid;
	vaddr_t			 sm_va;
	vsize_t			 sm_size;
	struct uvm_object	*sm_uao;
};

struct standin_softc {
	struct device		 sc_dev;
	struct rwlock		 sc_lock;
	struct refcnt		 sc_refcnt;
	uint32_t		 sc_opens;
	uint32_t		 sc_nextid;
	SLIST_HEAD(, standin_mem) sc_mems;
};

int	vmm_probe(struct device *, void *, void *);
void	vmm_attach(struct device *, struct device *, void *);
int	vmm_activate(struct device *, int);
int	pledge_ioctl_vmm(struct proc *, long);

const struct cfattach vmm_ca = {
	sizeof(struct standin_softc), vmm_probe, vmm_attach, NULL,
	vmm_activate
};

struct cfdriver vmm_cd = {
	NULL, "vmm", DV_DULL, CD_SKIPHIBERNATE, 0
};

static struct standin_softc	*standin_sc;
static struct pool		 standin_pool;

int
vmm_probe(struct device *parent, void *match, void *aux)
{
	const char **busname = aux;

	(void)parent;
	(void)match;
	return (strcmp(*busname, vmm_cd.cd_name) == 0);
}

void
vmm_attach(struct device *parent, struct device *self, void *aux)
{
	struct standin_softc *sc = (struct standin_softc *)self;

	(void)parent;
	(void)aux;
	rw_init(&sc->sc_lock, "standin");
	refcnt_init(&sc->sc_refcnt);
	SLIST_INIT(&sc->sc_mems);
	pool_init(&standin_pool, sizeof(struct standin_mem), 64, IPL_MPFLOOR,
	    PR_WAITOK, "standinpl", NULL);
	standin_sc = sc;
	printf(": stand-in driver\n");
}

int
vmm_activate(struct device *self, int act)
{
	(void)self;
	(void)act;
	return (0);
}

int
vmmopen(dev_t dev, int flag, int mode, struct proc *p)
{
	(void)dev;
	(void)mode;
	(void)p;
	if (standin_sc == NULL)
		return (ENODEV);
	if ((flag & (FREAD | FWRITE)) == 0)
		return (EINVAL);
	standin_sc->sc_opens++;
	return (0);
}

int
vmmclose(dev_t dev, int flag, int mode, struct proc *p)
{
	(void)dev;
	(void)flag;
	(void)mode;
	(void)p;
	standin_sc->sc_opens--;
	return (0);
}

static int
standin_map(struct standin_softc *sc, struct standin_map *smp,
    struct proc *p)
{
	struct vm_map *map = &p->p_vmspace->vm_map;
	struct standin_mem *mem;
	struct uvm_object *uao;
	vaddr_t va;
	paddr_t pa;
	vsize_t size;
	int error;

	size = round_page(smp->sm_size);
	if (size == 0 || size > 64 * 1024 * 1024)
		return (EINVAL);
	uao = uao_create(size, UAO_FLAG_CANFAIL);
	if (uao == NULL)
		return (ENOMEM);
	va = 0;
	error = uvm_map(map, &va, size, uao, 0, 0, UVM_MAPFLAG(PROT_READ |
	    PROT_WRITE, PROT_READ | PROT_WRITE, MAP_INHERIT_NONE, MADV_NORMAL,
	    UVM_FLAG_CONCEAL));
	if (error) {
		uao_detach(uao);
		return (error);
	}
	error = uvm_map_immutable(map, va, va + size, 1);
	if (error) {
		uvm_unmap(map, va, va + size);
		return (error);
	}
	uao_reference(uao);

	/* Touch each page the way a guest would: through its PA. */
	for (vaddr_t off = 0; off < size; off += PAGE_SIZE) {
		error = uvm_fault_wire(map, va + off, va + off + PAGE_SIZE,
		    PROT_READ | PROT_WRITE);
		if (error == 0 && !pmap_extract(map->pmap, va + off, &pa))
			error = EFAULT;
		if (error) {
			uvm_unmap(map, va, va + size);
			uao_detach(uao);
			return (error);
		}
		memset((void *)pa, smp->sm_fill, PAGE_SIZE);
	}

	mem = pool_get(&standin_pool, PR_WAITOK | PR_ZERO);
	mem->sm_id = ++sc->sc_nextid;
	mem->sm_pid = p->p_p->ps_pid;
	mem->sm_va = va;
	mem->sm_size = size;
	mem->sm_uao = uao;
	rw_enter_write(&sc->sc_lock);
	SLIST_INSERT_HEAD(&sc->sc_mems, mem, sm_link);
	rw_exit_write(&sc->sc_lock);

	smp->sm_va = va;
	smp->sm_id = mem->sm_id;
	return (0);
}

static int
standin_unmap(struct standin_softc *sc, struct standin_map *smp,
    struct proc *p)
{
	struct standin_mem *mem;

	rw_enter_write(&sc->sc_lock);
	SLIST_FOREACH(mem, &sc->sc_mems, sm_link)
		if (mem->sm_id == smp->sm_id)
			break;
	if (mem == NULL || mem->sm_pid != p->p_p->ps_pid) {
		rw_exit_write(&sc->sc_lock);
		return (ENOENT);
	}
	SLIST_REMOVE(&sc->sc_mems, mem, standin_mem, sm_link);
	rw_exit_write(&sc->sc_lock);

	uvm_unmap(&p->p_vmspace->vm_map, mem->sm_va,
	    mem->sm_va + mem->sm_size);
	uao_detach(mem->sm_uao);
	pool_put(&standin_pool, mem);
	return (0);
}

int
vmmioctl(dev_t dev, u_long cmd, caddr_t data, int flag, struct proc *p)
{
	struct standin_softc *sc = standin_sc;
	struct standin_echo *se;
	struct standin_info *si;
	struct standin_big *sb;
	uint8_t t;
	char *buf;
	size_t len;
	int error = 0, i;

	(void)dev;
	(void)flag;
	KERNEL_UNLOCK();
	error = rw_enter(&sc->sc_lock, RW_READ | RW_INTR);
	if (error)
		goto out;
	refcnt_take(&sc->sc_refcnt);
	rw_exit(&sc->sc_lock);

	switch (cmd) {
	case STANDIN_IOC_ECHO:
		se = (struct standin_echo *)data;
		se->se_out = se->se_in + 1;
		for (i = 0; i < (int)sizeof(se->se_name) && se->se_name[i];
		    i++)
			if (se->se_name[i] >= 'a' && se->se_name[i] <= 'z')
				se->se_name[i] -= 'a' - 'A';
		break;
	case STANDIN_IOC_INFO:
		si = (struct standin_info *)data;
		buf = malloc(64, M_DEVBUF, M_WAITOK | M_ZERO);
		len = snprintf(buf, 64, "standin pid %d", p->p_p->ps_pid) + 1;
		si->si_pid = p->p_p->ps_pid;
		si->si_opens = sc->sc_opens;
		if (si->si_len >= len)
			error = copyout(buf, si->si_buf, len);
		si->si_len = len;
		free(buf, M_DEVBUF, 64);
		break;
	case STANDIN_IOC_BIG:
		sb = (struct standin_big *)data;
		sb->sb_sum = 0;
		for (i = 0; i < (int)sizeof(sb->sb_data); i++)
			sb->sb_sum += sb->sb_data[i];
		for (i = 0; i < (int)sizeof(sb->sb_data) / 2; i++) {
			t = sb->sb_data[i];
			sb->sb_data[i] = sb->sb_data[sizeof(sb->sb_data) - 1 - i];
			sb->sb_data[sizeof(sb->sb_data) - 1 - i] = t;
		}
		break;
	case STANDIN_IOC_MAP:
		error = standin_map(sc, (struct standin_map *)data, p);
		break;
	case STANDIN_IOC_UNMAP:
		error = standin_unmap(sc, (struct standin_map *)data, p);
		break;
	default:
		error = ENOTTY;
		break;
	}
	refcnt_rele_wake(&sc->sc_refcnt);
out:
	KERNEL_LOCK();
	return (error);
}

/* As in vmm(4): mapping memory needs "proc", the rest is fine. */
int
pledge_ioctl_vmm(struct proc *p, long com)
{
	switch (com) {
	case STANDIN_IOC_ECHO:
	case STANDIN_IOC_INFO:
	case STANDIN_IOC_BIG:
		return (0);
	case STANDIN_IOC_MAP:
	case STANDIN_IOC_UNMAP:
		if (p->p_pledge & PLEDGE_PROC)
			return (0);
		break;
	}
	return (EPERM);
}
