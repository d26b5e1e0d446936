"""The command line: `run` and `sweep` drive the same engine as the window, headless.

`python -m app` with no command opens the window; `selftest` opens it and checks itself.
Bad input gets one line on stderr saying what is allowed, and exit code 2. Ctrl+C stops the
run cleanly (no worker left behind) and exits with 130; SIGTERM does the same and exits with
143, after printing what the run got done (its books stay exact: completed + failed +
cancelled == tasks). A reader that goes away early (`... | head`) ends the command quietly
with 141, as a shell reports a process killed by SIGPIPE. A mistyped option, command,
workload or executor gets a "did you mean" in that one line.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE = 128 + 13  # 128 + SIGPIPE, what a shell shows for a writer `head` cut off
EXIT_TERMINATED = 128 + 15  # 128 + SIGTERM
PROGRAM = "mpplayground"  # the name when nothing better is known (a test calling main())
# The names the command line is installed or built under (pyproject.toml, build.spec).
SCRIPT_NAMES = ("mpplayground", "mpplayground-cli", "MultiprocessingPlayground")
MAX_SELFTEST_TIMEOUT_S = 86_400  # a day; Qt's timers count milliseconds in a 32-bit int
MAX_MEASURE_S = 60.0
STOP_WAIT_S = 5.0  # after Ctrl+C, how long to wait for the workers to go and the books to close
LONGEST_NUMBER = 30  # characters; int() of thousands of digits is slow, or refused


_program = PROGRAM  # how this command was started: set by main(), used in every message


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. A KeyboardInterrupt, so that every place that stops the run on Ctrl+C
    stops it on SIGTERM too; only the exit code differs."""


class StoppedEarly(Exception):
    """Ctrl+C or SIGTERM stopped a run; `summary` holds what it got done (None if the run did
    not finish stopping in time). The command prints it, then ends as `interrupt` says."""

    def __init__(self, summary, interrupt: KeyboardInterrupt) -> None:
        super().__init__("stopped early")
        self.summary = summary
        self.interrupt = interrupt


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        # No abbreviations: `--worker 2` is a typo to point out, not a silent `--workers 2`.
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message: str) -> None:  # argparse prints usage over several lines
        choice = _INVALID_CHOICE.search(message)
        if choice and self._subparsers is not None:
            message += _did_you_mean(choice.group(1), _command_names(self))
        raise UsageError(f"{message} (see {self.prog} --help)")


def program_name(argv0: str | None = None) -> str:
    """The name the user started us by, for usage lines: the installed script's or the
    frozen executable's (`mpplayground-cli`), else `mpplayground`. `python -m app` says so
    itself (app/__main__.py)."""
    name = os.path.basename(sys.argv[0] if argv0 is None else argv0)
    for suffix in (".exe", "-script.pyw", "-script.py"):  # Windows launchers
        name = name.removesuffix(suffix)
    return name if name in SCRIPT_NAMES else PROGRAM


def _did_you_mean(word: str, choices) -> str:
    """ "; did you mean X?" for the closest of `choices`, or "" if none is close."""
    import difflib  # only for a mistake: a cold `run` need not pay for it

    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    action = parser._subparsers._group_actions[0]  # the one add_subparsers() made
    return list(action.choices)


def _subparser(parser: argparse.ArgumentParser, command: str | None):
    if command is None or parser._subparsers is None:
        return parser
    return parser._subparsers._group_actions[0].choices.get(command, parser)


def _unknown_option(parser: argparse.ArgumentParser, args, extras: list[str]) -> str:
    """One line for arguments no option took, with the closest option of that command."""
    sub = _subparser(parser, args.command)
    word = next((extra for extra in extras if extra.startswith("-")), extras[0])
    if not word.startswith("-"):
        return f"unexpected argument {word!r} (see {sub.prog} --help)"
    option = word.split("=", 1)[0]
    known = [text for text in sub._option_string_actions if text.startswith("--")]
    return f"unknown option {option}{_did_you_mean(option, known)} (see {sub.prog} --help)"


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """argparse, with a suggestion for an option that is not one of the command's."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        raise UsageError(_unknown_option(parser, args, extras))
    return args


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)'")


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    from app.engine.config import DEFAULT_START_METHOD, available_start_methods
    from app.workloads import WORKLOADS

    workloads = ", ".join(WORKLOADS)
    parser = _Parser(
        prog=program_name() if prog is None else prog,
        description="Multiprocessing Playground: watch a multiprocessing.Pool do its work. "
        "With no command, opens the window.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="{run,sweep,lesson,code,replay,selftest}", parser_class=_Parser
    )

    def add_job_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--workload", required=True, help=f"one of: {workloads} (any case)")
        sub.add_argument("--tasks", help="number of tasks (default: the workload's demo size)")
        sub.add_argument("--chunksize", default="0", help="tasks per chunk; 0 = auto (default)")
        sub.add_argument(
            "--start-method",
            default=DEFAULT_START_METHOD,
            help=f"one of: {', '.join(available_start_methods())} (default {DEFAULT_START_METHOD})",
        )
        sub.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        sub.add_argument(
            "--scheduler",
            default="",
            metavar="tcp://HOST:PORT",
            help="with --executor dask: run on this Dask cluster (default: a local one per run)",
        )

    run = commands.add_parser("run", help="run one job and print a summary")
    add_job_options(run)
    run.add_argument("--inputs", help="comma-separated inputs instead of --tasks, e.g. 4,2,3")
    run.add_argument(
        "--workers",
        default=str(_default_workers()),
        help="worker count (default: the CPU count, at most 8)",
    )
    run.add_argument("--executor", default="process", action=_ExecutorOption, help="one of: {}")
    run.add_argument(
        "--results",
        action="store_true",
        help="also print every result, in input order: as a `results` list in the JSON with "
        "--json, otherwise as a line `results: [...]` after the summary",
    )

    from app import cli_export

    cli_export.add_options(run)  # --trace, --csv

    sweep = commands.add_parser("sweep", help="the same job at several settings: speedup table")
    add_job_options(sweep)
    sweep.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2,4")
    sweep.add_argument(
        "--executor", default="process", action=_ExecutorOption, help="comma-separated, from: {}"
    )

    from app import cli_lessons, cli_replay

    cli_replay.add_record_option(run)
    cli_lessons.add_parser(commands)
    cli_replay.add_parser(commands)
    from app import cli_code

    cli_code.add_parser(commands, _default_workers(), _ExecutorOption)

    selftest = commands.add_parser("selftest", help="open the window, drive a run, check it")
    selftest.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    selftest.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window mid-run")
    selftest.add_argument("--tasks", default="200000", help="tasks per run (default 200000)")
    selftest.add_argument("--workload", default="power", help=f"one of: {workloads}")
    selftest.add_argument(
        "--executor", default="process", help="process, thread or serial (default process)"
    )
    selftest.add_argument(
        "--measure",
        default="2",
        metavar="SECONDS",
        help="press Start again until the heartbeat has watched runs for this long, so that "
        "its 99th percentile means something (default 2; 0 = one run)",
    )
    selftest.add_argument(
        "--timeout",
        default="120",
        help=f"seconds before giving up (1 to {MAX_SELFTEST_TIMEOUT_S:,})",
    )
    from app import cli_presenter

    cli_presenter.add_selftest_options(selftest)
    return parser


def _default_workers() -> int:
    from app.engine.config import cpu_count

    return min(cpu_count(), 8)


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """The command line; `prog` is how the user started it (default: from sys.argv[0])."""
    from app.gui import replace_missing_streams  # the package itself imports no Qt

    global _program
    _program = prog or program_name()
    replace_missing_streams()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] in (["run"], ["sweep"], ["lesson"]):  # commands that start workers
        from app.engine import spawning

        spawning.start_resource_tracker()  # now: it starts while the rest of us does
    try:
        parser = build_parser(_program)
        args = parse_arguments(parser, args_list)
        if args.command is None:
            from app.gui import launch

            return launch()
        if args.command == "selftest":
            code = _selftest(args)
        elif args.command == "code":
            from app import cli_code

            config = _config(args, args.executor, _whole_number(args.workers, "--workers"))
            code = cli_code.run(args, config, UsageError)
        else:
            with _sigterm_interrupts():
                if args.command == "lesson":
                    from app import cli_lessons

                    code = cli_lessons.run(args, UsageError)
                elif args.command == "replay":
                    from app import cli_replay

                    code = cli_replay.run(args, UsageError, _program)
                else:
                    code = _run(args) if args.command == "run" else _sweep(args)
        sys.stdout.flush()  # a closed pipe must show here, not at exit where nothing catches it
        return code
    except UsageError as exc:
        print(f"{_program}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Terminated:
        _tell(f"{_program}: terminated")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        _tell(f"{_program}: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_closed_pipes()
        return EXIT_BROKEN_PIPE


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While a command runs, SIGTERM (`kill`, a CI timeout, a service manager) stops it the way
    Ctrl+C does. Without this Python dies at once: no atexit, so nobody stops the workers."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers (a test may call main() elsewhere)
        return

    def interrupt(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _tell(message: str) -> None:
    """One line on stderr, on the way out: a stderr that nobody reads any more is no reason
    to end with a traceback."""
    with suppress(OSError):
        print(message, file=sys.stderr)


def _silence_closed_pipes() -> None:
    """What Python's docs advise for SIGPIPE: point stdout (and stderr) at the null device, so
    that the flush at exit does not fail again on the closed pipe and print a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):
            continue  # not a real file (a test's capture, a replaced stream): nothing to jam
    os.close(devnull)


@contextmanager
def _whole_ints_print() -> Iterator[None]:
    """Python refuses to turn an int of more than 4,300 digits into text (a guard against
    slow conversions of untrusted input, sys.set_int_max_str_digits). Results are the user's
    own numbers, asked for with --results: print them whole, as `print(1371**1371)` would with
    the limit lifted."""
    get_limit = getattr(sys, "get_int_max_str_digits", None)  # Python 3.11+, and 3.10.7+
    if get_limit is None:
        yield
        return
    previous = get_limit()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)


def _whole_number(text: str, option: str, low: int | None = None, high: int | None = None) -> int:
    """`text` as an int; with `low` and `high`, one within that range. Without them the
    engine checks the range, and says what is allowed."""
    if len(text) > LONGEST_NUMBER:
        raise UsageError(f"{option} must be a whole number, got {len(text):,} characters")
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise UsageError(f"{option} must be a whole number, got {text!r}") from None
    if low is not None and high is not None and not low <= value <= high:
        raise UsageError(f"{option} must be between {low:,} and {high:,}, got {value:,}")
    return value


def _seconds(text: str, option: str, low: float, high: float) -> float:
    """`text` as a number of seconds from `low` to `high`; never nan or infinite."""
    try:
        value = float(text) if len(text) <= LONGEST_NUMBER else math.inf
    except ValueError:
        raise UsageError(f"{option} must be a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        shown = text if len(text) <= LONGEST_NUMBER else f"{len(text):,} characters"
        raise UsageError(f"{option} must be {low:g} to {high:,g} seconds, got {shown}")
    return value


def workload_named(text: str) -> str:
    """The workload a person meant, in any case; otherwise one line naming the closest."""
    from app.workloads import WORKLOADS

    name = text.strip().lower()
    if name in WORKLOADS:
        return name
    raise UsageError(
        f"unknown workload {text!r}{_did_you_mean(name, WORKLOADS) or ';'} "
        f"choose from {', '.join(WORKLOADS)}"
    )


def executor_named(text: str):
    """The backend a person meant ("threads", "Process"); otherwise one line naming the closest
    of every word the backends answer to."""
    from app.engine import BACKENDS, backend_named

    backend = backend_named(text)
    if backend is not None:
        return backend
    words = [word for cls in BACKENDS.values() for word in (cls.name, cls.label, *cls.aliases)]
    raise UsageError(
        f"unknown executor {text!r}{_did_you_mean(text.strip(), dict.fromkeys(words)) or ';'} "
        f"choose from {_executor_words()}"
    )


class _ExecutorOption(argparse.Action):
    """--executor, whose help names every executor: filled in only when help is shown, since
    naming them all imports every backend's module (concurrent.futures among them), which a
    cold `run` on processes would otherwise pay for."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)

    @property
    def help(self) -> str:
        return self._template.format(_executor_words())

    @help.setter
    def help(self, template: str) -> None:
        self._template = template


def _executor_words() -> str:
    """ "process (processes), thread (threads), serial": the names, and the window's words."""
    from app.engine import BACKENDS

    return ", ".join(
        cls.name if cls.label == cls.name else f"{cls.name} ({cls.label})"
        for cls in BACKENDS.values()
    )


def _start_method(text: str) -> str:
    from app.engine.config import START_METHODS, available_start_methods

    if text in START_METHODS:
        return text  # the engine says if this OS lacks it
    methods = available_start_methods()
    raise UsageError(
        f"unknown start method {text!r}{_did_you_mean(text, methods) or ';'} "
        f"choose from {', '.join(methods)}"
    )


def warn_about_oversubscription(workload: str, backend, workers: int) -> None:
    """More workers than CPUs is allowed (the class should see what it does), but say once
    what to expect: CPU work cannot go faster than one worker per CPU."""
    from app.engine import cpu_count
    from app.workloads import IO_BOUND, WORKLOADS

    cpus = cpu_count()
    if workers <= cpus or backend.one_worker or WORKLOADS[workload].kind == IO_BOUND:
        return  # waiting (I/O) needs no CPU: there, more workers than CPUs do help
    print(
        f"note: {workers} {backend.label} on {cpus} CPUs: they take turns, so expect no more "
        f"than {cpus}x the speed of one",
        file=sys.stderr,
    )


def _config(
    args: argparse.Namespace,
    executor: str,
    workers: int,
    chunksize: int | None = None,
    start_method: str | None = None,
):
    from app.engine.config import ConfigError, RunConfig, parse_int_list

    inputs = getattr(args, "inputs", None)
    try:
        tasks = None if args.tasks is None else _whole_number(args.tasks, "--tasks")
        if inputs is not None:
            if tasks is not None:
                raise UsageError("give --tasks or --inputs, not both")
            parsed_inputs = parse_int_list(inputs, "--inputs", "4,2,3")
        else:
            parsed_inputs = None
            if tasks is None:
                from app.workloads import WORKLOADS

                tasks = WORKLOADS[workload_named(args.workload)].default_tasks
        return RunConfig(
            workload=workload_named(args.workload),
            tasks=tasks,
            inputs=parsed_inputs,
            executor=executor_named(executor).name,
            workers=workers,
            chunksize=_whole_number(args.chunksize, "--chunksize")
            if chunksize is None
            else chunksize,
            start_method=_start_method(start_method or args.start_method),
            scheduler=getattr(args, "scheduler", ""),
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _execute(config, show_progress: bool, label: str = "", observe=None, recording=None):
    """Run one job to the end, printing progress and events on stderr; Ctrl+C stops it.
    `observe`, if given, is called with every record (to save them: `--trace`, `--csv`);
    `recording`, if given, records the run as it goes (`--record`)."""
    from app.engine import Run

    run = Run(config) if recording is None else recording.wrap(Run(config))
    run.start()
    last_draw = 0.0
    failures_shown = 0
    try:
        # Loaded once the workers are asked for, while they start (see app.engine.lazy): the
        # records, and the statistics the summary reads.
        run.wait_until_asked(timeout=1.0)
        import app.stats  # noqa: F401
        from app.engine.records import (
            ExecutorNote,
            PoolRestarted,
            TaskFailed,
            WorkerDied,
            WorkerStuck,
        )

        while not run.finished:
            for event in run.poll(timeout=0.05, budget_s=0.1):
                if observe is not None:
                    observe(event)
                if isinstance(event, WorkerStuck):
                    _clear_line(show_progress)
                    print(f"worker {event.name} is stuck: {event.reason}", file=sys.stderr)
                elif isinstance(event, WorkerDied):
                    _clear_line(show_progress)
                    running = ", ".join(map(str, event.running[:8])) or "none"
                    print(
                        f"worker {event.name} (pid {event.pid}) died: {event.cause}; "
                        f"tasks it was running: {running}",
                        file=sys.stderr,
                    )
                elif isinstance(event, PoolRestarted):
                    _clear_line(show_progress)
                    what = "pool restarted" if event.pool_replaced else "tasks rescheduled"
                    print(
                        f"{what}: {event.retried} running task(s) retried, "
                        f"{event.requeued} queued task(s) sent again"
                        + (f" ({event.how})" if event.how else ""),
                        file=sys.stderr,
                    )
                elif isinstance(event, ExecutorNote):
                    _clear_line(show_progress)
                    print(event.text, file=sys.stderr)
                elif isinstance(event, TaskFailed) and failures_shown < 3:
                    failures_shown += 1
                    _clear_line(show_progress)
                    print(
                        f"task {event.index} failed: {event.exc_type}: {event.message}",
                        file=sys.stderr,
                    )
            now = time.perf_counter()
            if show_progress and now - last_draw > 0.1:
                last_draw = now
                _draw_progress(run, label)
    except BaseException as exc:  # Ctrl+C, SIGTERM, a closed pipe, a bug: leave no worker
        run.stop()
        if isinstance(exc, KeyboardInterrupt):
            with suppress(OSError):
                _clear_line(show_progress)
            _tell(f"{_program}: stopping...")
        summary = _wait_for_books(run, STOP_WAIT_S)
        if isinstance(exc, KeyboardInterrupt):
            raise StoppedEarly(summary, exc) from None
        raise
    _clear_line(show_progress)
    return run.summary


def _wait_for_books(run, timeout_s: float):
    """After `run.stop()`: the run's final summary (stopped, with exact books) once it has
    one, or None if it takes longer than `timeout_s`. A second Ctrl+C does not cut this short:
    the workers must be gone before the command ends."""
    deadline = time.perf_counter() + timeout_s
    while not run.finished:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        try:
            return run.wait(timeout=min(left, 0.25))
        except (TimeoutError, KeyboardInterrupt):
            continue
    return run.summary


def _draw_progress(run, label: str) -> None:
    progress = run.progress
    width = 30
    filled = int(width * progress.done / max(progress.total, 1))
    rate = progress.done / max(run.elapsed, 1e-9)
    line = (
        f"\r{label}[{'#' * filled}{'.' * (width - filled)}] {progress.done:,}/{progress.total:,}"
        f"  failed {progress.failed}  retried {progress.retried}  {rate:,.0f} tasks/s"
        f"  {run.elapsed:.1f} s"
    )
    sys.stderr.write(line)
    sys.stderr.flush()


def _clear_line(show_progress: bool) -> None:
    if show_progress:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _run(args: argparse.Namespace) -> int:
    config = _config(args, args.executor, _whole_number(args.workers, "--workers"))
    from app import cli_export

    log = cli_export.prepare(args, config, UsageError)  # --trace, --csv: checked before running
    warn_about_oversubscription(config.workload, executor_named(config.executor), config.workers)
    from app import cli_replay

    recording = cli_replay.start_recording(args, UsageError)  # --record FILE, checked now
    try:
        summary = _execute(
            config,
            show_progress=sys.stderr.isatty(),
            observe=log and log.add,
            recording=recording,
        )
    except StoppedEarly as stopped:
        if stopped.summary is not None:  # what got done before the stop, books exact
            _print_run(stopped.summary, as_json=args.json, results=args.results)
            if problem := cli_export.save(args, log, stopped.summary, _program):
                print(f"{_program}: error: {problem}", file=sys.stderr)
            if recording is not None:
                recording.save(_program)
        raise stopped.interrupt from None
    _print_run(summary, as_json=args.json, results=args.results)
    if problem := cli_export.save(args, log, summary, _program):
        print(f"{_program}: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if recording is not None and not recording.save(_program):
        return EXIT_FAILED
    if summary.error:
        print(f"{_program}: {summary.error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if summary.failed == 0 else EXIT_FAILED


def _print_run(summary, as_json: bool, results: bool) -> None:
    with _whole_ints_print():  # big ints stay JSON numbers: exact, and still valid JSON
        if as_json:
            from app.engine import current_platform

            data = summary.to_report_dict(include_results=results)
            data["python"] = current_platform().to_dict()
            import json

            print(json.dumps(data))
        else:
            print(format_summary(summary))
            if results:
                print("results:", summary.results)
    sys.stdout.flush()


def format_summary(summary) -> str:
    """A readable summary of a finished (or stopped) run, for a terminal."""
    from app.engine import backend_named, describe_exit

    backend = backend_named(summary.executor)
    how = summary.executor if backend is None else backend.label
    if backend is not None and backend.uses_start_method and summary.start_method:
        how += f" ({summary.start_method})"
    chunks = "auto" if summary.chunksize == 0 else str(summary.chunksize)
    lines = [
        f"{summary.workload}: {summary.tasks:,} tasks on {summary.workers} {how}, "
        f"chunksize {chunks} ({summary.chunks:,} chunks)",
        f"  completed {summary.completed:,}   failed {summary.failed:,}   "
        f"retried {summary.retried:,}   cancelled {summary.cancelled:,}",
        f"  wall {summary.wall_s:.3f} s   start-up {summary.startup_s:.3f} s   "
        f"throughput {summary.throughput:,.1f} tasks/s",
        f"  {'worker':<23} {'pid':>7} {'tasks':>10} {'busy s':>8} {'tasks/s':>11} {'busy':>6} "
        f"{'waiting':>7}",
    ]
    for worker in summary.per_worker:
        waiting = worker.wait_s / worker.busy_s if worker.busy_s > 0 else 0.0
        lines.append(
            f"  {worker.name[:23]:<23} {worker.pid:>7} {worker.tasks:>10,} {worker.busy_s:>8.3f} "
            f"{worker.throughput:>11,.1f} {worker.utilisation:>6.0%} {waiting:>7.0%}"
        )
    if summary.per_worker:
        lines.append(
            "  waiting: the part of busy time with no CPU (waiting for the GIL, or for I/O)"
        )
        lines.extend(_costs_lines(summary.per_worker))
    for pid, code in summary.deaths:
        lines.append(f"  worker pid {pid} died: {describe_exit(code)}")
    if summary.stopped:
        lines.append(f"  stopped before the end: {summary.cancelled:,} task(s) never ran")
    return "\n".join(lines)


def _costs_lines(workers) -> list[str]:
    """Where the workers' time went, in words, wrapped for a terminal."""
    import textwrap

    from app.stats import costs_sentence, shares_sentence

    text = f"{costs_sentence(workers)} {shares_sentence(workers)}".replace("\u00a0", " ")
    return textwrap.wrap(text, width=78, initial_indent="  ", subsequent_indent="  ")


def _sweep(args: argparse.Namespace) -> int:
    from app.engine.config import DEFAULT_START_METHOD, parse_int_list

    try:
        worker_counts = parse_int_list(args.workers, "--workers", "1,2,4")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    executors = [executor_named(name) for name in args.executor.split(",")]
    try:
        chunksizes = parse_int_list(args.chunksize, "--chunksize", "1,10,0")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    methods = [_start_method(name) for name in args.start_method.split(",")]
    # Each setting once: serial is one worker whatever --workers says, and threads and serial
    # have no start method, so those would otherwise run the same job twice.
    configs = list(
        dict.fromkeys(
            _config(
                args,
                backend.name,
                workers,
                chunksize,
                method if backend.uses_start_method else DEFAULT_START_METHOD,
            )
            for backend in executors
            for workers in worker_counts
            for chunksize in chunksizes
            for method in methods
        )
    )
    most = max(configs, key=lambda config: (config.workers, config.executor == "process"))
    warn_about_oversubscription(most.workload, executor_named(most.executor), most.workers)
    rows = []
    for config in configs:
        label = f"{config.executor} x{config.workers} "
        if len(chunksizes) > 1:
            label += f"chunksize {config.chunksize or 'auto'} "
        if len(methods) > 1:
            label += f"{config.start_method} "
        try:
            summary = _execute(config, show_progress=sys.stderr.isatty(), label=label)
        except StoppedEarly as stopped:
            if stopped.summary is not None:  # the runs done so far, and the one cut short
                _print_sweep(config.workload, [*rows, stopped.summary], as_json=args.json)
            raise stopped.interrupt from None
        if summary.error:
            print(f"{_program}: {summary.error}", file=sys.stderr)
            return EXIT_FAILED
        rows.append(summary)
    _print_sweep(configs[0].workload, rows, as_json=args.json)
    return EXIT_OK if all(r.failed == 0 for r in rows) else EXIT_FAILED


def _print_sweep(workload: str, runs: list, as_json: bool) -> None:
    """The sweep's table: each run against 1 worker of its own executor and against a serial
    run, by the rules of `app.stats.comparison`; a run with no such baseline says so."""
    from app.stats.comparison import NO_ONE_WORKER_RUN, compare, format_factor

    def named(against) -> str | None:
        return None if against is None else f"{against.baseline.executor} x1"

    table = []
    for row in compare(runs):
        summary, one, serial = row.run, row.against_one_worker, row.against_serial
        table.append(
            {
                "executor": summary.executor,
                "workers": summary.workers,
                "chunksize": summary.chunksize,
                "start_method": summary.start_method,
                "tasks": summary.tasks,
                "completed": summary.completed,
                "failed": summary.failed,
                "wall_s": summary.wall_s,
                "throughput": summary.throughput,
                "speedup": None if one is None else one.factor,
                "efficiency": None if one is None else one.efficiency,
                "baseline": named(one),
                "speedup_vs_serial": None if serial is None else serial.factor,
                "serial_baseline": named(serial),
                "not_compared": row.not_compared or (NO_ONE_WORKER_RUN if one is None else None),
            }
        )
    if as_json:
        import json

        print(json.dumps({"workload": workload, "rows": table}))
        return
    with_serial = any(row["speedup_vs_serial"] is not None for row in table)
    against = "1 worker of the same kind" + (", and against serial" if with_serial else "")
    print(f"{workload}: {runs[0].tasks:,} tasks; speedup against {against}")
    chunks = len({row["chunksize"] for row in table}) > 1  # columns only for what varies
    methods = len({row["start_method"] for row in table}) > 1
    print(
        f"  {'executor':<9} {'workers':>7}"
        + (f" {'chunksize':>9}" if chunks else "")
        + (f" {'start':>10}" if methods else "")
        + f" {'wall s':>8} {'tasks/s':>12} {'speedup':>15} {'efficiency':>10}"
        + (f" {'vs serial':>9}" if with_serial else "")
    )
    for row in table:
        if row["speedup"] is None:
            gain, share = row["not_compared"], "-"
        else:
            gain, share = format_factor(row["speedup"], "x"), f"{row['efficiency']:.0%}"
        line = (
            f"  {row['executor']:<9} {row['workers']:>7}"
            + (f" {row['chunksize'] or 'auto':>9}" if chunks else "")
            + (f" {row['start_method'] or '-':>10}" if methods else "")
            + f" {row['wall_s']:>8.3f} {row['throughput']:>12,.1f} {gain:>15} {share:>10}"
        )
        if with_serial:
            serial = row["speedup_vs_serial"]
            line += f" {'-' if serial is None else format_factor(serial, 'x'):>9}"
        print(line)


def _selftest(args: argparse.Namespace) -> int:
    workload = workload_named(args.workload)
    from app.gui.controls import MAX_GUI_TASKS

    tasks = _whole_number(args.tasks, "--tasks", 1, MAX_GUI_TASKS)
    measure_s = _seconds(args.measure, "--measure", 0, MAX_MEASURE_S)
    timeout_s = _seconds(args.timeout, "--timeout", 1, MAX_SELFTEST_TIMEOUT_S)
    from app import cli_presenter

    view = cli_presenter.selftest_view(args, UsageError)  # --zoom, --size
    from app.gui.selftest import run_selftest, screenshot_problem

    if args.screenshot is not None:
        problem = screenshot_problem(args.screenshot)
        if problem:
            raise UsageError(problem)
    executor = executor_named(args.executor).name
    report = run_selftest(
        **view,
        tasks=tasks,
        workload=workload,
        executor=executor,
        screenshot=args.screenshot,
        timeout_s=timeout_s,
        min_measure_s=measure_s,
    )
    if args.json:
        import json

        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return EXIT_OK if report.get("ok") else EXIT_FAILED
