import os
for fd in range(3, 1024):
    try:
        os.fstat(fd)
    except OSError:
        continue
    print("OPEN-FD", fd, os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else "")
    try:
        os.lseek(fd, 0, 0)
        if b"@@SECRET@@" in os.read(fd, 4096):
            print("SECRET-LEAKED fd", fd)
    except OSError:
        pass
    if fd > 4:  # 3 and 4 are this worker's own pipes to the judge
        try:
            os.write(fd, b"overwritten by a student")
            print("WROTE-FD", fd)
        except OSError:
            pass
