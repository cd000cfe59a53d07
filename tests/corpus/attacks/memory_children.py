# Four processes that each take 300 MB: under a 512 MB cap for all of them together, they cannot all.
import os, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(300 * 2**20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(30)
        except MemoryError:
            pass
        os._exit(0)
    children.append(pid)
time.sleep(3)
print("CHILDREN-ALIVE", sum(1 for pid in children if os.waitpid(pid, os.WNOHANG) == (0, 0)))
