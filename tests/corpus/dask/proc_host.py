# Read the Dask worker that hosts this sandbox through /proc: its environment, command line,
# memory map and open files, looking for the worker's own secrets.
import os

_found, _readable = [], 0
for _pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for _part in ("environ", "cmdline", "maps", "status"):
        try:
            with open(f"/proc/{_pid}/{_part}", "rb") as _f:
                _data = _f.read(1 << 20)
            _readable += 1
            if b"@@CANARY@@" in _data:
                _found.append(f"{_pid}/{_part}")
        except OSError:
            pass
    try:
        for _fd in os.listdir(f"/proc/{_pid}/fd"):
            _target = os.readlink(f"/proc/{_pid}/fd/{_fd}")
            if "dask" in _target or "socket" in _target and _pid != str(os.getpid()):
                _found.append(f"fd {_pid}/{_fd} {_target}")
    except OSError:
        pass
print("PROC readable", _readable, "ENVIRON-LEAK" if any("environ" in f for f in _found) else "no leak",
      " ".join(_found[:10]))
