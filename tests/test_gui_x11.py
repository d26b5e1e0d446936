"""The real window on a real X server (Xvfb, Qt's xcb platform): shown, driven, photographed.

Runs in a subprocess under `xvfb-run`, so this test process never talks to X itself.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_selftest_ok_but_for_load

REPO = Path(__file__).resolve().parent.parent

SELFTEST_SCRIPT = """
import json, sys
from app.gui.selftest import run_selftest

width, height = (int(n) for n in sys.argv[2].split("x"))
report = run_selftest(tasks=20_000, workload="power", screenshot=sys.argv[1],
                      timeout_s=60, size=(width, height))
print(json.dumps(report), flush=True)
"""


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", header[16:24])


@pytest.mark.skipif(
    shutil.which("xvfb-run") is None,
    reason="xvfb-run is not installed (apt-get install xvfb); CI installs it",
)
@pytest.mark.timeout(180)
@pytest.mark.parametrize("screen", ["1280x800", "1920x1080"])
def test_real_window_on_an_x_server_runs_and_saves_a_screenshot(tmp_path, screen):
    shot = tmp_path / f"window-{screen}.png"
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(REPO))
    env.pop("DISPLAY", None)
    completed = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            f"-screen 0 {screen}x24",
            sys.executable,
            "-c",
            SELFTEST_SCRIPT,
            str(shot),
            screen,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["platform"] == "xcb"  # a real X connection, not the offscreen plugin
    assert report["completed"] == 20_000, report
    assert shot.exists() and shot.stat().st_size > 20_000  # a real picture, not a blank one
    width, height = png_size(shot)
    expected_width, expected_height = (int(n) for n in screen.split("x"))
    assert width <= expected_width and height <= expected_height
    assert width >= 0.9 * expected_width and height >= 0.8 * expected_height
    assert_selftest_ok_but_for_load(report)
