/*
 * Objects that tools/stack-check.py must refuse (and one it must accept),
 * compiled one case at a time with -DCASE_x.  Each case's entry point is
 * `entry`; `sink` keeps the compiler from dropping the buffers.
 */
void	sink(volatile char *);

#define FRAME(name, n, next)						\
	__attribute__((noinline)) void name(void) {			\
		volatile char buf[n];					\
		sink(buf);						\
		next;							\
	}

#if defined(CASE_BIGFRAME)	/* one frame of 3000 bytes */
FRAME(entry, 3000, (void)0)
#elif defined(CASE_PROBED)	/* 12 KiB: the compiler probes the stack */
FRAME(entry, 12288, (void)0)
#elif defined(CASE_LOOP)	/* 64 KiB: a probing loop through %r11 */
FRAME(entry, 65536, (void)0)
#elif defined(CASE_CHAIN)	/* four frames of 1800: 7200 > 6144 */
FRAME(f3, 1800, (void)0)
FRAME(f2, 1800, f3())
FRAME(f1, 1800, f2())
FRAME(entry, 1800, f1())
#elif defined(CASE_RECURSION)	/* unbounded */
void entry(void);
FRAME(f1, 100, entry())
FRAME(entry, 100, f1())
#elif defined(CASE_OK)		/* three frames of 1800: 5400 */
FRAME(f2, 1800, (void)0)
FRAME(f1, 1800, f2())
FRAME(entry, 1800, f1())
#endif
