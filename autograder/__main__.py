import atexit
import gc
import os
import sys
import threading

from .cli import main

status = main()
code = 0 if status is None else status if isinstance(status, int) else 1
# The run is over and every file is written. With torch loaded, the interpreter's teardown (every
# module's objects freed one by one, then the last collections) takes a tenth of a second or more.
# When nothing else runs, skip it: the exit handlers run and the streams are flushed first, as in a
# normal exit. Otherwise (a Dask client's threads) leave the normal way, without the collections.
if threading.active_count() == 1:
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # what the interpreter answers when it cannot flush at exit
    os._exit(code)
gc.freeze()
sys.exit(status)
