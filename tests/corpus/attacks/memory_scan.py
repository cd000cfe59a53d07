# Searches this process's whole memory for a classmate's name and the cohort's folder name.
# Each needle is kept in two halves, so the search itself never puts it in memory whole.
import ctypes
found = set()
needles = [(b"@@CLASSMATE_A@@", b"@@CLASSMATE_B@@"), (b"@@COHORT_A@@", b"@@COHORT_B@@")]
with open("/proc/self/maps") as maps:
    regions = [line.split() for line in maps]
for fields in regions:
    start, end = (int(x, 16) for x in fields[0].split("-"))
    if "r" not in fields[1] or (len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]", "[vvar_vclock]")):
        continue
    # in slices of 16 MiB (overlapping by a needle), so that a large mapping (a CUDA build of
    # torch maps gigabytes) is searched without copying it whole into memory
    for at in range(start, end, 16 << 20):
        try:
            data = ctypes.string_at(at, min(end, at + (16 << 20) + 64) - at)
        except Exception:
            break
        for head, tail in needles:
            index = data.find(head)
            while index >= 0:
                if data[index + len(head):index + len(head) + len(tail)] == tail:
                    found.add(len(head) + len(tail))
                    break
                index = data.find(head, index + 1)
print("MEMORY-SCAN", "FOUND " + " ".join(map(str, sorted(found))) if found else "clean")
