"""The fork server: a process that has paid for ``import torch`` and nothing else.

The grading process starts it before it loads the reference solution or the
hidden checks, so a worker forked from it holds neither in memory. The zygote
is also a child subreaper: every process a submission starts, orphans and
``setsid`` daemons included, ends up as its child, and ``kill`` sweeps them all.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from dataclasses import asdict

from . import isolation, worker

MAX_MESSAGE = 1 << 16


def warm_up() -> None:
    """Import what student code and the probes use, once, before any fork."""
    import numpy  # noqa: F401 - preloaded for student code
    import torch

    from .. import harness, probes  # noqa: F401 - the worker's own code, preloaded
    from . import protocol

    torch.set_num_threads(1)
    # The first optimizer imports torch._dynamo (about a second): pay it here, once.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    protocol.decode_tensors(protocol.encode_tensors({"x": torch.zeros(1)}))


class Zygote:
    """The grading process's handle on its fork server."""

    def __init__(self) -> None:
        warm_up()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:  # the zygote
            try:
                ours.close()
                _serve(theirs)
            finally:
                os._exit(0)
        theirs.close()
        self.pid, self.sock = pid, ours

    def _call(self, message: dict, fds: list[int] | None = None) -> dict:
        data = json.dumps(message).encode()
        if fds:
            socket.send_fds(self.sock, [data], fds)
        else:
            self.sock.sendall(data)
        reply = self.sock.recv(MAX_MESSAGE)
        if not reply:
            raise RuntimeError("the fork server died")
        return json.loads(reply)

    def spawn(self, confinement: isolation.Confinement, request_fd: int, response_fd: int,
              out_fd: int) -> int:
        return self._call({"cmd": "spawn", "confinement": asdict(confinement)},
                          [request_fd, response_fd, out_fd])["pid"]

    def kill_all(self) -> int:
        return self._call({"cmd": "kill"})["killed"]

    def close(self) -> None:
        try:
            self._call({"cmd": "exit"})
        except (OSError, RuntimeError, ValueError):
            pass
        self.sock.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _serve(sock: socket.socket) -> None:
    isolation.become_subreaper()
    isolation.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
        except OSError:
            data, fds = b"", []
        if not data:
            isolation.kill_all_children()
            return
        message = json.loads(data)
        if message["cmd"] == "spawn":
            pid = os.fork()
            if pid == 0:
                sock.close()
                confinement = isolation.Confinement(**message["confinement"])
                worker.main(fds[0], fds[1], fds[2], confinement)
            for fd in fds:
                os.close(fd)
            sock.sendall(json.dumps({"pid": pid}).encode())
        elif message["cmd"] == "kill":
            sock.sendall(json.dumps({"killed": isolation.kill_all_children()}).encode())
        elif message["cmd"] == "exit":
            isolation.kill_all_children()
            sock.sendall(b'{"bye": true}')
            return
