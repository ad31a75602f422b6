/* Testbed <machine/cpufunc.h>: inline wrappers for privileged insns. */

#ifndef _MACHINE_CPUFUNC_H_
#define _MACHINE_CPUFUNC_H_

#include <sys/types.h>
#include <machine/specialreg.h>

static __inline void
outb(u_int port, u_int8_t v)
{
	__asm volatile("outb %b0, %w1" : : "a" (v), "Nd" (port));
}

static __inline u_int8_t
inb(u_int port)
{
	u_int8_t v;

	__asm volatile("inb %w1, %b0" : "=a" (v) : "Nd" (port));
	return (v);
}

static __inline void
outw(u_int port, u_int16_t v)
{
	__asm volatile("outw %w0, %w1" : : "a" (v), "Nd" (port));
}

static __inline u_int16_t
inw(u_int port)
{
	u_int16_t v;

	__asm volatile("inw %w1, %w0" : "=a" (v) : "Nd" (port));
	return (v);
}

static __inline void
outl(u_int port, u_int32_t v)
{
	__asm volatile("outl %0, %w1" : : "a" (v), "Nd" (port));
}

static __inline u_int32_t
inl(u_int port)
{
	u_int32_t v;

	__asm volatile("inl %w1, %0" : "=a" (v) : "Nd" (port));
	return (v);
}

static __inline u_int64_t
rcr0(void)
{
	u_int64_t v;

	__asm volatile("movq %%cr0, %0" : "=r" (v));
	return (v);
}

static __inline void
lcr0(u_int64_t v)
{
	__asm volatile("movq %0, %%cr0" : : "r" (v) : "memory");
}

static __inline u_int64_t
rcr2(void)
{
	u_int64_t v;

	__asm volatile("movq %%cr2, %0" : "=r" (v));
	return (v);
}

static __inline u_int64_t
rcr3(void)
{
	u_int64_t v;

	__asm volatile("movq %%cr3, %0" : "=r" (v));
	return (v);
}

static __inline void
lcr3(u_int64_t v)
{
	__asm volatile("movq %0, %%cr3" : : "r" (v) : "memory");
}

static __inline u_int64_t
rcr4(void)
{
	u_int64_t v;

	__asm volatile("movq %%cr4, %0" : "=r" (v));
	return (v);
}

static __inline void
lcr4(u_int64_t v)
{
	__asm volatile("movq %0, %%cr4" : : "r" (v) : "memory");
}

static __inline void
tlbflush(void)
{
	lcr3(rcr3());
}

static __inline void
invlpg(u_int64_t va)
{
	__asm volatile("invlpg (%0)" : : "r" (va) : "memory");
}

static __inline u_int64_t
rdmsr(u_int msr)
{
	u_int32_t lo, hi;

	__asm volatile("rdmsr" : "=a" (lo), "=d" (hi) : "c" (msr));
	return (((u_int64_t)hi << 32) | lo);
}

static __inline void
wrmsr(u_int msr, u_int64_t v)
{
	__asm volatile("wrmsr" : : "a" ((u_int32_t)v),
	    "d" ((u_int32_t)(v >> 32)), "c" (msr));
}

static __inline u_int64_t
rdtsc(void)
{
	u_int32_t lo, hi;

	__asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return (((u_int64_t)hi << 32) | lo);
}

static __inline u_int64_t
xgetbv(u_int32_t reg)
{
	u_int32_t lo, hi;

	__asm volatile("xgetbv" : "=a" (lo), "=d" (hi) : "c" (reg));
	return (((u_int64_t)hi << 32) | lo);
}

static __inline void
xsetbv(u_int32_t reg, u_int64_t v)
{
	__asm volatile("xsetbv" : : "a" ((u_int32_t)v),
	    "d" ((u_int32_t)(v >> 32)), "c" (reg));
}

static __inline void
wbinvd(void)
{
	__asm volatile("wbinvd" : : : "memory");
}

static __inline u_long
read_rflags(void)
{
	u_long v;

	__asm volatile("pushfq; popq %0" : "=r" (v));
	return (v);
}

static __inline void
write_rflags(u_long v)
{
	__asm volatile("pushq %0; popfq" : : "r" (v) : "memory", "cc");
}

static __inline void
intr_disable(void)
{
	__asm volatile("cli" : : : "memory");
}

static __inline void
intr_enable(void)
{
	__asm volatile("sti" : : : "memory");
}

static __inline u_long
intr_disable_save(void)
{
	u_long s = read_rflags();

	intr_disable();
	return (s);
}

static __inline void
intr_restore(u_long s)
{
	write_rflags(s);
}

#define CPUID_LEAF(code, leaf, eax, ebx, ecx, edx)			\
	__asm volatile("cpuid" : "=a" (eax), "=b" (ebx), "=c" (ecx),	\
	    "=d" (edx) : "a" (code), "c" (leaf))
#define CPUID(code, eax, ebx, ecx, edx)					\
	CPUID_LEAF(code, 0, eax, ebx, ecx, edx)

#endif /* !_MACHINE_CPUFUNC_H_ */
