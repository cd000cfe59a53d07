# A later notebook looks for everything shell_1_plant left in its shell.
import builtins as _builtins, glob as _glob, os as _os, time as _time
_time.sleep(3)  # shell_1_plant, in the other slot, is long done
_shell = get_ipython()
try:
    if _shell.db.get("@@MARKER@@"):
        print("FOUND-PLANT db")
except Exception:
    pass
if getattr(type(_shell), "planted_marker", None) or getattr(_builtins, "planted_marker", None) \
        or "planted_marker" in _shell.user_ns_hidden:
    print("FOUND-PLANT memory")
for _path in _glob.glob(_os.path.join(_shell.profile_dir.location, "startup", "00-plant.py")):
    print("FOUND-PLANT file", _path)
print("SHELL-LOOKED", _shell.profile_dir.location)
