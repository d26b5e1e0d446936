"""SIGTERM and Ctrl+C (SIGINT) close the window the way Quit does: the run stops, its workers
go, and the app exits with 128 + the signal's number (143 for SIGTERM, 130 for Ctrl+C).

Python runs a signal handler only between bytecodes, and Qt's event loop may wait in C for a
long time. So the signal's number is written to a socket (`signal.set_wakeup_fd`) that a
QSocketNotifier watches: Qt wakes at once and the window is closed from the event loop, where
closing it is safe.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable, Iterator

from PySide6.QtCore import QSocketNotifier

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


@contextlib.contextmanager
def close_on_signals(close: Callable[[], None]) -> Iterator[Callable[[], int | None]]:
    """While inside, SIGINT and SIGTERM call `close()` from the Qt event loop.

    Yields a function that returns the exit code the first signal asks for (128 + its
    number), or None if none came. On leaving, the previous handlers are put back.
    """
    receiver, sender = socket.socketpair()
    for end in (receiver, sender):
        end.setblocking(False)
    received: list[int] = []

    def on_wakeup() -> None:
        with contextlib.suppress(OSError):
            for number in receiver.recv(64):
                if number in SIGNALS:
                    received.append(number)
        if received:
            close()

    notifier = QSocketNotifier(receiver.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(on_wakeup)
    # The handler itself does nothing: installing it keeps Python from the default action (an
    # immediate exit for SIGTERM, KeyboardInterrupt for SIGINT). The work is in on_wakeup.
    previous = {number: signal.signal(number, lambda *_: None) for number in SIGNALS}
    previous_fd = signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
    try:
        yield lambda: 128 + received[0] if received else None
    finally:
        signal.set_wakeup_fd(previous_fd)
        for number, handler in previous.items():
            signal.signal(number, handler)
        notifier.setEnabled(False)
        receiver.close()
        sender.close()
