/*
 * The median of n instruction counts (sorts v), for the OpenBSD bench
 * programs (vsexits.c, vsintr.c): every figure they print is a median of
 * samples, so that a clock tick or a process switch in one sample does
 * not move it.
 */
#ifndef BENCH_MEDIAN_H
#define BENCH_MEDIAN_H

#include <stdint.h>
#include <stdlib.h>

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static uint64_t
median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp64);
	return (v[n / 2]);
}

#endif /* BENCH_MEDIAN_H */
