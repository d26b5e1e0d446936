"""The engine: runs a workload on a pool (or threads, or serially) and reports every task.

Public API: `RunConfig` describes a run, `Run` executes it (`start`, `poll`, `stop`), and
`app.engine.records` holds what it reports. No Qt here: the CLI and the window share it.

Who sends what to whom (one run; `messages.py` names every message)::

    caller (window timer, CLI loop)        supervisor thread             worker processes
    -------------------------------        -----------------             ----------------
    Run.start() ----------------------->   opens the backend ---------->  init: Hello
                                           cuts chunks, submits ------->  execute_chunk()
    Run.poll(): ChannelReader  <----------------- channel (Queue) -------  Hello, Report
      Ledger.take(): each result once                                      (atomic pieces)
      -> records (Segment, TaskFailed...)  <- Ack / ChunkError ----------  chunk done
    notices: WorkerStuck, WorkerDied,  <-  watches /proc and exit codes;
      PoolRestarted, SupervisorDone        on a death: dispose, open anew, requeue
    Run.stop() ----------------------->    kills every worker, disposes

Files: `run.py` (the public Run), `supervisor.py` (chunks in flight, stuck and dead
workers), `ledger.py` (the books), `backends/` (one module per way of running chunks:
Pool processes, threads, serial, ProcessPoolExecutor, Dask; and their registry), `worker.py`,
`host.py` and `remote.py` (what runs in the workers: local processes, a thread or serial host,
a Dask worker), `executor_process.py` (ProcessPoolExecutor's workers), `channel.py` (reading
reports fast), `slot_table.py` (which worker took which chunk), `messages.py`, `records.py`,
`config.py`, `procinfo.py`, `platform_facts.py` (the CPUs, the Python, the GIL),
`recording.py` and `replay.py` (a run to a file and back).

Names load on first use (PEP 562): a spawned worker imports `app.engine.worker` through this
package, and should not pay for the supervisor's imports on every start.
"""

from importlib import import_module

_EXPORTS = {
    "DEFAULT_START_METHOD": "app.engine.config",
    "EXECUTORS": "app.engine.config",
    "START_METHODS": "app.engine.config",
    "ConfigError": "app.engine.config",
    "RunConfig": "app.engine.config",
    "available_start_methods": "app.engine.config",
    "cpu_count": "app.engine.config",
    "parse_int_list": "app.engine.config",
    "Progress": "app.engine.run",
    "Run": "app.engine.run",
    "describe_exit": "app.engine.records",
    "PlatformFacts": "app.engine.platform_facts",
    "current_platform": "app.engine.platform_facts",
    "BACKENDS": "app.engine.backends",
    "backend_named": "app.engine.backends",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'app.engine' has no attribute {name!r}")
