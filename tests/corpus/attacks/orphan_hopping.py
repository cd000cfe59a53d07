import ctypes, os, time
# One process at a time: each generation forks its successor and exits (no fork bomb).
if os.fork() == 0:
    os.setsid()
    ctypes.CDLL(None).prctl(15, b"@@MARKER@@", 0, 0, 0)
    deadline = time.time() + 120
    while time.time() < deadline:
        if os.fork() != 0:
            os._exit(0)
        time.sleep(0.002)
    os._exit(0)
