"""How smooth the window stays while it opens and replays a recorded run.

    python benchmarks/replay_stall.py FILE.mpprun [--speed 10]   # speed: 1, 2, 5, 10 or end

Opens the file in a real window (run it under xvfb-run on a machine without a display), as
File > Open run… does, replays it to the end, and prints how long the file took to read (on
its thread), how long the replay took, and the window's tick times (`MainWindow.tick_ms`):
the median, the 99th percentile and the longest. It also times a 5 ms heartbeat timer on the
GUI thread through the whole thing, reading included: its longest gap is the longest freeze.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--speed", default="10")
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.engine.replay import END
    from app.gui.theme import apply_theme
    from app.gui.window import MainWindow

    app = QApplication([])
    apply_theme(app)
    window = MainWindow(remember_settings=False)
    window.resize(*(int(n) for n in args.size.split("x")))
    window.show()
    driver = window.panel("recording").driver
    driver.set_speed(END if args.speed == "end" else float(args.speed))
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    marks: dict[str, float] = {}
    window.run_started.connect(lambda: marks.setdefault("started", time.perf_counter()))
    window.run_finished.connect(lambda _: marks.setdefault("finished", time.perf_counter()))
    began = time.perf_counter()
    driver.open_path(args.file)
    while "finished" not in marks:
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - began > 600:
            print("gave up after 600 s")
            return 1
    ticks = sorted(window.tick_ms)
    p99 = ticks[min(len(ticks) - 1, int(len(ticks) * 0.99))]
    print(
        f"{Path(args.file).name}: read in {marks['started'] - began:.2f} s, replayed at "
        f"{args.speed} in {marks['finished'] - marks['started']:.2f} s "
        f"(recorded {driver.recording.duration:.2f} s, {driver.recording.record_count:,} records)"
    )
    print(
        f"  ticks: {len(ticks):,}, median {statistics.median(ticks):.1f} ms, 99th percentile "
        f"{p99:.1f} ms, longest {ticks[-1]:.1f} ms; longest heartbeat gap {max(gaps):.1f} ms"
    )
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
