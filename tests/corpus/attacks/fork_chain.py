# A chain of forking processes that tries to outrun any kill loop: each process forks two
# children (retrying until it can) and exits at once, for two minutes; the chain never dies out.
import os, time, ctypes
if os.fork() == 0:
    os.setsid()
    ctypes.CDLL(None).prctl(15, b"@@MARKER@@", 0, 0, 0)
    deadline = time.time() + 120
    while time.time() < deadline:
        born = 0
        child = False
        while born < 2 and time.time() < deadline:
            try:
                if os.fork() == 0:
                    child = True
                    break
                born += 1
            except OSError:
                time.sleep(0.005)
        if not child:
            os._exit(0)
    os._exit(0)
time.sleep(0.5)
