/*
 * fail.c: fails on purpose (exit status 1), to show that the runner
 * reports a failing regress program.  Not in the default set.
 */

#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	printf("fail: failing on purpose\n");
	exit(1);
}
