import socket
for host in ["127.0.0.1", "localhost"]:
    try:
        with socket.create_connection((host, @@PORT@@), timeout=2) as conn:
            conn.sendall(b"stolen")
        print("CONNECTED", host)
    except OSError as exc:
        print("no network", host, type(exc).__name__)
