"""`run --record FILE` and `replay FILE`: record a run on one computer, show it on another.

python -m app run --workload primes --workers 64 --record server.mpprun
python -m app replay server.mpprun [--json]

`replay` prints what `run` printed when the run was recorded: the same summary, or with
`--json` the same object, whose "python" is the recording machine's. A file that cannot be
read is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import sys
from pathlib import Path

# `run` imports this module for --record; recording and replaying load only when used (a cold
# `run` pays some 10 ms for them otherwise).


def add_record_option(run_parser: argparse.ArgumentParser) -> None:
    run_parser.add_argument(
        "--record",
        metavar="FILE",
        help="save the whole run to FILE (.mpprun) to replay it later, here or elsewhere",
    )


def add_parser(commands) -> None:
    replay = commands.add_parser(
        "replay", help="print the summary of a run recorded with run --record"
    )
    replay.add_argument("file", help="a .mpprun file")
    replay.add_argument("--json", action="store_true", help="print one JSON object on stdout")


class CommandLineRecording:
    """`--record FILE`: wraps the run in a Recorder, and writes the file when it has ended."""

    def __init__(self, path: str, usage_error: type[Exception]) -> None:
        self.path = Path(path)
        folder = self.path.parent
        if self.path.is_dir():
            raise usage_error(f"--record needs a file name, and {path} is a folder")
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise usage_error(f"--record {path}: cannot write in {folder}")
        self._usage_error = usage_error
        self.recorder = None  # an app.engine.recording.Recorder, once the run is wrapped

    def wrap(self, run):
        """The run, recording itself to the file as it goes (nothing kept in memory)."""
        from app.engine.recording import RecordingError, record_to

        try:
            self.recorder = record_to(self.path, run)
        except RecordingError as error:
            raise self._usage_error(f"--record: {error}") from None
        # Ended by anything but the end of the run (a closed pipe, a bug): no .part file left.
        atexit.register(self.recorder.writer.abort)
        return self.recorder

    def save(self, program: str) -> bool:
        """Give the file its name and say so on stderr, or say in one line why there is none."""
        from app.engine.recording import RecordingError

        try:
            if self.recorder is None:
                raise RecordingError("the run never started")
            size = self.recorder.finish_file()
        except RecordingError as error:
            _tell(f"{program}: not recorded: {error}")
            return False
        _tell(f"recorded to {self.path} ({size:,} bytes)")
        return True


def _tell(message: str) -> None:
    with contextlib.suppress(OSError):  # a stderr nobody reads is no reason for a traceback
        print(message, file=sys.stderr)


def start_recording(args: argparse.Namespace, usage_error: type[Exception]):
    """The recording `run --record` asked for, its path checked before the run; else None."""
    path = getattr(args, "record", None)
    return None if path is None else CommandLineRecording(path, usage_error)


def run(args: argparse.Namespace, usage_error: type[Exception], program: str) -> int:
    """`replay FILE`: the recorded run's summary, as `run` printed it."""
    from app.cli import format_summary
    from app.engine.recording import RecordingError, load
    from app.engine.replay import END, ReplayRun

    try:
        recording = load(args.file)
    except RecordingError as error:
        raise usage_error(str(error)) from None
    replay = ReplayRun(recording, speed=END)
    summary = replay.wait()
    when = f" at {recording.recorded_at}" if recording.recorded_at else ""
    print(
        f"replayed from {Path(args.file).name}, recorded on {recording.machine.describe()}{when}",
        file=sys.stderr,
    )
    if args.json:
        data = summary.to_report_dict()
        data["python"] = recording.machine.python_dict()
        print(json.dumps(data))
    else:
        print(format_summary(summary))
    if summary.error:
        print(f"{program}: {summary.error}", file=sys.stderr)
    return 0 if summary.error is None and summary.failed == 0 else 1
