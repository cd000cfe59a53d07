# Plants links and files where a careless setup would act as root, then crashes inside a check
# so that a fresh worker has to be started.
import os
for name, target in [("work", "@@ROOT_CANARY@@"), (".stage", "@@ROOT_CANARY@@"), ("rnn.py", "@@ROOT_CANARY@@"),
                     ("escape", "/")]:
    for folder in [os.getcwd(), os.path.dirname(os.getcwd())]:
        try:
            os.symlink(target, os.path.join(folder, name + "-link"))
            open(os.path.join(folder, name), "w").close()
        except OSError:
            pass
_step = training_step
def training_step(*args, **kwargs):
    os._exit(3)
