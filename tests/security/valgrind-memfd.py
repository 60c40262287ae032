#!/usr/bin/env python3
# valgrind-memfd.py BINARY VALGRIND-ARGS... -- ARGS...: run BINARY under
# valgrind as a sealed memfd copy (see valgrind.sh).
import os, sys, fcntl
# run valgrind on a sealed memfd copy of the binary: brig sees an already
# sealed /proc/self/exe and does not re-exec (the production path)
exe = sys.argv[1]
fd = os.memfd_create("brig", os.MFD_ALLOW_SEALING)
with open(exe, "rb") as f:
    os.write(fd, f.read())
fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
os.set_inheritable(fd, True)
vg = sys.argv[2:sys.argv.index("--")]
args = sys.argv[sys.argv.index("--") + 1:]
os.execvp(vg[0], vg + ["/proc/self/fd/%d" % fd] + args)
