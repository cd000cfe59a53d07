try:
    with open("huge.bin", "wb") as handle:
        for _ in range(1024):
            handle.write(b"\0" * (1 << 20))
except OSError as exc:
    print("FILE-LIMIT-ERRNO", exc.errno)
