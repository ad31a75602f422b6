/*
 * Testbed <sys/_types.h>: the basic types, sized as on OpenBSD/amd64
 * (note that 64-bit integers are "long long" there, which is what makes
 * "%llx" correct for uint64_t in OpenBSD code).
 */

#ifndef _SYS__TYPES_H_
#define _SYS__TYPES_H_

typedef signed char		__int8_t;
typedef unsigned char		__uint8_t;
typedef short			__int16_t;
typedef unsigned short		__uint16_t;
typedef int			__int32_t;
typedef unsigned int		__uint32_t;
typedef long long		__int64_t;
typedef unsigned long long	__uint64_t;

typedef long			__intptr_t;
typedef unsigned long		__uintptr_t;
typedef long long		__intmax_t;
typedef unsigned long long	__uintmax_t;
typedef long			__ptrdiff_t;
typedef unsigned long		__size_t;
typedef long			__ssize_t;
typedef long			__register_t;

typedef unsigned long		__paddr_t;
typedef unsigned long		__vaddr_t;
typedef unsigned long		__psize_t;
typedef unsigned long		__vsize_t;

typedef __int32_t		__dev_t;
typedef __int32_t		__pid_t;
typedef __uint32_t		__uid_t;
typedef __uint32_t		__gid_t;
typedef __uint32_t		__mode_t;
typedef __int64_t		__off_t;
typedef __int64_t		__time_t;
typedef long			__suseconds_t;
typedef int			__wchar_t;

typedef __builtin_va_list	__va_list;

#endif /* !_SYS__TYPES_H_ */
