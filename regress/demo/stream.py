#!/usr/bin/env python3
"""Show a testbed run of the guest monitor live: the guest's console as it
comes (from the testbed's serial log), a one-line status below it while the
emulator runs (on a terminal), and the monitor's report at the end.

    stream.py LOG PID LABEL

LOG is the serial log the emulator writes, PID the process running the
emulator (the stream ends when it does), LABEL the machine and guest for
the status line.  Nothing here decides success: demo.sh does, from the log.
"""

import os
import sys
import time

# Testbed lines that are not the guest's or the monitor's: kept out of the
# stream (the summary shows what matters of them).
QUIET = ("# module ", "# memory:", "# kmem:", "# kernel stack use",
         "# clock:", "# running ", "# leak check", "1..", "ok ", "not ok ",
         "TESTBED:", "# 1 passed", "# 0 passed")


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def main():
    log, pid, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    tty = sys.stdout.isatty()
    t0 = time.monotonic()
    lines = 0
    status_shown = False
    buf = b""
    f = None

    def status(final=False):
        nonlocal status_shown
        if not tty:
            return
        s = "[%4d s] %s: %d console lines%s" % (
            time.monotonic() - t0, label, lines,
            "" if final else " ...")
        sys.stdout.write("\r\033[K\033[7m" + s + "\033[0m")
        sys.stdout.flush()
        status_shown = True

    def show(text):
        nonlocal status_shown
        if status_shown:
            sys.stdout.write("\r\033[K")
            status_shown = False
        sys.stdout.write(text + "\n")

    last_status = 0.0
    while True:
        running = alive(pid)
        if f is None and os.path.exists(log):
            f = open(log, "rb")
        chunk = f.read() if f is not None else b""
        if chunk:
            buf += chunk
            *done, buf = buf.split(b"\n")
            for raw in done:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if not line or line.startswith(QUIET):
                    continue
                if line.startswith("# "):
                    line = line[2:]
                    if not line.startswith(("vmon:", "testbed:", "cpu:")):
                        lines += 1
                show(line)
            sys.stdout.flush()
        if not running and not chunk:
            break
        now = time.monotonic()
        if now - last_status >= 0.5:
            status()
            last_status = now
        if not chunk:
            time.sleep(0.1)
    if status_shown:
        sys.stdout.write("\r\033[K")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
