"""`lesson`: run one lesson headless and print its table and conclusion (`--json`: one object).

python -m app lesson --list
python -m app lesson gil [--quick] [--json]
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import sys

# The lessons (and the statistics they read) load only for `lesson`: every command builds
# this parser, and a cold `run` would pay some 10 ms for them.


def add_parser(commands) -> None:
    lesson = commands.add_parser(
        "lesson", help="run a lesson: a comparison in one press, and what it shows"
    )
    lesson.add_argument("name", nargs="?", help="which lesson: --list names them all")
    lesson.add_argument("--list", action="store_true", help="list the lessons and their questions")
    lesson.add_argument("--quick", action="store_true", help="small task counts, one run each")
    lesson.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run(args: argparse.Namespace, usage_error: type[Exception]) -> int:
    from app.lessons import LESSONS

    if args.list:
        for lesson in LESSONS.values():
            print(f"{lesson.name:14} {lesson.title}\n{'':14} {lesson.question}")
        return 0
    name = (args.name or "").strip().lower()
    if name not in LESSONS:
        known = ", ".join(LESSONS)
        if not name:
            raise usage_error(f"lesson needs a name, one of: {known}")
        close = difflib.get_close_matches(name, LESSONS, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else f"; choose from {known}"
        raise usage_error(f"unknown lesson {args.name!r}{hint}")
    from app.control.lesson_runner import LessonRunner
    from app.engine import cpu_count

    runner = LessonRunner(LESSONS[name], cpu_count(), quick=args.quick)
    if not args.json:
        print(f"{runner.lesson.title}: {runner.lesson.question}", flush=True)

    def progress(case, summary) -> None:
        if not args.json:
            print(
                f"  run {len(runner.finished)}/{len(runner.plan)}: {case.label}: "
                f"{summary.wall_s:.2f} s",
                file=sys.stderr,
                flush=True,
            )

    runner.run_headless(on_finished=progress)
    report = lesson_report(runner)
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report))
    return 0 if runner.ended_early is None else 1


def lesson_report(runner) -> dict:
    rows = [
        {
            "workload": p.case.workload,
            "executor": p.case.executor,
            "workers": p.case.workers,
            "chunksize": p.case.chunksize,
            "start_method": p.case.start_method,
            "tasks": p.tasks,
            "wall_s": p.wall.median,
            "spread": p.wall.spread,
            "noisy": p.noisy,
            "startup_s": p.startup.median,
            "throughput": p.throughput,
            "speedup": p.speedup,
            "efficiency": p.efficiency,
            "against": p.baseline or None,
            "runs": p.wall.count,
        }
        for p in runner.points()
    ]
    report = {
        "lesson": runner.lesson.name,
        "title": runner.lesson.title,
        "rows": rows,
        "conclusion": runner.conclusion(),
        "printout": runner.printout() + runner.demo_lines,
    }
    fit = runner.amdahl()
    if fit is not None:
        ceiling = fit.max_speedup
        report["amdahl"] = {
            "serial_fraction": fit.serial_fraction,
            "max_speedup": None if math.isinf(ceiling) else ceiling,
        }
    return report


def format_report(report: dict) -> str:
    lines = [
        f"  {'executor':9} {'workers':>7} {'chunksize':>9} {'start':>10} {'wall s':>8} "
        f"{'spread':>7} {'tasks/s':>10} {'speedup':>8}"
    ]
    for row in report["rows"]:
        speedup = f"{row['speedup']:.2f}x" if row["speedup"] is not None else "-"
        noisy = " noisy" if row["noisy"] else ""
        lines.append(
            f"  {row['executor']:9} {row['workers']:>7} {row['chunksize'] or 'auto':>9} "
            f"{row['start_method']:>10} {row['wall_s']:>8.3f} {row['spread']:>6.0%} "
            f"{row['throughput']:>10,.1f} {speedup:>8}{noisy}"
        )
    lines.append("")
    lines += report["printout"]
    lines.append(report["conclusion"])
    return "\n".join(lines)
