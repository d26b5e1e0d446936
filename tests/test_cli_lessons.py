"""`python -m app lesson`: list, run headless, JSON, and bad names."""

from __future__ import annotations

import json

import pytest

from app import cli
from app.lessons import LESSONS
from tests.test_cli import run_cli
from tests.test_engine import wait_for_no_children


def test_lesson_list_names_every_lesson_and_its_question(capsys):
    assert cli.main(["lesson", "--list"]) == 0
    out = capsys.readouterr().out
    for lesson in LESSONS.values():
        assert lesson.name in out and lesson.question in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["lesson"], "lesson needs a name, one of: tutorial, gil"),
        (["lesson", "gill"], "unknown lesson 'gill'; did you mean gil?"),
        (["lesson", "nonsense"], "unknown lesson 'nonsense'; choose from tutorial"),
    ],
)
def test_a_bad_lesson_name_is_one_line_and_exit_2(capsys, args, expected):
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.timeout(60)
def test_the_tutorial_lesson_prints_who_computed_what_and_the_process_queue_example():
    done = run_cli("lesson", "Tutorial", "--quick", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["lesson"] == "tutorial"
    (row,) = report["rows"]
    assert (row["workers"], row["chunksize"], row["tasks"]) == (min(4, 2 * (os_cpus())), 1, 8)
    lines = report["printout"]
    assert lines[0].startswith("4**4 = 256   computed by ") and "(pid " in lines[0]
    assert sum("put 0." in line for line in lines) == 4
    assert "[256, 4, 27, 3125, 27, 4, 1, 4]" in report["conclusion"]
    assert wait_for_no_children() == []


@pytest.mark.timeout(90)
def test_a_quick_scaling_lesson_reports_rows_speedups_and_amdahl():
    done = run_cli("lesson", "scaling", "--quick", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = report["rows"]
    assert [row["workers"] for row in rows] == list(range(1, 2 * os_cpus() + 1))
    assert rows[0]["speedup"] == 1.0 and all(row["wall_s"] > 0 for row in rows)
    assert 0.0 <= report["amdahl"]["serial_fraction"] <= 1.0
    assert report["conclusion"].startswith("Speedup by workers: 1: 1.00×")


def os_cpus() -> int:
    from app.engine import cpu_count

    return cpu_count()
