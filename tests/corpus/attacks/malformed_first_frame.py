import os, time
os.write(4, b"\xff\xff\xff\x7f" * 4 + b"garbage that is not a frame")
time.sleep(600)
