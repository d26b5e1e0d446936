"""Backends: the ways a run's chunks can be executed, one module each, behind one interface.

A backend starts workers, takes chunks, says which of its workers died, and disposes of them;
the supervisor (`app.engine.supervisor`) drives it and keeps the books of what is in flight,
so a backend never counts tasks. Reports travel back on the channel `open()` returns: a
multiprocessing Queue for local processes, or any queue the backend fills itself (a backend
whose workers cannot reach a Queue puts the reports that came back with each result there).

A backend also carries its facts for people (label, tip, whether a worker can be killed,
whether a start method applies), so the window and the command line never test its name.

To add a backend: one new module here with a `Backend` subclass (its `BACKEND`), and one
line in `_MODULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module

from app.engine.messages import Ack, ChunkError


class Backend:
    """Runs chunks of one run. The supervisor thread calls every method."""

    # The backend's facts, set on each subclass (plain annotations, not typing.ClassVar: a
    # cold run would pay 2 ms to import typing before asking for its workers).
    name: str  # what RunConfig.executor holds: "process"
    aliases: tuple[str, ...] = ()  # other words people use: "processes"
    label: str  # for people: "processes"
    tip: str  # one line: what it is, in Python's words
    can_kill_workers: bool = True  # "Kill a worker" has something to kill
    uses_start_method: bool = False  # spawn / fork / forkserver applies
    one_worker: bool = False  # always exactly one worker (serial)
    # How the executor itself reacts when a worker dies, for the event log: one sentence.
    on_death: str = ""
    # True: after a death the executor runs the lost tasks again by itself (Dask), so the
    # supervisor only reports it; False: the supervisor disposes of every worker and opens anew.
    reschedules_itself: bool = False
    # Its workers are processes of this computer whose state the OS can tell (stopped, CPU
    # time): the supervisor watches them for being stuck. Not so for a cluster's.
    watch_for_stuck: bool = True
    uses_scheduler: bool = False  # a scheduler address applies (Dask)

    @classmethod
    def missing(cls) -> str:
        """Why this backend cannot run here, with how to fix it, in one line; "" if it can."""
        return ""

    @classmethod
    def describe(cls, config) -> str:
        """How a run's workers are, for people: "2 processes (spawn)", "1 thread"."""
        one = cls.label.removesuffix("es") if cls.label.endswith("sses") else cls.label[:-1]
        how = f"{config.workers} {cls.label if config.workers != 1 else one}"
        return f"{how} ({config.start_method})" if cls.uses_start_method else how

    def __init__(
        self,
        config,
        func: Callable,
        slots: int,
        on_done: Callable[[int, Ack | ChunkError], None],
    ) -> None:
        self.config = config
        self.func = func
        self.slots = slots  # chunks in flight at most; each holds a slot until done
        self.on_done = on_done  # call with (generation, Ack or ChunkError), from any thread
        self.generation = 0  # bumped at each open(): late news from an old pool is ignored
        self.notes: list[str] = []  # lines for the event log (a dashboard link); the supervisor
        # takes them after open()

    def open(self) -> object:
        """Start the workers; return the channel their reports arrive on."""
        raise NotImplementedError

    def submit(self, chunk_id: int, slot: int, indices: range, inputs: list) -> None:
        raise NotImplementedError

    def submit_many(self, chunks: list[tuple[int, int, range, list]]) -> None:
        """Submit several chunks at once, each `(chunk_id, slot, indices, inputs)`; a backend
        that can hand them over together (one message to its threads, not one each) does."""
        for chunk in chunks:
            self.submit(*chunk)

    def started_by(self, slot: int) -> int:
        """The pid that started the chunk in this slot, or 0 if none has yet."""
        raise NotImplementedError

    def more_slots(self) -> int:
        """After open(): how many more chunks it could keep busy than two per worker asked
        for, when it found more workers than the run asked for (an existing cluster); 0 if
        none. The supervisor adds them to its window and to `slots`."""
        return 0

    def processes(self) -> dict:
        """Live worker processes by pid, for the supervisor to watch: {pid: Process}."""
        raise NotImplementedError

    def find_dead(self) -> list:
        """Worker processes that ended since the last call (each reported once)."""
        raise NotImplementedError

    def cause_of_death(self, process) -> str:
        """How a dead worker ended, for people, if the exit code alone would mislead."""
        return ""

    def dispose(self) -> None:
        """Kill every worker now and free what the pool held; safe to call twice."""
        raise NotImplementedError


# Each backend's name and its module. A module is imported the first time its backend is
# needed: a run on processes never pays for importing concurrent.futures or the Dask backend.
_MODULES = {
    "process": "process_pool",
    "thread": "thread_pool",
    "serial": "serial",
    "futures": "futures",
    "dask": "dask",
}


class _Registry(Mapping):
    """The backends by name, in `_MODULES` order; each module imported on first use."""

    def __init__(self) -> None:
        self._loaded: dict[str, type[Backend]] = {}

    def __getitem__(self, name: str) -> type[Backend]:
        cls = self._loaded.get(name)
        if cls is None:
            if name not in _MODULES:
                raise KeyError(name)
            cls = import_module(f"{__name__}.{_MODULES[name]}").BACKEND
            self._loaded[name] = cls
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)

    def __contains__(self, name: object) -> bool:
        return name in _MODULES


BACKENDS: Mapping[str, type[Backend]] = _Registry()


def backend_named(text: str) -> type[Backend] | None:
    """The backend a person meant: its name or an alias, in any case."""
    word = text.strip().lower()
    if word in _MODULES:
        return BACKENDS[word]
    for cls in BACKENDS.values():
        if word in cls.aliases:
            return cls
    return None
