/* <ddb/db_var.h> of the OpenBSD userland: the ddb sysctl names. */

#ifndef _OBSD_DDB_DB_VAR_H_
#define _OBSD_DDB_DB_VAR_H_

#define DBCTL_CONSOLE	6		/* a break or trigger may enter ddb */
#define DBCTL_TRIGGER	8		/* enter ddb now */

#endif /* !_OBSD_DDB_DB_VAR_H_ */
