/* Testbed <stdarg.h>: thin wrapper around the compiler builtins. */

#ifndef _STDARG_H_
#define _STDARG_H_

#include <sys/_types.h>

#ifndef _VA_LIST_DEFINED_
#define _VA_LIST_DEFINED_
typedef __va_list	va_list;
#endif

#define va_start(ap, last)	__builtin_va_start((ap), last)
#define va_arg(ap, type)	__builtin_va_arg((ap), type)
#define va_copy(dst, src)	__builtin_va_copy((dst), (src))
#define va_end(ap)		__builtin_va_end(ap)

#endif /* !_STDARG_H_ */
