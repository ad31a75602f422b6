/*
 * Testbed <sys/signalvar.h>.  Signals are never delivered; a test posts
 * one with tb_proc_signal() and the kernel only observes it as pending,
 * which is what interruptible sleeps (PCATCH, RW_INTR) and the driver's
 * SIGPENDING() checks look at.
 */

#ifndef _SYS_SIGNALVAR_H_
#define _SYS_SIGNALVAR_H_

#include <sys/signal.h>
#include <sys/proc.h>

#define sigmask(n)	(1U << ((n) - 1))

#define SIGPENDING(p)							\
	(((p)->p_siglist | (p)->p_p->ps_siglist) & ~(p)->p_sigmask)

#endif /* !_SYS_SIGNALVAR_H_ */
