# Connect to the Dask scheduler, the worker and its nanny on their listening ports (as the worker
# would: then submit code that runs outside the sandbox).
import socket

for _port in @@PORTS@@:
    for _family, _host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(_family, socket.SOCK_STREAM) as _s:
                _s.settimeout(2)
                _s.connect((_host, _port))
            print("CONNECTED", _host, _port)
        except OSError as _exc:
            print("no connection", _port, type(_exc).__name__)
