"""How big a recorded run's file is, and how long it takes to read back.

    python benchmarks/recording_size.py                         # 1,000,000 power tasks, auto chunks
    python benchmarks/recording_size.py --tasks 200000 --chunksize 1   # one block per task

Records the run through `python -m app run --record` (a fresh process, as a user would), then
loads the file here several times: the median load time is what Open run… costs the window's
loading thread, and what `replay` costs before it prints.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.recording import load  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="power")
    parser.add_argument("--tasks", default="1000000")
    parser.add_argument("--workers", default="2")
    parser.add_argument("--chunksize", default="0")
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.mpprun"
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "app", "run", "--workload", args.workload, "--tasks",
             args.tasks, "--workers", args.workers, "--chunksize", args.chunksize, "--record",
             str(path)],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        run_s = time.perf_counter() - began
        size = path.stat().st_size
        text = len(gzip.decompress(path.read_bytes()))
        times = []
        for _ in range(args.loads):
            began = time.perf_counter()
            recording = load(path)
            times.append(time.perf_counter() - began)
    summary = recording.summary
    print(
        f"{args.workload}: {summary.tasks:,} tasks, chunksize {args.chunksize} "
        f"({summary.chunks:,} chunks), {recording.record_count:,} records in "
        f"{len(recording.polls):,} polls; run {run_s:.1f} s (wall {summary.wall_s:.2f} s)"
    )
    print(f"  file {size:,} bytes gzip ({text:,} bytes of JSON)")
    print(
        f"  load: median {statistics.median(times) * 1000:.1f} ms, "
        f"min {min(times) * 1000:.1f} ms over {len(times)} loads"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
