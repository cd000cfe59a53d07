# A chain of forking processes that tries to outrun any kill loop: each process forks two
# children and exits at once, for two minutes.
import os, time, ctypes
if os.fork() == 0:
    os.setsid()
    ctypes.CDLL(None).prctl(15, b"@@MARKER@@", 0, 0, 0)
    deadline = time.time() + 120
    while time.time() < deadline:
        for _ in range(2):
            try:
                if os.fork() == 0:
                    break
            except OSError:
                time.sleep(0.01)
        else:
            os._exit(0)
    os._exit(0)
time.sleep(0.5)
