# Tries what only root could do to the host, and says what worked.
import os, ctypes
attempts = {
    "chmod": lambda: os.chmod("@@ROOT_CANARY@@", 0o4777),
    "chown": lambda: os.chown("@@ROOT_CANARY@@", os.getuid(), os.getgid()),
    "setuid": lambda: os.setuid(0),
    "unshare": lambda: ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0 or (_ for _ in ()).throw(OSError()),
    "mknod": lambda: os.mknod("dev-null", 0o20666, os.makedev(1, 3)),
    "write-etc": lambda: open("/etc/rnn-owned", "w").write("x"),
}
for name, attempt in attempts.items():
    try:
        attempt()
        print("PRIVILEGED", name)
    except Exception as exc:
        print("refused", name, type(exc).__name__)
with open("/proc/self/status") as status:
    print([line.strip() for line in status if line.startswith(("Uid", "CapEff", "CapBnd", "NoNewPrivs", "Seccomp"))])
