"""Where each worker's time went: its life cut into five parts, and the run's costs in words.

A worker's life runs from when its process was asked to start to the run's end (or its death);
the engine measures every part of it (see `app.engine.records.WorkerSummary`):

    starting up   asked to start -> ready (a fresh interpreter, imports, its hello)
    computing     inside a task with the CPU (its thread's CPU time)
    waiting       inside a task, or sending, without the CPU (for the GIL, a free core, I/O)
    sending       pickling its reports and results and handing them to the channel, with the
                  CPU (a thread that waits for the GIL to send is waiting, not sending)
    idle          alive without a task: waiting for work, or for the run to end

Pure functions of the engine's records: the chart and the command line say the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.engine.records import WorkerSummary

PARTS = ("starting up", "computing", "waiting", "sending", "idle")


@dataclass(frozen=True, slots=True)
class TimeBudget:
    """One worker's life in seconds, part by part (in the order of PARTS)."""

    worker: str
    name: str
    pid: int
    parts_s: tuple[float, float, float, float, float]
    lifetime_s: float  # measured on its own: the parts add up to it, to within milliseconds

    @property
    def shares(self) -> tuple[float, ...]:
        """Each part's share of the parts' sum, 0 to 1."""
        total = sum(self.parts_s)
        return tuple(part / total if total > 0 else 0.0 for part in self.parts_s)


@dataclass(frozen=True, slots=True)
class RunCosts:
    """The workers' lives added up, and what crossed between them and the parent."""

    parts_s: tuple[float, float, float, float, float]
    bytes_in: int  # pickled task messages the workers received
    bytes_out: int  # pickled hellos and reports (results) they sent
    messages: int  # hellos and reports they sent

    @property
    def shares(self) -> tuple[float, ...]:
        total = sum(self.parts_s)
        return tuple(part / total if total > 0 else 0.0 for part in self.parts_s)


def time_budget(worker: WorkerSummary) -> TimeBudget:
    """A worker's five parts; a start-up that was not measured counts as none, and sending
    whose CPU time was not measured counts as sending."""
    send_s = max(0.0, worker.send_s)
    sending = send_s if worker.send_cpu_s is None else min(send_s, max(0.0, worker.send_cpu_s))
    parts = (
        max(0.0, worker.startup_s or 0.0),
        max(0.0, worker.cpu_s),
        max(0.0, worker.wait_s) + send_s - sending,
        sending,
        max(0.0, worker.idle_s),
    )
    return TimeBudget(worker.worker, worker.name, worker.pid, parts, worker.lifetime_s)


def run_costs(workers: Sequence[WorkerSummary]) -> RunCosts:
    budgets = [time_budget(worker) for worker in workers]
    parts = tuple(sum(budget.parts_s[i] for budget in budgets) for i in range(len(PARTS)))
    return RunCosts(
        parts,  # type: ignore[arg-type]
        sum(worker.bytes_in for worker in workers),
        sum(worker.bytes_out for worker in workers),
        sum(worker.messages for worker in workers),
    )


def format_bytes(count: int) -> str:
    """'512 bytes', '12.4 kB', '3.1 MB', '1.20 GB' (powers of 1000, as a class counts)."""
    if count < 1000:
        return f"{count:,} byte{'' if count == 1 else 's'}"
    for unit, size in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if count < size * 1000 or unit == "GB":
            value = count / size
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


NBSP = "\u00a0"  # "18 %" never breaks between the number and its sign


def format_share(share: float) -> str:
    """A share as a percentage, two significant figures where it is small: '18 %', '1.8 %',
    '0.04 %', '0 %' (with a no-break space)."""
    percent = 100 * share
    if percent <= 0:
        text = "0"
    elif percent >= 10:
        text = f"{percent:.0f}"
    elif percent >= 1:
        text = f"{percent:.1f}"
    elif percent >= 0.01:
        text = f"{percent:.2f}"
    else:
        text = "< 0.01"
    return f"{text}{NBSP}%"


def costs_sentence(workers: Sequence[WorkerSummary]) -> str:
    """The run's costs in words: 'Sent 12.4 MB in 3,210 messages and received 1.2 MB of tasks;
    sending took 18 % of the workers' time.'"""
    if not workers:
        return "No worker has reported yet."
    costs = run_costs(workers)
    sending = costs.shares[PARTS.index("sending")]
    # Any task that arrived came in a message of some bytes: none counted means not measured
    # (an executor whose workers do not count what they read: Dask).
    if costs.bytes_in:
        received = f"received {format_bytes(costs.bytes_in)} of tasks"
    else:
        received = "received tasks (their size is not measured for this executor)"
    return (
        f"Sent {format_bytes(costs.bytes_out)} in {costs.messages:,} messages and {received}; "
        f"sending took {format_share(sending)} of the workers' time."
    )


def shares_sentence(workers: Sequence[WorkerSummary]) -> str:
    """'Starting up 14 %, computing 52 %, waiting 30 %, sending 0.3 %, idle 4 %.'"""
    shares = run_costs(workers).shares
    measured_startup = any(worker.startup_s is not None for worker in workers)
    text = ", ".join(
        f"{part} {format_share(share)}"
        if measured_startup or part != PARTS[0]
        else f"{part} not measured"
        for part, share in zip(PARTS, shares, strict=True)
    )
    return text[0].upper() + text[1:] + "."
