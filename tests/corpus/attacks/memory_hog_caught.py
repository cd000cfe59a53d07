try:
    hog = bytearray(50 * 10**9)
except MemoryError:
    print("MEMORY LIMIT HELD")
