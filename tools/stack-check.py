#!/usr/bin/env python3
"""stack-check OBJ EXPORTS [FRAME_MAX CHAIN_MAX]: the kernel stack the
driver's own code can use, computed from the object.

OpenBSD amd64 gives a thread 16 KiB or so of kernel stack for the whole
chain from the system call down (UPAGES 6: a 24 KiB u-area, less its guard
page, the pcb and the trap frame); the C kernel is built with
-Wframe-larger-than=2047.  This checks the Rust object against both:

 * frame: each function's stack use, from its prologue: the return
   address, the registers it pushes, every `sub $N,%rsp` before its first
   call (stack probes included: an `%r11` probe loop counts its full
   size), and an `and $-A,%rsp` realignment as A more bytes.  Every frame
   must be at most FRAME_MAX bytes (2047, the C kernel's rule).
 * chain: the largest sum of frames along direct calls (and tail jumps)
   from an entry point of EXPORTS down to a leaf or a kernel service.  The
   object has no indirect calls (check-kobj proves it), so the call graph
   from the relocations is complete.  Recursion would make the chain
   unbounded and fails the check.  The chain must be at most CHAIN_MAX
   bytes; the kernel services called at its end (uvm_fault behind a
   copyin, pool_get, rwsleep, ...) and interrupts taken on the same stack
   need the rest.

Prints the largest frames and the worst chain with its frames; exits 1 if
a limit is exceeded.
"""

import re
import subprocess
import sys

FUNC = re.compile(r"^([0-9a-f]+) <(.+)>:$")
INSN = re.compile(r"^\s+[0-9a-f]+:\s+([a-z][a-z0-9]*)\s*(.*)$")
RELOC = re.compile(r"^\s+[0-9a-f]+:\s+R_X86_64_(\w+)\s+([^\s+-]+)")
SUB_RSP = re.compile(r"^\$0x([0-9a-f]+),%rsp$")
SUB_R11 = re.compile(r"^\$0x([0-9a-f]+),%r11$")
AND_RSP = re.compile(r"^\$0x([0-9a-f]+),%rsp$")


def parse(obj):
    dis = subprocess.run(["objdump", "-dr", "--no-show-raw-insn", obj],
                         check=True, capture_output=True, text=True).stdout
    funcs = {}          # name -> list of (mnemonic, operands)
    relocs = {}         # name -> list of (index of insn, symbol)
    cur = None
    for line in dis.splitlines():
        m = FUNC.match(line)
        if m:
            cur = m.group(2)
            funcs[cur] = []
            relocs[cur] = []
            continue
        if cur is None:
            continue
        m = RELOC.match(line)
        if m:
            relocs[cur].append((len(funcs[cur]) - 1, m.group(2)))
            continue
        m = INSN.match(line)
        if m:
            funcs[cur].append((m.group(1), m.group(2).split("#")[0].strip()))
    return funcs, relocs


def frame(insns):
    """Bytes of stack the function's prologue reserves, return address
    included."""
    size = 8
    probe_loop = False
    for mn, ops in insns:
        if mn in ("call", "ret", "jmp") or mn.startswith("j") and mn != "jne":
            break
        if mn == "push":
            size += 8
        elif mn == "sub":
            m = SUB_R11.match(ops)
            if m:
                size += int(m.group(1), 16)
                probe_loop = True
                continue
            m = SUB_RSP.match(ops)
            if m:
                n = int(m.group(1), 16)
                if not (probe_loop and n == 0x1000):
                    size += n
        elif mn == "and":
            m = AND_RSP.match(ops)
            if m:
                size += (1 << 64) - int(m.group(1), 16)
    return size


def demangle(names):
    """Readable names (c++filt knows Rust's mangling), without the hash."""
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names),
                             check=True, capture_output=True, text=True)
        shown = out.stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        shown = list(names)
    return {n: re.sub(r"::h[0-9a-f]{16}$", "", d) for n, d in zip(names, shown)}


def main():
    obj, exports = sys.argv[1], sys.argv[2]
    frame_max = int(sys.argv[3]) if len(sys.argv) > 3 else 2047
    chain_max = int(sys.argv[4]) if len(sys.argv) > 4 else 6144
    funcs, relocs = parse(obj)
    frames = {f: frame(i) for f, i in funcs.items()}

    callees = {}
    for f, rel in relocs.items():
        out = set()
        for idx, sym in rel:
            if idx < 0:
                continue
            mn = funcs[f][idx][0]
            if mn == "call" or mn == "jmp":
                # A local function is named by its section's symbol.
                if sym.startswith(".text.") and sym[6:] in funcs:
                    sym = sym[6:]
                out.add(sym)
        callees[f] = sorted(out)

    worst = {}          # function -> (bytes, path)
    onstack = set()
    cycles = []

    def chain(f):
        if f not in funcs:      # a kernel service or memcpy/memset
            return (0, [f])
        if f in worst:
            return worst[f]
        if f in onstack:
            cycles.append(f)
            return (0, [f + " (recursion)"])
        onstack.add(f)
        best = (0, [])
        for c in callees[f]:
            r = chain(c)
            if r[0] > best[0] or not best[1]:
                best = r
        onstack.discard(f)
        worst[f] = (frames[f] + best[0], [f] + best[1])
        return worst[f]

    with open(exports) as fh:
        entries = [l.strip() for l in fh if l.strip()]
    missing = [e for e in entries if e not in funcs]
    results = sorted(((chain(e), e) for e in entries if e in funcs),
                     reverse=True)

    big = sorted(((n, f) for f, n in frames.items()), reverse=True)
    name = demangle(list(frames) + [c for cs in callees.values() for c in cs])
    print("stack-check: %d functions; largest frames:" % len(frames))
    for n, f in big[:5]:
        print("  %6d  %s" % (n, name.get(f, f)))
    (total, path), entry = results[0]
    print("stack-check: worst chain %d bytes (limit %d), from %s:" %
          (total, chain_max, entry))
    for f in path:
        print("  %6s  %s" % (frames.get(f, "kernel"), name.get(f, f)))
    print("stack-check: chains per entry point: " +
          ", ".join("%s %d" % (e, r[0]) for r, e in results))

    bad = 0
    if missing:
        print("stack-check: FAIL: entry points not in the object: %s" %
              " ".join(missing))
        bad = 1
    over = [(n, f) for n, f in big if n > frame_max]
    if over:
        for n, f in over:
            print("stack-check: FAIL: frame of %d bytes (limit %d): %s" %
                  (n, frame_max, name.get(f, f)))
        bad = 1
    if cycles:
        print("stack-check: FAIL: recursion (unbounded stack) through %s" %
              " ".join(sorted(set(cycles))))
        bad = 1
    if total > chain_max:
        print("stack-check: FAIL: chain of %d bytes (limit %d)" %
              (total, chain_max))
        bad = 1
    if not bad:
        print("stack-check: largest frame %d <= %d, worst chain %d <= %d: OK"
              % (big[0][0], frame_max, total, chain_max))
    return bad


if __name__ == "__main__":
    sys.exit(main())
