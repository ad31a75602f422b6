/*
 * Testbed <sys/atomic.h>: OpenBSD's atomic_*() operations expressed with
 * the compiler's __atomic builtins (sequentially consistent).
 */

#ifndef _SYS_ATOMIC_H_
#define _SYS_ATOMIC_H_

#include <sys/types.h>

#define _TB_ATOMIC_OPS(name, type)					\
static __inline type							\
atomic_cas_##name(volatile type *p, type e, type n)			\
{									\
	__atomic_compare_exchange_n(p, &e, n, 0, __ATOMIC_SEQ_CST,	\
	    __ATOMIC_SEQ_CST);						\
	return (e);							\
}									\
static __inline type							\
atomic_swap_##name(volatile type *p, type n)				\
{									\
	return (__atomic_exchange_n(p, n, __ATOMIC_SEQ_CST));		\
}									\
static __inline type							\
atomic_add_##name##_nv(volatile type *p, type v)			\
{									\
	return (__atomic_add_fetch(p, v, __ATOMIC_SEQ_CST));		\
}									\
static __inline type							\
atomic_sub_##name##_nv(volatile type *p, type v)			\
{									\
	return (__atomic_sub_fetch(p, v, __ATOMIC_SEQ_CST));		\
}									\
static __inline void							\
atomic_add_##name(volatile type *p, type v)				\
{									\
	(void)atomic_add_##name##_nv(p, v);				\
}									\
static __inline void							\
atomic_sub_##name(volatile type *p, type v)				\
{									\
	(void)atomic_sub_##name##_nv(p, v);				\
}									\
static __inline type							\
atomic_inc_##name##_nv(volatile type *p)				\
{									\
	return (atomic_add_##name##_nv(p, 1));				\
}									\
static __inline type							\
atomic_dec_##name##_nv(volatile type *p)				\
{									\
	return (atomic_sub_##name##_nv(p, 1));				\
}									\
static __inline void							\
atomic_inc_##name(volatile type *p)					\
{									\
	(void)atomic_inc_##name##_nv(p);				\
}									\
static __inline void							\
atomic_dec_##name(volatile type *p)					\
{									\
	(void)atomic_dec_##name##_nv(p);				\
}									\
static __inline type							\
atomic_load_##name(volatile type *p)					\
{									\
	return (__atomic_load_n(p, __ATOMIC_SEQ_CST));			\
}									\
static __inline void							\
atomic_store_##name(volatile type *p, type v)				\
{									\
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);			\
}

_TB_ATOMIC_OPS(uint, unsigned int)
_TB_ATOMIC_OPS(int, int)
_TB_ATOMIC_OPS(ulong, unsigned long)
_TB_ATOMIC_OPS(long, long)
_TB_ATOMIC_OPS(u64, uint64_t)

#undef _TB_ATOMIC_OPS

static __inline void *
atomic_cas_ptr(volatile void *p, void *e, void *n)
{
	__atomic_compare_exchange_n((void * volatile *)p, &e, n, 0,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return (e);
}

static __inline void *
atomic_swap_ptr(volatile void *p, void *n)
{
	return (__atomic_exchange_n((void * volatile *)p, n,
	    __ATOMIC_SEQ_CST));
}

static __inline void
atomic_setbits_int(volatile unsigned int *p, unsigned int v)
{
	__atomic_or_fetch(p, v, __ATOMIC_SEQ_CST);
}

static __inline void
atomic_clearbits_int(volatile unsigned int *p, unsigned int v)
{
	__atomic_and_fetch(p, ~v, __ATOMIC_SEQ_CST);
}

#define membar_enter()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define membar_exit()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define membar_producer()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define membar_consumer()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define membar_sync()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define membar_enter_after_atomic()	membar_enter()
#define membar_exit_before_atomic()	membar_exit()

#define READ_ONCE(x)		(*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

#endif /* !_SYS_ATOMIC_H_ */
