"""How a run is described: one frozen `RunConfig`, checked once, with messages to act on."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

START_METHODS = ("spawn", "fork", "forkserver")
DEFAULT_START_METHOD = (
    "spawn"  # what Windows, macOS and frozen apps use; fork is unsafe with Qt threads
)
MAX_WORKERS = 256
MAX_TASKS = 10_000_000


class ConfigError(ValueError):
    """A run was described in a way that cannot work; the message says what is allowed."""


def cpu_count() -> int:
    return os.cpu_count() or 1


def available_start_methods() -> tuple[str, ...]:
    """The start methods this OS offers, in our preferred order."""
    offered = set(multiprocessing.get_all_start_methods())
    return tuple(method for method in START_METHODS if method in offered)


@dataclass(frozen=True, slots=True)
class RunConfig:
    workload: str
    tasks: int | None = None  # n tasks at the workload's default cost...
    inputs: tuple | None = None  # ...or these exact inputs
    executor: str = "process"
    workers: int = 2
    chunksize: int = 0  # 0: the engine sizes chunks from measured task times
    start_method: str = DEFAULT_START_METHOD
    max_deaths: int = 3  # give up once this many workers have died in one run
    # Worker processes lower their own priority by this much (POSIX nice; ignored elsewhere).
    # The window asks for 10 so that, with as many busy workers as cores, it still gets a
    # core when it needs one; on an otherwise idle computer the workers lose nothing.
    worker_nice: int = 0
    # A busy worker that shows no progress (no report, no CPU time) this long, and for ten
    # times its longest task so far, is stuck: killed and its tasks run again. Stopped
    # workers (SIGSTOP) are stuck after at most 2 s.
    stuck_after_s: float = 10.0
    # For live demos: the tasks (or inputs) are one round, sent again and again until Stop
    # (or until MAX_TASKS in all). Results are not kept: only the books and the telemetry.
    until_stopped: bool = False
    # A Dask scheduler to run on, "tcp://HOST:PORT"; "" starts a local cluster for the run.
    scheduler: str = ""

    def __post_init__(self) -> None:
        from app.workloads import WORKLOADS

        if self.workload not in WORKLOADS:
            raise ConfigError(
                f"unknown workload {self.workload!r}; choose from {', '.join(WORKLOADS)}"
            )
        from app.engine.backends import BACKENDS, backend_named

        backend = backend_named(self.executor) if isinstance(self.executor, str) else None
        if backend is None:
            raise ConfigError(
                f"unknown executor {self.executor!r}; choose from {', '.join(BACKENDS)}"
            )
        object.__setattr__(self, "executor", backend.name)  # "Threads" means "thread"
        missing = backend.missing()
        if missing:
            raise ConfigError(missing)
        _check_scheduler(self.scheduler, backend)
        object.__setattr__(self, "scheduler", normal_scheduler(self.scheduler))
        methods = available_start_methods()
        if self.start_method not in START_METHODS:
            raise ConfigError(
                f"unknown start method {self.start_method!r}; choose from {', '.join(methods)}"
            )
        if self.start_method not in methods:
            raise ConfigError(
                f"start method {self.start_method!r} is not available on this OS; "
                f"choose from {', '.join(methods)}"
            )
        _check_int("workers", self.workers, 1, MAX_WORKERS)
        if backend.one_worker:  # serial: one worker by definition, whatever was asked for
            object.__setattr__(self, "workers", 1)
        _check_int("chunksize", self.chunksize, 0, MAX_TASKS)
        _check_int("max_deaths", self.max_deaths, 1, 1000)
        _check_int("worker_nice", self.worker_nice, 0, 19)
        if isinstance(self.stuck_after_s, bool) or not isinstance(self.stuck_after_s, int | float):
            raise ConfigError(f"stuck_after_s must be a number, got {self.stuck_after_s!r}")
        if not 0.1 <= self.stuck_after_s <= 86_400:
            raise ConfigError(
                f"stuck_after_s must be between 0.1 and 86,400, got {self.stuck_after_s}"
            )
        if self.inputs is None:
            if self.tasks is None:
                raise ConfigError("give a number of tasks or a list of inputs")
            _check_int("tasks", self.tasks, 1, MAX_TASKS)
        else:
            if self.tasks is not None and self.tasks != len(self.inputs):
                raise ConfigError("give either a number of tasks or a list of inputs, not both")
            if not self.inputs:
                raise ConfigError("the list of inputs is empty; give at least one")
            if len(self.inputs) > MAX_TASKS:
                raise ConfigError(f"at most {MAX_TASKS:,} inputs")

    @property
    def task_count(self) -> int:
        return len(self.inputs) if self.inputs is not None else int(self.tasks)

    @property
    def func(self) -> Callable:
        from app.workloads import WORKLOADS

        return WORKLOADS[self.workload].func

    def make_inputs(self) -> Sequence:
        """The run's inputs: the given ones as they are (a tuple: nobody can change them, so
        no copy is needed, which for 10,000,000 inputs is some 50 ms), or the workload's."""
        from app.workloads import WORKLOADS

        if self.inputs is not None:
            return self.inputs
        return list(WORKLOADS[self.workload].make_inputs(int(self.tasks)))


def __getattr__(name: str):
    if name == "EXECUTORS":  # the backends' names, from their registry (loaded on first use)
        from app.engine.backends import BACKENDS

        return tuple(BACKENDS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def normal_scheduler(address: str) -> str:
    """A scheduler address as Dask takes it: "HOST:PORT" gets "tcp://" in front."""
    address = address.strip()
    if address and "://" not in address:
        return f"tcp://{address}"
    return address


def _check_scheduler(address: object, backend) -> None:
    if not isinstance(address, str):
        raise ConfigError(f"scheduler must be an address like tcp://HOST:PORT, got {address!r}")
    if not address.strip():
        return
    if not backend.uses_scheduler:
        raise ConfigError(f"a scheduler address is for the Dask executor, not {backend.name!r}")
    check_scheduler_address(address)


def check_scheduler_address(address: str) -> str:
    """The address as Dask takes it ("tcp://HOST:PORT"), or ConfigError saying what it wants."""
    from urllib.parse import urlsplit

    text = normal_scheduler(address)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if parts is None or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise ConfigError(
            f"the scheduler address must look like tcp://HOST:PORT (the address "
            f"`dask scheduler` prints), got {address!r}"
        )
    return text


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high:,}, got {value}")


def parse_int_list(text: str, option: str = "--inputs", example: str = "4,2,3") -> tuple[int, ...]:
    """Parse "4,2,3" as the tutorial writes it; a clear error for anything else."""
    parts = [part.strip() for part in text.split(",")]
    message = f"{option} needs comma-separated whole numbers like {example}; got {text!r}"
    if not text.strip() or any(not part for part in parts):
        raise ConfigError(message)
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigError(message) from None
