"""The "who took it" table the workers write their pid into, and the supervisor reads."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from app.engine.config import available_start_methods
from app.engine.slot_table import SlotTable


def _take(table: SlotTable, slot: int) -> None:
    table[slot] = os.getpid()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", available_start_methods())
def test_a_worker_process_writes_its_pid_where_the_parent_reads_it(method):
    table = SlotTable(300)
    table[7] = 42
    process = multiprocessing.get_context(method).Process(target=_take, args=(table, 299))
    process.start()
    process.join(30)
    assert process.exitcode == 0
    assert table[299] == process.pid
    assert table[7] == 42 and table[0] == 0
    assert len(table) == 300


def test_slots_hold_any_pid_and_a_slot_outside_the_table_is_an_error():
    table = SlotTable(4)
    table[3] = 2**40  # 64-bit slots: any pid an OS gives
    assert table[3] == 2**40
    with pytest.raises(IndexError):
        table[4] = 1


def test_the_table_loads_neither_ctypes_nor_sharedctypes():
    import subprocess
    import sys

    code = (
        "import sys; from app.engine.slot_table import SlotTable; SlotTable(8)[1] = 5; "
        "print(sorted({'ctypes', 'multiprocessing.sharedctypes'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
