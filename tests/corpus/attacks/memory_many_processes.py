# Forty processes of 110 MiB each: no process is over any per-process limit, the user's total is.
import os as _os, time as _time

_children = []
for _ in range(40):
    try:
        _pid = _os.fork()
    except OSError:
        break
    if _pid == 0:
        try:
            _block = bytearray(110 * 2**20)
            for _i in range(0, len(_block), 4096):
                _block[_i] = 1
            _time.sleep(20)
        except MemoryError:
            pass
        _os._exit(0)
    _children.append(_pid)
_time.sleep(5)
print("MANY-ALIVE", sum(1 for _pid in _children if _os.waitpid(_pid, _os.WNOHANG) == (0, 0)))
