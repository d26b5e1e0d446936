"""What the window's CPU and memory meters cost the GUI thread: one sample with 16 and 64 worker
processes alive (plain sleeping Pythons stand in for workers), against reading every worker's
memory in every sample.

    python benchmarks/meters_cost.py                  # 16 and 64 workers, 200 samples each
    python benchmarks/meters_cost.py --workers 8,128 --samples 500

Prints the median and the 99th percentile, in microseconds, of: `psutil.cpu_percent(percpu=True,
interval=None)`; one worker's `memory_info()`; a meter sample as the window takes it
(`ResourceSampler.memory`, at most 8 reads); and reading all of them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from app.gui.meters import ResourceSampler  # noqa: E402


def timed_us(action, samples: int) -> tuple[float, float]:
    """Median and 99th percentile of `samples` calls of `action`, in microseconds."""
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1e6)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def measure(workers: int, samples: int) -> list[tuple[str, float, float]]:
    children = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        for _ in range(workers)
    ]
    try:
        time.sleep(1.0)  # let them start
        pids = [child.pid for child in children]
        processes = [psutil.Process(pid) for pid in pids]
        sampler = ResourceSampler()
        sampler.memory(pids)
        one = processes[0]
        return [
            (
                "cpu_percent(percpu=True)",
                *timed_us(lambda: psutil.cpu_percent(interval=None, percpu=True), samples),
            ),
            ("one worker's memory_info()", *timed_us(one.memory_info, samples)),
            ("a meter sample (<= 8 reads)", *timed_us(lambda: sampler.memory(pids), samples)),
            (
                f"all {workers} workers' memory_info()",
                *timed_us(lambda: [p.memory_info() for p in processes], samples),
            ),
        ]
    finally:
        for child in children:
            child.kill()
        for child in children:
            child.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="16,64", help="worker counts, e.g. 16,64")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    python = sys.version.split()[0]
    print(f"{psutil.cpu_count()} CPUs, Python {python}, psutil {psutil.__version__}")
    for workers in (int(text) for text in args.workers.split(",")):
        print(f"\n{workers} worker processes          median µs   99th percentile µs")
        for name, median, p99 in measure(workers, args.samples):
            print(f"  {name:32} {median:9.1f}   {p99:9.1f}")


if __name__ == "__main__":
    main()
