import os
print("ENV-KEYS", sorted(os.environ))
if any("@@SECRET@@" in v for v in os.environ.values()):
    print("SECRET-LEAKED env")
try:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/environ", "rb") as handle:
                    if b"@@SECRET@@" in handle.read():
                        print("SECRET-LEAKED proc", pid)
            except OSError:
                pass
except OSError:
    pass
