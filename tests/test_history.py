"""The run history stays cheap however long the day: adding a run touches its own row and the
rows whose speedup it changes, never every row (a full table used to freeze the window for 1 s)."""

from __future__ import annotations

import time

import pytest

from app.engine.records import RunSummary
from app.gui.history import COLUMNS, MAX_ROWS, NO_BASELINE, HistoryTable


def finished(workload: str, workers: int, wall_s: float = 1.0) -> RunSummary:
    return RunSummary(
        workload=workload,
        executor="process",
        workers=workers,
        start_method="spawn",
        chunksize=0,
        tasks=48,
        completed=48,
        failed=0,
        cancelled=0,
        retried=0,
        chunks=4,
        wall_s=wall_s,
        startup_s=0.1,
        throughput=48 / wall_s,
    )


@pytest.fixture
def history(qtbot):
    table = HistoryTable()
    qtbot.addWidget(table)
    table.resize(900, 300)
    table.show()
    qtbot.waitExposed(table)
    return table


class CellsChanged:
    """Counts the table cells whose text the history sets: the work one `add` does."""

    def __init__(self, history: HistoryTable) -> None:
        self.count = 0
        history.table.model().dataChanged.connect(self._on_changed)

    def _on_changed(self, top_left, bottom_right, *_roles) -> None:
        rows = bottom_right.row() - top_left.row() + 1
        columns = bottom_right.column() - top_left.column() + 1
        self.count += rows * columns


def add_counted(history: HistoryTable, cells: CellsChanged, summary: RunSummary) -> int:
    cells.count = 0
    history.add(summary)
    return cells.count


def test_adding_to_a_full_history_writes_one_row_and_stays_fast(history, qapp):
    cells = CellsChanged(history)
    took_ms = []
    for i in range(150):
        began = time.perf_counter()
        written = add_counted(history, cells, finished(f"job{i}", workers=2))
        qapp.processEvents()
        took_ms.append((time.perf_counter() - began) * 1000)
        assert written <= len(COLUMNS), f"add #{i + 1} wrote {written} cells"
    rows = history.rows()
    assert len(rows) == MAX_ROWS
    assert rows[-1][0] == "job149" and rows[0][0] == f"job{150 - MAX_ROWS}"
    # The least of the last ten: a loaded machine cannot make all ten slow; the bug took 800 ms.
    assert min(took_ms[-10:]) < 300, f"adds with a full table took {took_ms[-10:]} ms"


def test_a_new_baseline_rewrites_only_the_speedups_of_its_own_experiment(history):
    cells = CellsChanged(history)
    for i in range(MAX_ROWS + 20):
        history.add(finished(f"job{i}", workers=2))
    for workers in (2, 3, 4):
        history.add(finished("primes", workers=workers, wall_s=1.0 / workers))
    written = add_counted(history, cells, finished("primes", workers=1, wall_s=2.0))
    assert written <= len(COLUMNS) + 3
    speedups = [row[-1] for row in history.rows() if row[0] == "primes"]
    assert speedups == [
        "4.00×  (200% per worker)",
        "6.00×  (200% per worker)",
        "8.00×  (200% per worker)",
        "1.00× (the baseline)",
    ]


def test_a_baseline_leaving_the_history_rewrites_only_the_runs_it_measured(history):
    cells = CellsChanged(history)
    history.add(finished("primes", workers=1, wall_s=2.0))
    for workers in (2, 3, 4):
        history.add(finished("primes", workers=workers, wall_s=1.0 / workers))
    for i in range(MAX_ROWS - 4):
        history.add(finished(f"job{i}", workers=2))
    assert history.rows()[0][-1] == "1.00× (the baseline)"
    written = add_counted(history, cells, finished("one-too-many", workers=2))
    assert written <= len(COLUMNS) + 3
    speedups = [row[-1] for row in history.rows() if row[0] == "primes"]
    assert speedups == [NO_BASELINE] * 3
