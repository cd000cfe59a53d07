# A notebook cell that plants what a shared IPython shell would carry to a later notebook: its
# database, a startup file in its profile, its history, the shell class and the builtins.
import builtins as _builtins, os as _os
_shell = get_ipython()
try:
    _shell.db["@@MARKER@@"] = "PLANTED"
    print("PLANTED db")
except Exception as _exc:
    print("could not plant db", type(_exc).__name__)
try:
    _startup = _os.path.join(_shell.profile_dir.location, "startup")
    _os.makedirs(_startup, exist_ok=True)
    with open(_os.path.join(_startup, "00-plant.py"), "w") as _h:
        _h.write("print('FOUND-PLANT startup')\n")
    print("PLANTED startup", _startup)
except Exception as _exc:
    print("could not plant startup", type(_exc).__name__)
type(_shell).planted_marker = "@@MARKER@@"
_builtins.planted_marker = "@@MARKER@@"
_shell.user_ns_hidden["planted_marker"] = "@@MARKER@@"
