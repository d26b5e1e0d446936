"""`code`: print the Python script that does what `run` with the same options does.

python -m app code --workload primes --tasks 48 --workers 2
python -m app code --workload power --inputs 4,2,3,5 --executor thread > power.py

The options are `run`'s, checked the same way (one line and exit code 2 for bad input); the
script comes from `app.control.codegen`, the same text as the window's Code tab.
"""

from __future__ import annotations

import argparse

from app.engine.config import DEFAULT_START_METHOD, available_start_methods
from app.workloads import WORKLOADS


def add_parser(commands, default_workers: int, executor_option: type[argparse.Action]) -> None:
    """`executor_option`: the command line's --executor action, which names every executor in
    its help (a "{}" in it) only when help is shown."""
    code = commands.add_parser(
        "code", help="print a runnable Python script that does what `run` would do"
    )
    code.add_argument("--workload", required=True, help=f"one of: {', '.join(WORKLOADS)}")
    code.add_argument("--tasks", help="number of tasks (default: the workload's demo size)")
    code.add_argument("--inputs", help="comma-separated inputs instead of --tasks, e.g. 4,2,3")
    code.add_argument(
        "--workers",
        default=str(default_workers),
        help="worker count (default: the CPU count, at most 8)",
    )
    code.add_argument("--executor", default="process", action=executor_option, help="one of: {}")
    code.add_argument("--chunksize", default="0", help="tasks per chunk; 0 = auto (default)")
    code.add_argument(
        "--start-method",
        default=DEFAULT_START_METHOD,
        help=f"one of: {', '.join(available_start_methods())} (default {DEFAULT_START_METHOD})",
    )


def run(args: argparse.Namespace, config, usage_error: type[Exception]) -> int:
    """Print the script for `config` (checked by the command line as for `run`)."""
    from app.control.codegen import ScriptUnavailable, script_for

    try:
        script = script_for(config)
    except ScriptUnavailable as exc:
        raise usage_error(str(exc)) from None
    print(script, end="")
    return 0
