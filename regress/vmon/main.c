/*
 * main.c: vmon as a program of its own, for OpenBSD (Makefile).  The
 * testbed's programs are guest_*.c.
 */

#include "vmon.h"

int
main(int argc, char *argv[])
{
	return (vmon_main(argc, argv));
}
