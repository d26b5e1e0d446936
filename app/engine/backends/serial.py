"""The serial backend: no pool, one task after another, the baseline every speedup needs.

It runs in a child process (see `hosted`) so that, like the other backends, it never takes
the window's GIL, and Stop ends it at once.
"""

from __future__ import annotations

from app.engine.backends.hosted import HostedBackend


class SerialBackend(HostedBackend):
    name = "serial"
    aliases = ("sequential", "none")
    label = "serial"
    tip = "No pool: one task after another in one thread, the baseline"
    one_worker = True
    threads_in_host = False

    @classmethod
    def describe(cls, config) -> str:
        return "serially, one task at a time"


BACKEND = SerialBackend
