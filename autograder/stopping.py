"""A stop asked for by a signal, remembered until the run acts on it.

SIGINT (Ctrl-C), SIGTERM (timeout(1), CI limits) and SIGHUP (a closed terminal)
stop a run as Ctrl-C does: workers killed, results kept, summaries written. The
handler raises in the main thread at once; but an exception raised there can be
lost (a bare ``except:`` in a library being imported, a ``__del__`` that was
running), so the signal is also remembered, and the run's waiting loops call
:func:`check`, which raises it again. Only the first signal raises: more of them
must not cut the clean-up short. A signal the process was started ignoring stays
ignored (``nohup``: SIGHUP; a shell's background job: SIGINT).
"""

from __future__ import annotations

import signal

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled as Ctrl-C is."""


received: list[int] = []


def _stop(signum: int) -> KeyboardInterrupt:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


def _on_signal(signum, frame) -> None:
    received.append(signum)
    if len(received) == 1:
        raise _stop(signum)


def install() -> None:
    """Handle each of :data:`SIGNALS` this process was not started ignoring (main thread only)."""
    for signum in SIGNALS:
        if signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, _on_signal)


def check() -> None:
    """Raise the stop a signal asked for, if one did (again, wherever the first was lost)."""
    if received:
        raise _stop(received[0])
