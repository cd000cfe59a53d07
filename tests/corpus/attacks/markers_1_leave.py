# Leaves a marker, readable by anyone, everywhere it can: its scratch folder opened to all, the
# shared-memory and temporary folders, System V shared memory and message queues, a POSIX message
# queue. markers_2_find, graded after it, looks for each one.
import ctypes as _ctypes, os as _os

_MARK = "@@MARKER@@"
_os.umask(0)
try:
    _os.chmod(_os.getcwd(), 0o777)
    with open("marker.txt", "w") as _h:
        _h.write(_MARK)
    print("LEFT scratch", _os.getcwd())
except OSError as _exc:
    print("REFUSED scratch", _exc.errno)
for _folder in ("/dev/shm", "/tmp", "/var/tmp", "/run/lock", "/var/lock"):
    try:
        with open(f"{_folder}/{_MARK}-marker.txt", "w") as _h:
            _h.write(_MARK)
        _os.chmod(f"{_folder}/{_MARK}-marker.txt", 0o644)
        print("LEFT", _folder)
    except OSError as _exc:
        print("REFUSED", _folder, _exc.errno)
_libc = _ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = _ctypes.c_void_p
_shm = _libc.shmget(0x5EED1, 1 << 20, 0o1666)  # IPC_CREAT | 0666
if _shm >= 0:
    _addr = _libc.shmat(_shm, None, 0)
    if _addr not in (None, _ctypes.c_void_p(-1).value):
        _ctypes.memmove(_addr, _MARK.encode(), len(_MARK))
    print("LEFT sysv-shm")
else:
    print("REFUSED sysv-shm", _ctypes.get_errno())
_msq = _libc.msgget(0x5EED2, 0o1666)
print("LEFT sysv-msg" if _msq >= 0 else f"REFUSED sysv-msg {_ctypes.get_errno()}")
_librt = _ctypes.CDLL("librt.so.1", use_errno=True)
_mq = _librt.mq_open(b"/" + _MARK.encode(), _os.O_CREAT | _os.O_RDWR, 0o666, None)
print("LEFT posix-mq" if _mq >= 0 else f"REFUSED posix-mq {_ctypes.get_errno()}")
