#	$vmm-rs: makegap.sh.sed $
#
# Applied by kernel.sh to sys/conf/makegap.sh of the extracted tree: the
# random gaps come from shuf(1) instead of OpenBSD's jot(1), the page
# size from getconf(1) instead of sysctl hw.pagesize.
s/`jot -r 1 0 \$_upper_bound 2>\/dev\/null`/`shuf -i 0-$_upper_bound -n 1`/
s/`sysctl -n hw\.pagesize`/`getconf PAGESIZE`/
