import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "@@MARKER@@"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen(["sleep", "300"], start_new_session=True)
_step = training_step
_spawned = []
def training_step(*args, **kwargs):
    if not _spawned:  # one more daemon, started while a check runs
        _spawned.append(subprocess.Popen(["sh", "-c", "sleep 300; echo @@MARKER@@"], start_new_session=True))
    return _step(*args, **kwargs)
