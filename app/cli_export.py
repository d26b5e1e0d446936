"""`run --trace FILE` and `run --csv FILE`: save what a command-line run did.

--trace FILE  the timeline as a Chrome trace (open it at https://ui.perfetto.dev)
--csv FILE    one row per task, or per block of tiny tasks: worker, when, CPU time

Both paths are checked before the run starts, so a typo costs one line (exit 2), not a run.
The summary the command prints is unchanged; one line on stderr says what was written.
"""

from __future__ import annotations

import argparse
import os
import sys

# `run` imports this module for its options; the records and the run log load only when a
# file was asked for (a cold `run` pays some 10 ms for them otherwise).

PERFETTO = "https://ui.perfetto.dev"


def add_options(run_parser: argparse.ArgumentParser) -> None:
    run_parser.add_argument(
        "--trace",
        metavar="FILE",
        help=f"save the timeline as a Chrome trace (JSON) to open at {PERFETTO}",
    )
    run_parser.add_argument(
        "--csv", metavar="FILE", help="save one row per task (or block of tiny tasks) as CSV"
    )


def path_problem(path: str) -> str | None:
    """Why `path` cannot be written, in a few words, or None if it can be."""
    if not path.strip():
        return "an empty file name"
    if os.path.isdir(path):
        return f"{path} is a folder"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"there is no folder {folder}"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"{path} cannot be written"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} cannot be written in"
    return None


def prepare(args: argparse.Namespace, config, usage_error: type[Exception]):
    """A log to feed with the run's records if a file was asked for; None if not. A path that
    cannot be written is a usage error, before anything runs."""
    wanted = [(option, path) for option, path in (("--trace", args.trace), ("--csv", args.csv))
              if path is not None]  # fmt: skip
    if not wanted:
        return None
    for option, path in wanted:
        problem = path_problem(path)
        if problem:
            raise usage_error(f"{option} {path!r}: {problem}")
    if len(wanted) == 2 and os.path.abspath(args.trace) == os.path.abspath(args.csv):
        raise usage_error("--trace and --csv name the same file; give each its own")
    from app.stats.run_log import RunAbout, RunLog

    return RunLog(RunAbout.of_config(config))


def save(args: argparse.Namespace, log, summary, program: str) -> str | None:
    """Write the files asked for; a one-line problem if one could not be written, else None."""
    if log is None:
        return None
    from app.engine.records import RunFinished
    from app.stats.tables import write_tasks_csv
    from app.stats.trace import write_trace

    if summary is not None and log.summary is None:  # a stopped run's books, closed after Ctrl+C
        log.add(RunFinished(summary))
    not_kept = f" ({log.blocks_not_kept:,} later blocks not kept)" if log.blocks_not_kept else ""
    try:
        if args.trace is not None:
            events = write_trace(log, args.trace)
            print(
                f"{program}: wrote the timeline, {events:,} trace events{not_kept}, to "
                f"{args.trace}: open it at {PERFETTO}",
                file=sys.stderr,
            )
        if args.csv is not None:
            rows = write_tasks_csv(log, args.csv)
            print(
                f"{program}: wrote {rows:,} rows (a task or a block of tasks each){not_kept} "
                f"to {args.csv}",
                file=sys.stderr,
            )
    except OSError as exc:
        return f"could not write {exc.filename or 'the file'}: {exc.strerror or exc}"
    return None
