"""A run's tasks and the run history as CSV and JSON, and the readers that load them back.

The tasks table has one row per block of work as the engine reported it: one task, or for tiny
tasks one chunk (`first_index`, `count`), with the worker that ran it, when (seconds since the
run started), how many failed and the CPU time its thread used. The tasks JSON keeps the whole
`RunLog`: the run's settings and summary, the workers, the blocks, the failures with their
tracebacks, deaths, stuck workers and pool restarts. The history has one row per finished run
with the figures the window's history table shows. Every writer has a reader, and writing then
reading gives back what was written (floats included: Python writes the shortest text that
reads back as the same float). Writers raise OSError; readers raise OSError or `TableError`.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from dataclasses import asdict

from app.engine.records import (
    PoolRestarted,
    RunSummary,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerStuck,
    WorkerSummary,
)
from app.stats.comparison import Comparison
from app.stats.run_log import RunAbout, RunLog

MADE_BY = "Multiprocessing Playground"
FORMAT_VERSION = 1
TASKS_KIND = "tasks"
HISTORY_KIND = "history"

# The tasks CSV: (column, type). None in a float column is written as an empty cell.
TASK_COLUMNS: tuple[tuple[str, type], ...] = (
    ("worker", str),
    ("pid", int),
    ("name", str),
    ("first_index", int),
    ("count", int),
    ("failed", int),
    ("start_s", float),
    ("end_s", float),
    ("cpu_s", float),
    ("chunk_start", bool),  # the block begins a chunk: its worker had just taken it
)

HISTORY_COLUMNS: tuple[tuple[str, type], ...] = (
    ("workload", str),
    ("executor", str),
    ("workers", int),
    ("start_method", str),
    ("chunksize", int),
    ("tasks", int),
    ("completed", int),
    ("failed", int),
    ("cancelled", int),
    ("retried", int),
    ("wall_s", float),
    ("startup_s", float),
    ("throughput", float),
    ("speedup", float),  # against the 1-worker run of the same job; empty where there is none
    ("efficiency", float),
    ("speedup_text", str),  # the history table's cell, as shown
    ("against_serial", float),
    ("serial_text", str),
    ("stopped", bool),
    ("error", str),
)


class TableError(ValueError):
    """A file that is not what it should be: one line that says why."""


# ------------------------------------------------------------------------------- tasks


def block_row(block: Segment) -> dict:
    return {
        "worker": block.worker,
        "pid": block.pid,
        "name": block.name,
        "first_index": block.first_index,
        "count": block.count,
        "failed": block.failed,
        "start_s": block.start,
        "end_s": block.end,
        "cpu_s": block.cpu,
        "chunk_start": block.chunk_start,
    }


def block_of_row(row: dict) -> Segment:
    return Segment(
        worker=row["worker"],
        pid=row["pid"],
        name=row["name"],
        first_index=row["first_index"],
        count=row["count"],
        failed=row["failed"],
        start=row["start_s"],
        end=row["end_s"],
        cpu=row["cpu_s"],
        chunk_start=row["chunk_start"],
    )


def write_tasks_csv(log: RunLog, path: str | os.PathLike) -> int:
    """One row per block of tasks; returns the number of rows."""
    return _write_csv(path, TASK_COLUMNS, (block_row(block) for block in log.blocks))


def read_tasks_csv(path: str | os.PathLike) -> list[Segment]:
    return [block_of_row(row) for row in _read_csv(path, TASK_COLUMNS, "tasks")]


def tasks_document(log: RunLog) -> dict:
    """The whole log as plain JSON values."""
    return {
        "made_by": MADE_BY,
        "kind": TASKS_KIND,
        "version": FORMAT_VERSION,
        "run": None if log.about is None else asdict(log.about),
        "summary": None if log.summary is None else log.summary.to_dict(),
        "workers": [
            {
                "worker": w.worker,
                "pid": w.pid,
                "name": w.name,
                "ready_s": w.at,
                "asked_s": w.asked,  # asked to start (None: not measured)
                "began_s": w.began,  # first ran our code
            }
            for w in log.workers.values()
        ],
        "blocks": [block_row(block) for block in log.blocks],
        "blocks_not_kept": log.blocks_not_kept,
        "failures": [
            {
                "index": f.index,
                "worker": f.worker,
                "pid": f.pid,
                "name": f.name,
                "exc_type": f.exc_type,
                "message": f.message,
                "traceback": f.traceback,
            }
            for f in log.failures
        ],
        "failures_not_kept": log.failures_not_kept,
        "deaths": [
            {
                "worker": d.worker,
                "pid": d.pid,
                "name": d.name,
                "exitcode": d.exitcode,
                "at_s": d.at,
                "running": list(d.running),
                "cause": d.cause,
            }
            for d in log.deaths
        ],
        "stuck": [
            {
                "worker": s.worker,
                "pid": s.pid,
                "name": s.name,
                "idle_s": s.idle_s,
                "reason": s.reason,
                "at_s": s.at,
            }
            for s in log.stuck
        ],
        "restarts": [
            {
                "at_s": r.at,
                "retried": r.retried,
                "requeued": r.requeued,
                "how": r.how,
                "pool_replaced": r.pool_replaced,
            }
            for r in log.restarts
        ],
    }


def log_of_document(data: object) -> RunLog:
    """A RunLog from what `tasks_document` made; TableError if it is something else."""
    _check_document(data, TASKS_KIND)
    try:
        log = RunLog(
            about=None if data["run"] is None else RunAbout(**data["run"]),
            summary=None if data["summary"] is None else summary_of_dict(data["summary"]),
            blocks=[block_of_row(row) for row in data["blocks"]],
            blocks_not_kept=data["blocks_not_kept"],
            failures=[TaskFailed(**row) for row in data["failures"]],
            failures_not_kept=data["failures_not_kept"],
            deaths=[
                WorkerDied(
                    row["worker"],
                    row["pid"],
                    row["name"],
                    row["exitcode"],
                    row["at_s"],
                    tuple(row["running"]),
                    row["cause"],
                )
                for row in data["deaths"]
            ],
            stuck=[
                WorkerStuck(
                    row["worker"],
                    row["pid"],
                    row["name"],
                    row["idle_s"],
                    row["reason"],
                    row["at_s"],
                )
                for row in data["stuck"]
            ],
            restarts=[
                PoolRestarted(
                    row["at_s"],
                    row["retried"],
                    row["requeued"],
                    row.get("how", ""),
                    row.get("pool_replaced", True),
                )
                for row in data["restarts"]
            ],
        )
        for row in data["workers"]:
            started = WorkerStarted(
                row["worker"],
                row["pid"],
                row["name"],
                row["ready_s"],
                row.get("asked_s"),
                row.get("began_s"),
            )
            log.workers[started.worker] = started
    except (KeyError, TypeError, AttributeError) as exc:
        raise TableError(f"a tasks file with a missing or wrong field ({exc})") from None
    return log


def summary_of_dict(data: dict) -> RunSummary:
    """The inverse of `RunSummary.to_dict()` (without results)."""
    fields = {key: value for key, value in data.items() if key in RunSummary.__dataclass_fields__}
    fields["per_worker"] = tuple(WorkerSummary(**w) for w in data.get("per_worker", ()))
    fields["deaths"] = tuple((d["pid"], d["exitcode"]) for d in data.get("deaths", ()))
    fields.pop("results", None)
    return RunSummary(**fields)


def write_tasks_json(log: RunLog, path: str | os.PathLike) -> int:
    """The whole log; returns the number of blocks written."""
    _write_json(path, tasks_document(log))
    return len(log.blocks)


def read_tasks_json(path: str | os.PathLike) -> RunLog:
    return log_of_document(_read_json(path))


# ------------------------------------------------------------------------------- history


def history_row(comparison: Comparison) -> dict:
    """One finished run with its figures, as the history table shows them."""
    run = comparison.run
    compared = comparison.not_compared is None
    one, serial = comparison.against_one_worker, comparison.against_serial
    return {
        "workload": run.workload,
        "executor": run.executor,
        "workers": run.workers,
        "start_method": run.start_method,
        "chunksize": run.chunksize,
        "tasks": run.tasks,
        "completed": run.completed,
        "failed": run.failed,
        "cancelled": run.cancelled,
        "retried": run.retried,
        "wall_s": run.wall_s,
        "startup_s": run.startup_s,
        "throughput": run.throughput,
        "speedup": one.factor if compared and one is not None else None,
        "efficiency": one.efficiency if compared and one is not None else None,
        "speedup_text": comparison.speedup_text(),
        "against_serial": serial.factor if compared and serial is not None else None,
        "serial_text": comparison.serial_text(),
        "stopped": run.stopped,
        "error": run.error or "",
    }


def history_rows(comparisons: Iterable[Comparison]) -> list[dict]:
    return [history_row(comparison) for comparison in comparisons]


def write_history_csv(rows: list[dict], path: str | os.PathLike) -> int:
    return _write_csv(path, HISTORY_COLUMNS, rows)


def read_history_csv(path: str | os.PathLike) -> list[dict]:
    return _read_csv(path, HISTORY_COLUMNS, "history")


def write_history_json(rows: list[dict], path: str | os.PathLike) -> int:
    document = {"made_by": MADE_BY, "kind": HISTORY_KIND, "version": FORMAT_VERSION, "runs": rows}
    _write_json(path, document, indent=1)  # a few rows: easy to read
    return len(rows)


def read_history_json(path: str | os.PathLike) -> list[dict]:
    data = _read_json(path)
    _check_document(data, HISTORY_KIND)
    rows = data.get("runs")
    names = [name for name, _ in HISTORY_COLUMNS]
    if not isinstance(rows, list) or not all(
        isinstance(row, dict) and list(row) == names for row in rows
    ):
        raise TableError(f"a history file whose runs do not have the columns {', '.join(names)}")
    return rows


# ------------------------------------------------------------------------------- files


def _write_csv(path, columns: tuple[tuple[str, type], ...], rows: Iterable[dict]) -> int:
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([name for name, _ in columns])
        for row in rows:
            writer.writerow([_cell(row[name]) for name, _ in columns])
            count += 1
    return count


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _read_csv(path, columns: tuple[tuple[str, type], ...], what: str) -> list[dict]:
    names = [name for name, _ in columns]
    with open(path, newline="", encoding="utf-8") as file:
        try:
            reader = csv.reader(file)
            header = next(reader, None)
            if header != names:
                raise TableError(f"not a {what} CSV: its first line should be {','.join(names)}")
            rows = []
            for line, cells in enumerate(reader, start=2):
                if len(cells) != len(columns):
                    raise TableError(f"line {line} has {len(cells)} cells, not {len(columns)}")
                rows.append(
                    {
                        name: _value(cell, kind, name, line)
                        for (name, kind), cell in zip(columns, cells, strict=True)
                    }
                )
        except (UnicodeDecodeError, csv.Error) as exc:
            raise TableError(f"not a {what} CSV ({exc})") from None
    return rows


def _value(cell: str, kind: type, name: str, line: int) -> object:
    if kind is str:
        return cell
    if cell == "" and kind is float:
        return None
    try:
        if kind is bool:
            if cell not in ("true", "false"):
                raise ValueError(cell)
            return cell == "true"
        return kind(cell)
    except ValueError:
        raise TableError(f"line {line}: {name} should be {kind.__name__}, not {cell!r}") from None


def _write_json(path, document: dict, indent: int | None = None) -> None:
    # Built as one string first: json.dumps without indent is C code, far faster than dump().
    text = json.dumps(document, indent=indent)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text + "\n")


def _read_json(path) -> object:
    with open(path, encoding="utf-8") as file:
        try:
            return json.load(file)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TableError(f"not JSON ({exc})") from None


def _check_document(data: object, kind: str) -> None:
    if not isinstance(data, dict) or data.get("made_by") != MADE_BY or data.get("kind") != kind:
        raise TableError(f"not a {kind} file from {MADE_BY}")
    if data.get("version") != FORMAT_VERSION:
        raise TableError(
            f"a {kind} file of version {data.get('version')!r}; this app reads {FORMAT_VERSION}"
        )
