#!/bin/sh
#	$vmm-rs: profile.sh $
#
# make obsd-bench-profile: where the instructions of make obsd-bench's
# io-roundtrip and ioctl-path go, on the C and on the Rust kernel.
#
# Boots each kernel's bench ramdisk (compare.sh bench builds it) under
# QEMU with -icount shift=0 and a monitor; when regress/bench/vsexits.c
# says "profile start NAME" the runner turns QEMU's execution log on
# (-d exec,nochain, a file per window) and off again at "profile end
# NAME".  Each executed translation block's instructions (counted in the
# disassembly of bsd.gdb or of the program, up to the block's end) go to
# the function they are in; the iterations are the entries of the loop's
# one-iteration function (io_once, regs_once).  Prints per window and
# kernel "profile NAME ABI FUNCTION INSNS-PER-ITERATION", biggest first,
# into build/obsd-bench/profile.txt.  Estimates: a block is counted to
# its first branch, which QEMU may end earlier.  Needs python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$top/build/obsd-bench
out=$work/profile.txt
tmp=$(mktemp -d "${TMPDIR:-/tmp}/obsdprof.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for abi in c rust; do
	[ -f "$work/$abi/bsd.rd" ] || { echo "profile.sh: no" \
	    "$work/$abi/bsd.rd (make obsd-bench first)" >&2; exit 1; }
done
: >"$out"
for abi in c rust; do
	kobj=$work/$abi	# its bsd.gdb: the symbols of the kernel in bsd.rd
	prog=$work/$abi/userland/bin/vsexits
	sock=$tmp/mon-$abi.sock
	log=$tmp/console-$abi.log
	: >"$log"
	OBSD_LOG=$log QEMU_EXTRA="-icount shift=0 -monitor unix:$sock,server,nowait -D $tmp/none.log" \
	    bash "$here/boot.sh" qemu-svm "$work/$abi/bsd.rd" 900 \
	    >/dev/null 2>"$tmp/boot-$abi.err" &
	bpid=$!
	python3 - "$log" "$sock" "$tmp" "$abi" <<'PY'
import os, socket, sys, time
log, sock, tmp, abi = sys.argv[1:5]
def mon(cmd):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            s.connect(sock)
            break
        except OSError:
            time.sleep(0.1)
    s.sendall((cmd + "\n").encode())
    time.sleep(0.2)
    s.close()
seen = set()
t0 = time.time()
while time.time() - t0 < 900:
    txt = open(log, errors="replace").read()
    for line in txt.replace("\r", "").splitlines():
        p = line.split()
        if len(p) == 4 and p[0] == "#" and p[1] == "profile" and line not in seen:
            seen.add(line)
            if p[2] == "start":
                mon("logfile %s/%s-%s.exec" % (tmp, p[3], abi))
                mon("log exec,nochain")
            else:
                mon("log none")
    if "passed," in txt and " failed" in txt:
        break
    time.sleep(0.1)
PY
	wait $bpid || true
	nm -n -C "$kobj/bsd.gdb" | awk '$2 ~ /^[tTwW]$/ { n = $1; $1 = $2 = ""; sub(/^ */, ""); print n, $0 }' >"$tmp/syms"
	nm -n "$prog" | awk '$2 ~ /^[tTwW]$/ { print $1, "(user) " $3 }' >>"$tmp/syms"
	for f in "$kobj/bsd.gdb" "$prog"; do
		objdump -d --no-show-raw-insn "$f" |
		    awk '/^ *[0-9a-f]+:\t/ { a = $1; sub(":", "", a); print a, $2 }'
	done >"$tmp/insns"
	for w in io-roundtrip:io_once ioctl-path:regs_once; do
		name=${w%%:*} fn=${w#*:}
		f=$tmp/$name-$abi.exec
		[ -s "$f" ] || { echo "profile.sh: no log for $name ($abi)" >&2; exit 1; }
		start=$(nm "$prog" | awk -v f="$fn" '$3 == f { print $1 }')
		python3 - "$tmp" "$f" "$start" "$name" "$abi" >>"$out" <<'PY'
import array, bisect, collections, re, sys
tmp, log, start, name, abi = sys.argv[1:6]
start = int(start, 16)
ins = []
for l in open(tmp + "/insns"):
    p = l.split()
    if len(p) == 2:
        try:
            ins.append((int(p[0], 16), p[1]))
        except ValueError:
            pass
ins.sort()
ia = [a for a, _ in ins]
syms = []
for l in open(tmp + "/syms"):
    p = l.split(None, 1)
    syms.append((int(p[0], 16), p[1].strip()))
syms.sort()
sa = [a for a, _ in syms]
END = ("vmrun", "vmlaunch", "vmresume", "cpuid", "rdmsr", "wrmsr", "xsetbv",
       "hlt", "iretq", "sysretq", "syscall", "int3", "ud2", "sti", "popf",
       "popfq", "lret", "stgi", "clgi", "vmload", "vmsave", "xrstor",
       "xrstor64", "fxrstor", "fxrstor64", "xsave", "xsave64", "fxsave64",
       "xsaves64", "xrstors64", "swapgs", "lfence", "verw", "wbinvd",
       "invlpga")
cache = {}
def tb_len(pc):
    if pc in cache:
        return cache[pc]
    i = bisect.bisect_left(ia, pc)
    n = 1
    if i < len(ia) and ia[i] == pc:
        n = 0
        while i < len(ia) and n < 512:
            m = ins[i][1]
            n += 1
            if m[0] == "j" or m.startswith(("call", "ret", "rep", "loop")) or m in END:
                break
            i += 1
    cache[pc] = n
    return n
def where(pc):
    if pc < 0x100000:
        return "(guest)"
    i = bisect.bisect_right(sa, pc) - 1
    return syms[i][1] if i >= 0 else "?"
# From the first entry of the loop's iteration function to its last: the
# pauses around the window (the idle thread, the page zeroer) are not
# counted.
pcs = array.array("Q")
rx = re.compile(r"\[[0-9a-f]+/([0-9a-f]+)/")
for l in open(log, errors="replace"):
    m = rx.search(l)
    if m:
        pcs.append(int(m.group(1), 16))
marks = [i for i, pc in enumerate(pcs) if pc == start]
if len(marks) < 2:
    sys.exit("no iterations of the loop in " + log)
iters = len(marks) - 1
agg = collections.Counter()
for pc in pcs[marks[0]:marks[-1]]:
    agg[where(pc)] += tb_len(pc)
tot = 0
for f, n in agg.most_common():
    v = n / iters
    tot += v
    if v >= 1:
        print("profile %s %s %s %.0f" % (name, abi, f.replace(" ", "_"), v))
print("profile %s %s TOTAL %.0f (%d iterations)" % (name, abi, tot, iters))
PY
	done
done
cat "$out"
