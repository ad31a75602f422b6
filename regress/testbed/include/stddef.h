/* Testbed <stddef.h>. */

#ifndef _STDDEF_H_
#define _STDDEF_H_

#include <sys/_types.h>

#ifndef _SIZE_T_DEFINED_
#define _SIZE_T_DEFINED_
typedef __size_t	size_t;
#endif

#ifndef _PTRDIFF_T_DEFINED_
#define _PTRDIFF_T_DEFINED_
typedef __ptrdiff_t	ptrdiff_t;
#endif

#ifndef NULL
#define NULL		((void *)0)
#endif

#define offsetof(t, m)	__builtin_offsetof(t, m)

typedef struct {
	long long	__ll __aligned(8);
	long double	__ld __aligned(16);
} max_align_t;

#endif /* !_STDDEF_H_ */
