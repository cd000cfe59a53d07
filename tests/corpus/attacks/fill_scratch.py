# Writes as much as it can into every writable place (each file under the 16 MiB file cap).
import os
written = 0
for number, folder in enumerate([os.getcwd(), os.environ.get("TMPDIR", "/tmp"), "/tmp", "/dev/shm", "/var/tmp"]):
    for index in range(64):
        try:
            with open(os.path.join(folder, f"fill-{number}-{index}.bin"), "wb") as handle:
                handle.write(b"\0" * (10 << 20))
            written += 10
        except OSError:
            break
print("WROTE-MB", written)
