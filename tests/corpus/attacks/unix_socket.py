import socket
try:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect("@@SOCKET@@")
    client.sendall(b"stolen")
    print("UNIX-CONNECTED")
except OSError as exc:
    print("no unix socket", type(exc).__name__, exc)
