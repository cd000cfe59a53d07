import os, sys
print("SYS-PATH", sys.path)
for path in ["@@CWD@@", "@@CWD@@/secret.txt", "/proc/1/cwd", f"/proc/{os.getppid()}/cwd", "@@ROOT@@", "@@ROOT@@/README.md"]:
    try:
        if os.path.isdir(path):
            entries = os.listdir(path)
            if "secret.txt" in entries or "README.md" in entries:
                print("LEAK listed", path, entries[:5])
        else:
            with open(path) as handle:
                text = handle.read()
            if "@@SECRET@@" in text or "autograded" in text:
                print("LEAK read", path)
    except OSError as exc:
        print("refused", path, type(exc).__name__)
