import os, sys, ctypes
def _daemon(marker):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            try:
                ctypes.CDLL(None).prctl(15, marker.encode(), 0, 0, 0)  # PR_SET_NAME
            except Exception:
                pass
            try:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", marker])
            except Exception:
                import time
                time.sleep(300)
            os._exit(0)
        os._exit(0)
    os.wait()
_daemon("@@MARKER@@")
