"""Record a run to a `.mpprun` file and read it back: the run, the machine, every record.

A `.mpprun` file is gzip-compressed JSON, one poll to a line:

    {"format": "mpplayground-run", "version": 1, "recorded_at": "2026-11-26T08:10:00+00:00",
     "config": {...the RunConfig...},
     "machine": {"os": "Linux", "cpu_count": 64, "python_version": "3.12.1", ...},
     "polls": [
    [0.031, [["started", "1234", 1234, "SpawnPoolWorker-1", 0.029]]],
    [0.064, [["segment", 0, 0, 1, 0, 0.031, 0.052, 0.021], ...]], ...
    ], "workers": [["1234", 1234, "SpawnPoolWorker-1"], ...]}

`polls` is what `Run.poll()` returned, call by call, in order, each with the run's clock when
it returned (seconds since Start): what a replay plays back. Each record is a list, its type's
tag and then its fields in the dataclass's order; a `segment` names its worker by its place in
`workers` (last, so that a file can be written as the run goes), since a run of millions of
tiny tasks has thousands of blocks and a handful of workers. Blocks are what the engine
reports, so a file stays small however many tasks ran.

`Recorder` wraps a run and keeps what its `poll()` returns (or, with a `RecordingWriter`,
writes it as it comes); `save()` writes a `Recording`, `load()` reads one back into the same
record classes. Anything wrong with a file (not gzip, cut short, not JSON, another program's,
a newer format, a record that does not fit) raises `RecordingError` with one sentence saying
so: never a traceback, never half a run.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import json
import math
import os
import platform
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

from app.engine.config import START_METHODS, ConfigError, RunConfig, available_start_methods
from app.engine.platform_facts import PlatformFacts, current_platform
from app.engine.records import (
    ExecutorNote,
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerStuck,
    WorkerSummary,
)

FORMAT = "mpplayground-run"
VERSION = 1
SUFFIX = ".mpprun"
MAX_FILE_BYTES = 1 << 30  # uncompressed JSON read at most; 200,000 blocks are 18.5 MB
# What a Recorder keeps in memory at most. A Segment kept costs about 220 bytes, so this bounds
# a recording at about 110 MB; a longer run is not kept, and saving it says so. A Recorder
# with a RecordingWriter keeps nothing and has no limit.
MAX_RECORDS = 500_000

# The tag each record class is written with.
TAGS: dict[type, str] = {
    WorkerStarted: "started",
    Segment: "segment",
    TaskFailed: "failed",
    WorkerStuck: "stuck",
    WorkerDied: "died",
    PoolRestarted: "restarted",
    ExecutorNote: "note",
    WorkerSummary: "books",  # a worker's books so far, a few times a second
    RunFinished: "finished",
}
CLASSES = {tag: cls for cls, tag in TAGS.items()}


class RecordingError(Exception):
    """A recording cannot be written or read; the message is one sentence for people."""


@dataclass(frozen=True, slots=True)
class Machine:
    """The computer a run was recorded on."""

    os: str  # platform.system(): "Linux", "Windows", "Darwin"
    os_release: str
    architecture: str  # platform.machine(): "x86_64", "arm64"
    cpu_count: int
    process_cpu_count: int | None
    python_version: str
    implementation: str
    gil_enabled: bool

    @classmethod
    def this_one(cls) -> Machine:
        facts = current_platform()
        return cls(
            os=platform.system() or "unknown OS",
            os_release=platform.release(),
            architecture=platform.machine(),
            cpu_count=facts.cpu_count,
            process_cpu_count=facts.process_cpu_count,
            python_version=facts.python_version,
            implementation=facts.implementation,
            gil_enabled=facts.gil_enabled,
        )

    @property
    def python(self) -> PlatformFacts:
        """The Python part of this machine, as `current_platform()` says it of this one."""
        return PlatformFacts(
            self.cpu_count,
            self.process_cpu_count,
            self.python_version,
            self.implementation,
            self.gil_enabled,
        )

    def describe(self) -> str:
        """'Linux, 64 CPUs, Python 3.12 (GIL on)': one line for the history and the log."""
        cpus = f"{self.cpu_count} CPU" + ("" if self.cpu_count == 1 else "s")
        system = {"Darwin": "macOS"}.get(self.os, self.os)
        return f"{system}, {cpus}, {self.python.python_text}"

    def python_dict(self) -> dict:
        """What `run --json` prints under "python", as that machine would have printed it."""
        return self.python.to_dict()


@dataclass(frozen=True, slots=True)
class Recording:
    """A whole run: how it was set up, where it ran, and what `poll()` returned, call by call."""

    config: RunConfig
    machine: Machine
    polls: tuple[tuple[float, tuple[object, ...]], ...]  # (run clock, records of that poll)
    recorded_at: str = ""  # when the run started: ISO 8601, local time with its offset

    @property
    def summary(self) -> RunSummary:
        """The summary the run ended with (its last record)."""
        return self.polls[-1][1][-1].summary

    @property
    def when(self) -> str:
        """'2026-11-26 08:10', when it was recorded; '' if the file does not say."""
        return self.recorded_at[:16].replace("T", " ")

    @property
    def duration(self) -> float:
        """The run's clock at its last poll: how long a replay at 1x takes."""
        return self.polls[-1][0]

    @property
    def record_count(self) -> int:
        return sum(len(records) for _, records in self.polls)

    def records(self) -> Iterable[object]:
        for _, records in self.polls:
            yield from records


# -- keeping a run's records -----------------------------------------------------------------


class Recorder:
    """Keeps what a run's `poll()` returns, with the run's clock, up to `MAX_RECORDS`.

    Wrap a run (`Recorder(run)`: it polls for the caller and is otherwise the run), or feed it
    yourself with `add(at, records)` (the window, from each tick's frame). With a `writer`
    it keeps nothing and writes each poll to the file as it comes, however long the run: see
    `record_to()`.
    """

    def __init__(
        self,
        run=None,
        config: RunConfig | None = None,
        limit: int = MAX_RECORDS,
        writer: RecordingWriter | None = None,
    ) -> None:
        self._run = run
        self.config = config if config is not None or run is None else run.config
        self.limit = limit
        self.writer = writer
        self.problem: str | None = None  # why the writer stopped writing
        self.polls: list[tuple[float, tuple[object, ...]]] = []
        self.kept = 0  # records kept
        self.dropped = 0  # records past the limit, not kept
        self.saw_end = False  # the RunFinished record has come
        self.started_at = _now_iso()  # when the run started, as the file will say
        self._last_at = 0.0

    def __getattr__(self, name: str):  # everything but poll() is the wrapped run's
        if self._run is None:
            raise AttributeError(name)
        return getattr(self._run, name)

    def poll(self, *args, **kwargs) -> list:
        records = self._run.poll(*args, **kwargs)
        if records:
            self.add(self._run.elapsed, records)
        return records

    def wait(self, timeout: float | None = None):
        """`Run.wait`, through this recorder's poll so that the end is recorded too."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        while not self._run.finished:
            if deadline is not None and time.perf_counter() > deadline:
                raise TimeoutError(f"the run did not finish within {timeout} s")
            self.poll(timeout=0.01, budget_s=0.25)
        return self._run.summary

    def add(self, at: float, records: Iterable[object]) -> None:
        records = tuple(records)
        if not records:
            return
        if any(type(record) is RunFinished for record in records):
            self.saw_end = True
        # A run's last clock is its wall time, which can be before its last poll.
        at = self._last_at = max(at, self._last_at)
        if self.writer is not None:
            if self.problem is None:
                try:
                    self.writer.write_poll(at, records)
                except RecordingError as error:  # the disk is full: the run goes on
                    self.problem = str(error)
            self.kept += len(records)
            return
        if self.dropped or self.kept + len(records) > self.limit:
            self.dropped += len(records)
            return
        self.polls.append((at, records))
        self.kept += len(records)

    def finish_file(self) -> int:
        """Give the writer's file its name once the run has ended; its size in bytes.
        RecordingError (and no file) if it could not be written or the run never ended."""
        if self.problem is None and not self.saw_end:
            self.problem = "the run never finished"
        if self.problem is not None:
            self.writer.abort()
            raise RecordingError(self.problem)
        return self.writer.finish()

    def recording(self) -> Recording:
        """The run as a Recording; RecordingError if it has not finished or was too long."""
        if self.config is None or not self.polls:
            raise RecordingError("there is no finished run to save yet")
        if self.dropped:
            raise RecordingError(
                f"the run was too long to keep: it reported more than {self.limit:,} records "
                "(try bigger chunks: a block of tasks is one record)"
            )
        if not self.saw_end:
            raise RecordingError("the run has not finished yet")
        return Recording(self.config, Machine.this_one(), tuple(self.polls), self.started_at)


def record_to(path: str | os.PathLike, run) -> Recorder:
    """Wrap `run` in a Recorder that writes to `path` as the run goes; `finish_file()` at the
    end. RecordingError at once if the file cannot be written."""
    recorder = Recorder(run)
    recorder.writer = RecordingWriter(path, run.config, Machine.this_one(), recorder.started_at)
    return recorder


def _now_iso() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


# -- writing -----------------------------------------------------------------------------------


def to_json(recording: Recording) -> dict:
    """The recording as the JSON object a file holds."""
    workers: dict[tuple, int] = {}
    polls = []
    for at, records in recording.polls:
        polls.append([at, [_encode(record, workers) for record in records]])
    return {
        "format": FORMAT,
        "version": VERSION,
        "recorded_at": recording.recorded_at,
        "config": _config_json(recording.config),
        "machine": asdict(recording.machine),
        "polls": polls,
        "workers": [list(key) for key in workers],
    }


def _config_json(config: RunConfig) -> dict:
    data = asdict(config)
    if data["inputs"] is not None:
        data["inputs"] = list(data["inputs"])
    return data


def _encode(record: object, workers: dict[tuple, int]) -> list:
    if type(record) is Segment:
        key = (record.worker, record.pid, record.name)
        slot = workers.setdefault(key, len(workers))
        encoded = [
            "segment",
            slot,
            record.first_index,
            record.count,
            record.failed,
            record.start,
            record.end,
            record.cpu,
        ]
        if record.chunk_start:  # written only when true, so older files read the same
            encoded.append(1)
        return encoded
    if type(record) is RunFinished:
        return ["finished", record.summary.to_dict()]
    tag = TAGS.get(type(record))
    if tag is None:
        raise RecordingError(f"cannot record a {type(record).__name__}")
    return [tag, *(_plain(getattr(record, f.name)) for f in fields(record))]


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


class RecordingWriter:
    """Writes a recording as it happens, a poll at a time, so that recording a run of any
    length costs no memory (the command line's `run --record`). One poll to a line, so the
    text is readable after `gunzip`; the list of workers comes last, once all are known. The
    file appears under its name only when `finish()` has written all of it."""

    def __init__(
        self, path: str | os.PathLike, config: RunConfig, machine: Machine, recorded_at: str
    ) -> None:
        self.path = Path(path)
        self._partial = self.path.with_name(self.path.name + ".part")
        self._workers: dict[tuple, int] = {}
        self._polls = 0
        self._file = None
        head = {
            "format": FORMAT,
            "version": VERSION,
            "recorded_at": recorded_at,
            "config": _config_json(config),
            "machine": asdict(machine),
        }
        try:
            # mtime=0: the same run gives the same bytes
            self._file = gzip.GzipFile(self._partial, mode="wb", compresslevel=6, mtime=0)
            self._write(json.dumps(head, allow_nan=False)[:-1].encode() + POLLS_OPENING)
        except OSError as error:
            self.abort()
            raise RecordingError(self._cannot_write(error)) from None
        except (TypeError, ValueError) as error:  # a value JSON cannot hold exactly (nan, inf)
            self.abort()
            raise RecordingError(f"cannot record this run: {error}") from None

    def write_poll(self, at: float, records: Iterable[object]) -> None:
        line = [at, [_encode(record, self._workers) for record in records]]
        try:
            text = json.dumps(line, allow_nan=False).encode()
        except (TypeError, ValueError) as error:
            self.abort()
            raise RecordingError(f"cannot record this run: {error}") from None
        self._write(text if self._polls == 0 else b",\n" + text)
        self._polls += 1

    def finish(self) -> int:
        """Close the file and give it its name; returns its size in bytes."""
        workers = json.dumps([list(key) for key in self._workers]).encode()
        self._write(POLLS_CLOSING + workers + b"}\n")
        try:
            self._file.close()
            self._file = None
            os.replace(self._partial, self.path)
            return self.path.stat().st_size
        except OSError as error:
            self.abort()
            raise RecordingError(self._cannot_write(error)) from None

    def abort(self) -> None:
        """Give up: close and remove the partial file."""
        with contextlib.suppress(OSError):
            if self._file is not None:
                self._file.close()
        self._file = None
        with contextlib.suppress(OSError):
            self._partial.unlink()

    def _write(self, data: bytes) -> None:
        try:
            if self._file is None:
                raise OSError("the file is closed")
            self._file.write(data)
        except OSError as error:
            self.abort()
            raise RecordingError(self._cannot_write(error)) from None

    def _cannot_write(self, error: OSError) -> str:
        return f"cannot write {self.path.name}: {error.strerror or error}"


def save(recording: Recording, path: str | os.PathLike) -> int:
    """Write the recording to `path` (gzip-compressed JSON); returns the file's size in bytes.
    RecordingError if the file cannot be written."""
    writer = RecordingWriter(path, recording.config, recording.machine, recording.recorded_at)
    for at, records in recording.polls:
        writer.write_poll(at, records)
    return writer.finish()


# -- reading -----------------------------------------------------------------------------------


def load(path: str | os.PathLike) -> Recording:
    """Read a recording; RecordingError, one sentence naming the file, for anything wrong."""
    path = Path(path)
    name = path.name
    try:
        with gzip.open(path, "rb") as packed:
            payload = packed.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise RecordingError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise RecordingError(f"{name} is a folder, not a recorded run") from None
    except gzip.BadGzipFile:
        raise RecordingError(
            f"{name} is not a recorded run: it is not a gzip file (.mpprun)"
        ) from None
    except (EOFError, zlib.error):
        raise RecordingError(
            f"{name} is damaged or cut short: it ends before its compressed data does"
        ) from None
    except OSError as error:
        raise RecordingError(f"cannot read {name}: {error.strerror or error}") from None
    if not payload:
        raise RecordingError(f"{name} is empty: it holds no recorded run")
    if len(payload) > MAX_FILE_BYTES:
        raise RecordingError(f"{name} is too big: over {MAX_FILE_BYTES >> 20:,} MiB of data")
    return from_bytes(payload, name)


def from_bytes(payload: bytes, name: str = "the file") -> Recording:
    """Read a recording from its uncompressed JSON text."""
    try:
        data = _parse_by_line(payload)
        if data is None:
            data = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RecordingError(f"{name} is damaged: its contents are not valid JSON") from None
    return from_json(data, name)


POLLS_OPENING = b', "polls": [\n'
POLLS_CLOSING = b'\n], "workers": '


def _parse_by_line(payload: bytes) -> dict | None:
    """Parse a file as `RecordingWriter` lays it out, one poll a line, so that a thread reading
    a big file lets go of the GIL between lines (one json.loads of 100 MB would hold it for a
    second, and the window would freeze). None if the text is laid out otherwise; ValueError
    if it is laid out so but is not valid JSON."""
    head, found, body = payload.partition(POLLS_OPENING)
    polls_text, closing, tail = body.rpartition(POLLS_CLOSING)
    if not found or not closing:
        return None
    data = json.loads(head + b"}")
    ending = json.loads(b'{"workers": ' + tail)
    if not isinstance(data, dict) or not isinstance(ending, dict):
        raise ValueError("not an object")
    lines = polls_text.split(b"\n") if polls_text else []
    for line in lines[:-1]:
        if not line.endswith(b","):
            raise ValueError("a poll's line does not end with a comma")
    data["polls"] = [json.loads(line.removesuffix(b",")) for line in lines]
    data.update(ending)
    return data


def from_json(data: object, name: str = "the file") -> Recording:
    """Read a recording from the JSON object a file holds."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordingError(f"{name} is not a recorded run of this app")
    version = data.get("version")
    if not _is_int(version) or version < 1:
        raise RecordingError(f"{name} is damaged: its format version is {version!r}")
    if version > VERSION:
        raise RecordingError(
            f"{name} was recorded by a newer version of this app (format {version}); "
            f"this one reads format {VERSION}: update the app to replay it"
        )
    reader = _Reader(name)
    try:
        config = reader.config(data.get("config"))
        machine = reader.machine(data.get("machine"))
        workers = reader.workers(data.get("workers"))
        polls = reader.polls(data.get("polls"), workers)
    except RecordingError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        raise RecordingError(f"{name} is damaged: {reader.where}: {error}") from None
    recorded_at = data.get("recorded_at")
    return Recording(config, machine, polls, recorded_at if isinstance(recorded_at, str) else "")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_NUMBERS = (int, float)

# The checks of a field's value, by the type its dataclass declares.
_CHECKS: dict[str, Callable[[object], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": _is_int,
    "float": _is_number,
    "bool": lambda v: isinstance(v, bool),
    "float | None": lambda v: v is None or _is_number(v),
    "str | None": lambda v: v is None or isinstance(v, str),
    "int | None": lambda v: v is None or _is_int(v),
    "tuple[int, ...]": lambda v: isinstance(v, list) and all(_is_int(i) for i in v),
}


class _Reader:
    """Turns a file's JSON back into records, checking every value's type on the way, so that
    a damaged file is refused here rather than failing later inside a chart."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.where = "its header"

    def fail(self, what: str) -> RecordingError:
        return RecordingError(f"{self.name} is damaged: {self.where}: {what}")

    def config(self, data: object) -> RunConfig:
        self.where = "its run settings"
        if not isinstance(data, dict):
            raise self.fail("missing")
        known = {f.name for f in fields(RunConfig)}
        values = {key: value for key, value in data.items() if key in known}
        if isinstance(values.get("inputs"), list):
            values["inputs"] = tuple(values["inputs"])
        method = values.get("start_method")
        try:
            if method in START_METHODS and method not in available_start_methods():
                # Recorded where that start method exists: replayed, it starts nothing here.
                config = RunConfig(**{**values, "start_method": available_start_methods()[0]})
                object.__setattr__(config, "start_method", method)
                return config
            return RunConfig(**values)
        except ConfigError as error:
            raise RecordingError(
                f"{self.name} describes a run this app cannot show: {error}"
            ) from None

    def machine(self, data: object) -> Machine:
        self.where = "its machine"
        if not isinstance(data, dict):
            raise self.fail("missing")
        return self._build(Machine, [data.get(f.name) for f in fields(Machine)])

    def workers(self, data: object) -> list[tuple[str, int, str]]:
        self.where = "its list of workers"
        if not isinstance(data, list):
            raise self.fail("missing")
        workers = []
        for item in data:
            if not (
                isinstance(item, list)
                and len(item) == 3
                and isinstance(item[0], str)
                and _is_int(item[1])
                and isinstance(item[2], str)
            ):
                raise self.fail(f"{item!r} is not [key, pid, name]")
            workers.append(tuple(item))
        return workers

    def polls(self, data: object, workers: list) -> tuple:
        if not isinstance(data, list) or not data:
            self.where = "its records"
            raise self.fail("there are none")
        polls = []
        previous = 0.0
        finished = False
        for number, poll in enumerate(data, 1):
            self.where = f"poll {number:,}"
            if finished:
                raise self.fail("records follow the end of the run")
            if not (isinstance(poll, list) and len(poll) == 2 and isinstance(poll[1], list)):
                raise self.fail("not [time, records]")
            at, items = poll
            if not _is_number(at) or at < previous:
                raise self.fail(f"time {at!r} is not a time after the poll before")
            previous = at
            records = []
            for item in items:
                record = self.record(item, workers)
                finished = finished or type(record) is RunFinished
                if finished and record is not None and type(record) is not RunFinished:
                    raise self.fail("records follow the end of the run")
                records.append(record)
            polls.append((float(at), tuple(records)))
        if not finished:
            self.where = "its records"
            raise RecordingError(
                f"{self.name} is incomplete: it stops before the run finished "
                f"({sum(len(records) for _, records in polls):,} records)"
            )
        return tuple(polls)

    def record(self, item: object, workers: list) -> object:
        if not isinstance(item, list) or not item or not isinstance(item[0], str):
            raise self.fail(f"{str(item)[:40]} is not a record")
        tag, values = item[0], item[1:]
        cls = CLASSES.get(tag)
        if cls is None:
            raise self.fail(f"unknown record {tag!r}")
        if cls is Segment:
            return self.segment(values, workers)
        if cls is RunFinished:
            if len(values) != 1:
                raise self.fail("the end of the run is not one summary")
            return RunFinished(self.summary(values[0]))
        return self._build(cls, values)

    def segment(self, values: list, workers: list) -> Segment:
        """The most frequent record, checked in one go (a file may hold a million)."""
        chunk_start = False
        if len(values) == 8 and values[7] == 1:  # the block begins a chunk
            chunk_start, values = True, values[:7]
        if len(values) == 7:
            slot, first, count, failed, start, end, cpu = values
            if (
                type(slot) is int
                and 0 <= slot < len(workers)
                and type(first) is int
                and type(count) is int
                and type(failed) is int
                and type(start) in _NUMBERS
                and type(end) in _NUMBERS
                and (cpu is None or type(cpu) in _NUMBERS)
                and math.isfinite(start + end + (cpu or 0.0))
            ):
                return Segment(*workers[slot], first, count, failed, start, end, cpu, chunk_start)
            if not (_is_int(slot) and 0 <= slot < len(workers)):
                raise self.fail("a block names no worker of the file's list")
        self._build(Segment, ["", 0, "", *values[1:]])  # raises, saying which value is wrong
        raise self.fail("a block's times are out of range")

    def summary(self, data: object) -> RunSummary:
        if not isinstance(data, dict):
            raise self.fail("the summary is missing")
        per_worker = data.get("per_worker")
        deaths = data.get("deaths")
        if not isinstance(per_worker, list) or not isinstance(deaths, list):
            raise self.fail("the summary has no workers or deaths")
        workers = tuple(
            self._build(WorkerSummary, [w.get(f.name) for f in fields(WorkerSummary)])
            if isinstance(w, dict)
            else self._build(WorkerSummary, [])
            for w in per_worker
        )
        death_pairs = []
        for death in deaths:
            if not (isinstance(death, dict) and _is_int(death.get("pid"))):
                raise self.fail("a death in the summary has no pid")
            if not _is_int(death.get("exitcode")):
                raise self.fail("a death in the summary has no exit code")
            death_pairs.append((death["pid"], death["exitcode"]))
        simple = [
            f for f in fields(RunSummary) if f.name not in ("per_worker", "deaths", "results")
        ]
        values = {f.name: data.get(f.name) for f in simple}
        self._check(RunSummary.__name__, simple, list(values.values()))
        return RunSummary(**values, per_worker=workers, deaths=tuple(death_pairs))

    def _build(self, cls: type, values: list) -> object:
        declared = fields(cls)
        required = [f for f in declared if f.default is MISSING and f.default_factory is MISSING]
        if not len(required) <= len(values) <= len(declared):
            raise self.fail(f"a {cls.__name__} needs {len(declared)} values, not {len(values)}")
        self._check(cls.__name__, declared[: len(values)], values)
        values = [tuple(v) if isinstance(v, list) else v for v in values]
        return cls(*values)

    def _check(self, what: str, declared, values: list) -> None:
        for field, value in zip(declared, values, strict=False):
            check = _CHECKS.get(field.type)
            if check is not None and not check(value):
                raise self.fail(f"{what}.{field.name} is {value!r}, not a {field.type}")
