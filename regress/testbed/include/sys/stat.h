/* Testbed <sys/stat.h>: file type bits only. */

#ifndef _SYS_STAT_H_
#define _SYS_STAT_H_

#include <sys/types.h>

#define S_IFMT		0170000
#define S_IFIFO		0010000
#define S_IFCHR		0020000
#define S_IFDIR		0040000
#define S_IFBLK		0060000
#define S_IFREG		0100000

#define S_ISCHR(m)	(((m) & S_IFMT) == S_IFCHR)

#endif /* !_SYS_STAT_H_ */
