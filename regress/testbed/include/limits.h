/* Testbed <limits.h>. */

#ifndef _LIMITS_H_
#define _LIMITS_H_

#define CHAR_BIT	8
#define SCHAR_MIN	(-0x7f - 1)
#define SCHAR_MAX	0x7f
#define UCHAR_MAX	0xff
#define CHAR_MIN	SCHAR_MIN
#define CHAR_MAX	SCHAR_MAX
#define SHRT_MIN	(-0x7fff - 1)
#define SHRT_MAX	0x7fff
#define USHRT_MAX	0xffff
#define INT_MIN		(-0x7fffffff - 1)
#define INT_MAX		0x7fffffff
#define UINT_MAX	0xffffffffU
#define LONG_MIN	(-0x7fffffffffffffffL - 1)
#define LONG_MAX	0x7fffffffffffffffL
#define ULONG_MAX	0xffffffffffffffffUL
#define LLONG_MIN	(-0x7fffffffffffffffLL - 1)
#define LLONG_MAX	0x7fffffffffffffffLL
#define ULLONG_MAX	0xffffffffffffffffULL
#define SSIZE_MAX	LONG_MAX
#define SIZE_T_MAX	ULONG_MAX

#define PATH_MAX	1024
#define NAME_MAX	255
#define IOV_MAX		1024

#endif /* !_LIMITS_H_ */
