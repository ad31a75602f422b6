/*
 * pci.c: PCI configuration mechanism 1 (address at 0xcf8, data at
 * 0xcfc-0xcff) with one device, the host bridge at 0:0.0 that vmd
 * offers (OpenBSD's vendor id and its "PCHB" product).  Every other
 * function reads as absent (all ones).  Called with the shared lock held.
 */

#include <string.h>

#include "vmon.h"

#define PCI_VENDOR_OPENBSD	0x0b5d
#define PCI_PRODUCT_PCHB	0x0666
#define PCI_CLASS_BRIDGE	0x06
#define PCI_SUBCLASS_HOST	0x00

static struct pci {
	uint32_t	addr;		/* CONFIG_ADDRESS as written */
	uint8_t		hb[256];	/* the host bridge's config space */
} *pcistate;

#define pci	(*pcistate)

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

void
pci_init(void)
{
	if (pcistate == NULL)
		pcistate = vmon_shared_alloc(sizeof(*pcistate));
	memset(pcistate, 0, sizeof(*pcistate));
	put16(&pci.hb[0x00], PCI_VENDOR_OPENBSD);
	put16(&pci.hb[0x02], PCI_PRODUCT_PCHB);
	put16(&pci.hb[0x04], 0x0006);		/* memory and I/O decoding */
	pci.hb[0x0a] = PCI_SUBCLASS_HOST;
	pci.hb[0x0b] = PCI_CLASS_BRIDGE;
	pci.hb[0x0e] = 0x00;			/* header type 0 */
	put16(&pci.hb[0x2c], PCI_VENDOR_OPENBSD);	/* subsystem */
}

/* The config space the address register selects, or NULL. */
static uint8_t *
selected(void)
{
	uint32_t a = pci.addr;

	if ((a & 0x80000000U) == 0)
		return (NULL);
	if (((a >> 16) & 0xff) != 0 || ((a >> 11) & 0x1f) != 0 ||
	    ((a >> 8) & 0x7) != 0)
		return (NULL);
	return (pci.hb);
}

uint8_t
vcpu_exit_pci(struct vm_exit_inout *vei)
{
	uint8_t *cs;
	uint32_t v = 0;
	int off, i;

	if (vei->vei_port == 0xcf8) {
		if (vei->vei_size != 4) {
			/* Only dword accesses reach the address register. */
			if (vei->vei_dir == VEI_DIR_IN)
				vei_set_in(vei, 0xffffffff);
			return (IRQ_NONE);
		}
		if (vei->vei_dir == VEI_DIR_OUT)
			pci.addr = vei->vei_data & 0x80fffffcU;
		else
			vei_set_in(vei, pci.addr);
		return (IRQ_NONE);
	}
	cs = selected();
	off = (pci.addr & 0xfc) + (vei->vei_port - 0xcfc);
	if (vei->vei_dir == VEI_DIR_IN) {
		if (cs == NULL) {
			vei_set_in(vei, 0xffffffff);
			return (IRQ_NONE);
		}
		for (i = 0; i < vei->vei_size && off + i < 256; i++)
			v |= (uint32_t)cs[off + i] << (8 * i);
		vei_set_in(vei, v);
		return (IRQ_NONE);
	}
	/* Writes: the command register and the scratch registers only. */
	if (cs == NULL)
		return (IRQ_NONE);
	for (i = 0; i < vei->vei_size && off + i < 256; i++) {
		if (off + i == 0x04 || off + i == 0x05 ||
		    (off + i >= 0x40 && off + i < 0x100))
			cs[off + i] = vei->vei_data >> (8 * i);
	}
	return (IRQ_NONE);
}
