"""The thread backend: a `multiprocessing.pool.ThreadPool` of threads that share one GIL.

The threads run in a child process of their own (see `hosted`), exactly like a student's
script that starts a ThreadPool: one interpreter, one GIL. The window's own GIL is not theirs,
so CPU-bound threads never freeze the window.
"""

from __future__ import annotations

from app.engine.backends.hosted import HostedBackend


class ThreadPoolBackend(HostedBackend):
    name = "thread"
    aliases = ("threads", "threadpool")
    label = "threads"
    tip = "multiprocessing.pool.ThreadPool: threads of one process, sharing one GIL"
    can_kill_workers = True  # kills their process: a thread cannot be killed alone
    threads_in_host = True


BACKEND = ThreadPoolBackend
