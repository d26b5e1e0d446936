"""The multiprocessing context a run's workers are started with.

A terminal's Ctrl+C goes to every process in its foreground group. A spawned worker is a fresh
interpreter that spends its first tens of milliseconds starting up, before any of our code can
tell it to ignore Ctrl+C: hit Ctrl+C then, and every starting worker prints a KeyboardInterrupt
traceback. So on POSIX, spawned workers start in a session of their own (`posix_spawn` with
`setsid`, the fds multiprocessing passes made inheritable in the child only): Ctrl+C reaches the
parent alone, which stops the run and kills its workers. Workers still die with the parent
however it ends (see `worker.die_with_parent`).

Forked workers need none of this: they start with SIGINT blocked (see `Supervisor.run`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import multiprocessing.util
import os
import threading

_launching = threading.Lock()  # one launch at a time holds the swapped spawn function


def context(start_method: str) -> multiprocessing.context.BaseContext:
    """The context to start workers with: spawn in a session of its own where it can be."""
    if start_method == "spawn" and _NEW_SESSION_POSSIBLE:
        return _SESSION_SPAWN_CONTEXT
    return multiprocessing.get_context(start_method)


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now, where the OS has one (POSIX).

    Every run of spawned or forkserver workers needs it: multiprocessing starts it with the
    first named semaphore (a Pool's lock) to unlink them all should this process die. It is a
    fresh interpreter, some 35 ms of CPU to start. Started when the engine is imported, it
    starts on a core that is otherwise idle while a script or the window imports and gets
    ready, instead of competing with the run's own workers as they start (a cold run of
    200,000 tiny tasks on 2 cores ends about 9 ms sooner). Should it fail here, the first
    run starts it as usual, and says so if it cannot.
    """
    if os.name != "posix":
        return
    from multiprocessing import resource_tracker

    with contextlib.suppress(OSError):
        resource_tracker.ensure_running()


def _spawnv_passfds_in_new_session(path, args, passfds) -> int:
    """`multiprocessing.util.spawnv_passfds`, with the child in a new session."""
    passfds = sorted(map(int, passfds))
    # dup2(fd, fd) in the child clears close-on-exec there only (POSIX).
    actions = [(os.POSIX_SPAWN_DUP2, fd, fd) for fd in passfds]
    try:
        return os.posix_spawn(path, list(args), os.environ, file_actions=actions, setsid=True)
    except NotImplementedError:  # an OS whose posix_spawn cannot start a session
        return _PLAIN_SPAWNV_PASSFDS(path, args, passfds)


_PLAIN_SPAWNV_PASSFDS = multiprocessing.util.spawnv_passfds


@contextlib.contextmanager
def _new_session_spawning():
    with _launching:
        multiprocessing.util.spawnv_passfds = _spawnv_passfds_in_new_session
        try:
            yield
        finally:
            multiprocessing.util.spawnv_passfds = _PLAIN_SPAWNV_PASSFDS


_NEW_SESSION_POSSIBLE = os.name == "posix" and hasattr(os, "posix_spawn")

if _NEW_SESSION_POSSIBLE:
    from multiprocessing import popen_spawn_posix

    class _NewSessionPopen(popen_spawn_posix.Popen):
        def _launch(self, process_obj) -> None:
            with _new_session_spawning():
                super()._launch(process_obj)

    class SpawnProcess(multiprocessing.context.SpawnProcess):
        """Named as multiprocessing names its own: workers read SpawnPoolWorker-1."""

        @staticmethod
        def _Popen(process_obj):  # noqa: N802 (multiprocessing's name)
            return _NewSessionPopen(process_obj)

    class _SessionSpawnContext(multiprocessing.context.SpawnContext):
        Process = SpawnProcess

    _SESSION_SPAWN_CONTEXT = _SessionSpawnContext()
