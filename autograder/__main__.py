import gc
import sys

from .cli import main

status = main()
# The run is over and every file is written. With torch loaded, the interpreter's last garbage
# collections take most of a second; what is alive now lives until exit anyway, so skip them.
gc.freeze()
sys.exit(status)
