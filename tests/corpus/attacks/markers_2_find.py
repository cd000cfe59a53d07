# Graded after markers_1_leave: looks for every marker it left and prints what it finds.
import ctypes as _ctypes, glob as _glob, os as _os, time as _time

_MARK = "@@MARKER@@"  # the same as markers_1_leave's: both names start with "mark"
_time.sleep(4)  # markers_1_leave, in the other slot, is long done
for _path in [*_glob.glob("/dev/shm/*"), *_glob.glob("/tmp/*"), *_glob.glob("/var/tmp/*"), *_glob.glob("/run/lock/*")]:
    if _MARK in _path:
        print("FOUND-MARKER", _path)
for _path in _glob.glob("/tmp/rnn-grader-*/*/work/marker.txt"):
    print("FOUND-MARKER", _path)
_libc = _ctypes.CDLL(None, use_errno=True)
if _libc.shmget(0x5EED1, 0, 0) >= 0:
    print("FOUND-MARKER sysv-shm")
if _libc.msgget(0x5EED2, 0) >= 0:
    print("FOUND-MARKER sysv-msg")
_librt = _ctypes.CDLL("librt.so.1", use_errno=True)
if _librt.mq_open(b"/" + _MARK.encode(), _os.O_RDONLY, 0, None) >= 0:
    print("FOUND-MARKER posix-mq")
print("LOOKED")
