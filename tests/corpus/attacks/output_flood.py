import sys
for _ in range(200):
    sys.stdout.write("x" * (1 << 20))
sys.stdout.flush()
