/* Testbed <stdint.h>, with OpenBSD/amd64 type choices. */

#ifndef _STDINT_H_
#define _STDINT_H_

#include <sys/_types.h>

#ifndef _INT8_T_DEFINED_
#define _INT8_T_DEFINED_
typedef __int8_t	int8_t;
#endif
#ifndef _UINT8_T_DEFINED_
#define _UINT8_T_DEFINED_
typedef __uint8_t	uint8_t;
#endif
#ifndef _INT16_T_DEFINED_
#define _INT16_T_DEFINED_
typedef __int16_t	int16_t;
#endif
#ifndef _UINT16_T_DEFINED_
#define _UINT16_T_DEFINED_
typedef __uint16_t	uint16_t;
#endif
#ifndef _INT32_T_DEFINED_
#define _INT32_T_DEFINED_
typedef __int32_t	int32_t;
#endif
#ifndef _UINT32_T_DEFINED_
#define _UINT32_T_DEFINED_
typedef __uint32_t	uint32_t;
#endif
#ifndef _INT64_T_DEFINED_
#define _INT64_T_DEFINED_
typedef __int64_t	int64_t;
#endif
#ifndef _UINT64_T_DEFINED_
#define _UINT64_T_DEFINED_
typedef __uint64_t	uint64_t;
#endif
#ifndef _INTPTR_T_DEFINED_
#define _INTPTR_T_DEFINED_
typedef __intptr_t	intptr_t;
#endif
#ifndef _UINTPTR_T_DEFINED_
#define _UINTPTR_T_DEFINED_
typedef __uintptr_t	uintptr_t;
#endif

typedef __intmax_t	intmax_t;
typedef __uintmax_t	uintmax_t;

typedef __int8_t	int_least8_t;
typedef __uint8_t	uint_least8_t;
typedef __int16_t	int_least16_t;
typedef __uint16_t	uint_least16_t;
typedef __int32_t	int_least32_t;
typedef __uint32_t	uint_least32_t;
typedef __int64_t	int_least64_t;
typedef __uint64_t	uint_least64_t;
typedef __int32_t	int_fast8_t;
typedef __uint32_t	uint_fast8_t;
typedef __int32_t	int_fast16_t;
typedef __uint32_t	uint_fast16_t;
typedef __int32_t	int_fast32_t;
typedef __uint32_t	uint_fast32_t;
typedef __int64_t	int_fast64_t;
typedef __uint64_t	uint_fast64_t;

#define INT8_MIN	(-0x7f - 1)
#define INT16_MIN	(-0x7fff - 1)
#define INT32_MIN	(-0x7fffffff - 1)
#define INT64_MIN	(-0x7fffffffffffffffLL - 1)
#define INT8_MAX	0x7f
#define INT16_MAX	0x7fff
#define INT32_MAX	0x7fffffff
#define INT64_MAX	0x7fffffffffffffffLL
#define UINT8_MAX	0xff
#define UINT16_MAX	0xffff
#define UINT32_MAX	0xffffffffU
#define UINT64_MAX	0xffffffffffffffffULL

#define INTPTR_MIN	(-0x7fffffffffffffffL - 1)
#define INTPTR_MAX	0x7fffffffffffffffL
#define UINTPTR_MAX	0xffffffffffffffffUL
#define INTMAX_MIN	INT64_MIN
#define INTMAX_MAX	INT64_MAX
#define UINTMAX_MAX	UINT64_MAX
#define PTRDIFF_MIN	INTPTR_MIN
#define PTRDIFF_MAX	INTPTR_MAX
#define SIZE_MAX	UINTPTR_MAX

#define INT8_C(c)	(c)
#define INT16_C(c)	(c)
#define INT32_C(c)	(c)
#define INT64_C(c)	(c ## LL)
#define UINT8_C(c)	(c)
#define UINT16_C(c)	(c)
#define UINT32_C(c)	(c ## U)
#define UINT64_C(c)	(c ## ULL)
#define INTMAX_C(c)	(c ## LL)
#define UINTMAX_C(c)	(c ## ULL)

#endif /* !_STDINT_H_ */
