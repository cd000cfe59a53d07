import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "@@MARKER@@"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen(["sleep", "300"], start_new_session=True)
_step = training_step
def training_step(*args, **kwargs):
    subprocess.Popen(["sh", "-c", "sleep 300; echo @@MARKER@@"], start_new_session=True)
    return _step(*args, **kwargs)
