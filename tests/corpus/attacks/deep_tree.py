# A folder tree 3,000 levels deep in every writable place: a recursive clean-up gives up on it.
import os as _os

for _base in [_os.getcwd(), "/tmp", "/var/tmp", "/dev/shm"]:
    try:
        _fd = _os.open(_base, _os.O_RDONLY)
        _os.mkdir("@@MARKER@@-deep", dir_fd=_fd)
        _here = _os.open("@@MARKER@@-deep", _os.O_RDONLY, dir_fd=_fd)
        _os.close(_fd)
        for _ in range(3000):
            _os.mkdir("d", dir_fd=_here)
            _next = _os.open("d", _os.O_RDONLY, dir_fd=_here)
            _os.close(_here)
            _here = _next
        _os.close(_here)
        print("DEEP-TREE", _base)
    except OSError as _exc:
        print("DEEP-TREE-REFUSED", _base, _exc.errno)
