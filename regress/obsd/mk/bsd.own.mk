#	$vmm-rs: bsd.own.mk $
#
# The kernel Makefile includes <bsd.own.mk> for the system's build
# options; none of them matter to a kernel built on Linux.
