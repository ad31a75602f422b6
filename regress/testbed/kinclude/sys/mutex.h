/*
 * Testbed <sys/mutex.h>: spin mutexes.  With one CPU a mutex can only
 * ever be taken by the CPU that already holds it, which is reported as
 * "locking against myself".
 */

#ifndef _SYS_MUTEX_H_
#define _SYS_MUTEX_H_

#include <sys/types.h>

struct mutex {
	volatile void	*mtx_owner;
	int		 mtx_wantipl;
	int		 mtx_oldipl;
	const char	*mtx_name;
};

#define MUTEX_INITIALIZER(ipl)		{ NULL, (ipl), 0, NULL }
#define MUTEX_INITIALIZER_FLAGS(ipl, name, flags) { NULL, (ipl), 0, (name) }

#ifdef _KERNEL
void	__mtx_init(struct mutex *, int);
#define mtx_init(mtx, ipl)		__mtx_init((mtx), (ipl))
#define mtx_init_flags(mtx, ipl, name, flags) __mtx_init((mtx), (ipl))
void	mtx_enter(struct mutex *);
int	mtx_enter_try(struct mutex *);
void	mtx_leave(struct mutex *);
int	mtx_owned(struct mutex *);

#define MUTEX_ASSERT_LOCKED(mtx) do {					\
	if (!mtx_owned(mtx))						\
		panic("mutex %p not held in %s", (mtx), __func__);	\
} while (0)
#define MUTEX_ASSERT_UNLOCKED(mtx) do {					\
	if (mtx_owned(mtx))						\
		panic("mutex %p held in %s", (mtx), __func__);		\
} while (0)
#define MUTEX_OLDIPL(mtx)	((mtx)->mtx_oldipl)
#endif

#endif /* !_SYS_MUTEX_H_ */
