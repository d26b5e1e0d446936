"""The run history stays cheap however long the day: adding a run touches its own row and the
rows waiting for the baseline it is, never every row (a full table used to freeze the window for
1 s). A row keeps the figures it was measured with."""

from __future__ import annotations

import time

import pytest

from app.engine.records import RunSummary
from app.gui.history import COLUMNS, MAX_ROWS, NO_BASELINE, ROWS_SHOWN, HistoryTable

SPEEDUP = COLUMNS.index("Speedup")
AGAINST_SERIAL = COLUMNS.index("Against serial")


def finished(
    workload: str, workers: int, wall_s: float = 1.0, executor: str = "process"
) -> RunSummary:
    return RunSummary(
        workload=workload,
        executor=executor,
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


def test_a_new_baseline_fills_in_only_the_rows_of_its_own_experiment(history):
    cells = CellsChanged(history)
    for i in range(MAX_ROWS + 20):
        history.add(finished(f"job{i}", workers=2))
    for workers in (2, 3, 4):
        history.add(finished("primes", workers=workers, wall_s=1.0 / workers))
    written = add_counted(history, cells, finished("primes", workers=1, wall_s=2.0))
    assert written <= len(COLUMNS) + 3
    speedups = [row[SPEEDUP] for row in history.rows() if row[0] == "primes"]
    assert speedups == [
        "4.00×  (200% per worker)",
        "6.00×  (200% per worker)",
        "8.00×  (200% per worker)",
        "1.00× (the baseline)",
    ]


def test_a_baseline_leaving_the_history_leaves_the_figures_it_measured(history):
    cells = CellsChanged(history)
    history.add(finished("primes", workers=1, wall_s=2.0))
    for workers in (2, 3, 4):
        history.add(finished("primes", workers=workers, wall_s=1.0 / workers))
    for i in range(MAX_ROWS - 4):
        history.add(finished(f"job{i}", workers=2))
    assert history.rows()[0][SPEEDUP] == "1.00× (the baseline)"
    written = add_counted(history, cells, finished("one-too-many", workers=2))
    assert written <= len(COLUMNS)
    speedups = [row[SPEEDUP] for row in history.rows() if row[0] == "primes"]
    assert speedups == [
        "4.00×  (200% per worker)",
        "6.00×  (200% per worker)",
        "8.00×  (200% per worker)",
    ]
    history.add(finished("primes", workers=2, wall_s=0.5))
    assert history.rows()[-1][SPEEDUP] == NO_BASELINE, "nor does it measure new ones"


def test_a_newer_one_worker_run_does_not_change_a_row_already_shown(history):
    history.add(finished("primes", workers=1, wall_s=1.97))
    history.add(finished("primes", workers=2, wall_s=1.0))
    history.add(finished("primes", workers=1, wall_s=1.46))
    history.add(finished("primes", workers=2, wall_s=1.0))
    speedups = [row[SPEEDUP] for row in history.rows()]
    assert speedups[1] == "1.97×  (98% per worker)"
    assert speedups[3] == "1.46×  (73% per worker)"


def test_rows_show_their_speedup_against_serial_too(history):
    history.add(finished("primes", workers=2, wall_s=1.0))
    assert history.rows()[-1][AGAINST_SERIAL] == ""
    history.add(finished("primes", workers=1, wall_s=1.9, executor="serial"))
    history.add(finished("primes", workers=1, wall_s=2.0))
    rows = history.rows()
    assert [row[AGAINST_SERIAL] for row in rows] == ["1.90×", "1.00× (serial)", "0.95×"]
    assert rows[0][SPEEDUP] == "2.00×  (100% per worker)"
    assert history.speedup_text(history.runs[0]).endswith("; 1.90× against serial")


def test_the_gil_lesson_and_a_serial_run_fit_in_a_1280_by_720_window(qtbot, settings_path):
    from app.gui.window import MainWindow

    window = MainWindow(settings_path=settings_path, remember_settings=False)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    for executor in ("process", "thread"):
        for workers in (1, 2):
            window.history.add(finished("primes", workers=workers, executor=executor))
    window.history.add(finished("primes", workers=1, executor="serial"))
    table = window.history.table
    table.scrollToTop()
    shown = [
        row
        for row in range(table.rowCount())
        if table.viewport().rect().contains(table.visualRect(table.model().index(row, 0)))
    ]
    assert len(shown) >= ROWS_SHOWN >= 4, f"{len(shown)} rows in {window.history.height()} px"
