"""The CPU and memory meters: a bar per CPU core and one per worker process, sampled about twice
a second on the GUI's timer without blocking it, a few workers' memory per sample; without a run
only the CPU is sampled; and the workers never load psutil."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt

from app.gui.meters import SAMPLE_MS, MeterStrip, ResourceSampler
from tests.conftest import FREEZE_MS
from tests.test_gui import configure


@pytest.fixture
def sleepers():
    """Four child processes that only sleep: something with a known pid and memory to read."""
    script = "import time; print('ready', flush=True); time.sleep(60)"
    children = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for child in children:  # started: its memory no longer grows
        assert child.stdout.readline().strip() == "ready"
    yield [child.pid for child in children]
    for child in children:
        child.kill()
        child.wait(10)
        child.stdout.close()


@pytest.mark.timeout(30)
def test_memory_is_read_a_few_workers_a_sample_until_every_one_has_been_read(sleepers):
    sampler = ResourceSampler(reads_per_sample=3)
    first = sampler.memory(sleepers)
    assert len(first) == 3  # no more reads than allowed in one sample
    second = sampler.memory(sleepers)
    assert sorted(second) == sorted(sleepers)  # the fourth had its turn next
    for pid, rss in second.items():
        assert rss == pytest.approx(psutil.Process(pid).memory_info().rss, rel=0.5)
        assert rss > 1024 * 1024  # a Python interpreter holds megabytes


@pytest.mark.timeout(30)
def test_a_process_that_has_gone_is_dropped_and_never_raises(sleepers):
    sampler = ResourceSampler()
    assert len(sampler.memory(sleepers)) == 4
    gone = psutil.Process(sleepers[0])
    gone.kill()
    gone.wait(10)
    for _ in range(3):
        readings = sampler.memory(sleepers)
    assert sleepers[0] not in readings and len(readings) == 3
    assert sampler.memory([]) == {}


def test_there_is_one_cpu_meter_per_core(qtbot):
    strip = MeterStrip()
    qtbot.addWidget(strip)
    strip.sample()
    assert len(strip.cpu) == psutil.cpu_count()
    assert all(0.0 <= value <= 100.0 for value in strip.cpu)
    assert strip.memory == []  # no window, no run: CPU only
    assert f"{psutil.cpu_count()} CPU core" in strip.cpu_texts()[0]


@pytest.mark.timeout(60)
def test_the_meters_follow_a_run_and_go_back_to_cpu_only_after_it(qtbot, window):
    meters = window.meters
    assert meters.isVisible() and meters.timer.isActive()
    assert meters.timer.interval() == SAMPLE_MS
    configure(window, "sleep", 40, workers=2)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(meters.memory) == 2, timeout=30_000)
    pids = window.run.worker_pids()
    assert sorted(entry.pid for entry in meters.memory) == sorted(pids)
    slots = {worker.pid: worker.slot for worker in window.stats.workers}
    for entry in meters.memory:
        assert entry.rss_bytes > 1024 * 1024
        assert entry.slot == slots.get(entry.pid)  # drawn in the worker's colour
        with open(f"/proc/{entry.pid}/maps") as maps:  # Linux: what the worker has loaded
            assert "_psutil" not in maps.read(), "a worker loaded psutil"
    shown_slots = [entry.slot for entry in meters.memory]
    assert shown_slots == sorted(shown_slots)  # in the charts' order
    assert "2 processes" in meters.memory_texts()[0]
    assert f"pid {pids[0]}" in meters.describe()  # the tooltip
    qtbot.waitSignal(window.run_finished, timeout=30_000).wait()
    samples = meters.samples
    qtbot.waitUntil(lambda: meters.samples > samples + 1, timeout=5000)
    assert meters.memory == []  # no run: CPU only
    assert len(meters.cpu) == psutil.cpu_count()
    assert max(meters.sample_ms) < FREEZE_MS  # never a freeze


@pytest.mark.timeout(60)
def test_a_thread_run_shows_the_memory_of_its_one_host_process(qtbot, window):
    meters = window.meters
    configure(window, "sleep", 40, executor="thread", workers=4)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(meters.memory) == 1, timeout=30_000)
    (host,) = meters.memory
    assert host.pid in window.run.worker_pids() and host.slot is None
    window.stop_run()
    qtbot.waitSignal(window.run_finished, timeout=30_000).wait()


@pytest.mark.timeout(60)
def test_a_sample_is_cheap_even_with_many_workers(qtbot, sleepers):
    """64 pids (the four sleepers, again and again, plus pids that do not exist) cost a sample no
    more reads than `MEMORY_READS_PER_SAMPLE`: the GUI thread never waits on /proc for long."""
    sampler = ResourceSampler()
    calls = []
    original = sampler._read
    sampler._read = lambda pid: (calls.append(pid), original(pid))
    many = sleepers + list(range(4_000_000, 4_000_060))
    began = time.perf_counter()
    sampler.memory(many)
    assert len(calls) == sampler.reads_per_sample
    assert (time.perf_counter() - began) * 1000 < FREEZE_MS


def test_psutil_is_a_runtime_dependency_and_the_frozen_app_keeps_it():
    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text()
    dependencies = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert '"psutil>=5.9"' in dependencies
    spec = (root / "build.spec").read_text()
    excludes = spec.split("EXCLUDES = [", 1)[1].split("]", 1)[0] if "EXCLUDES = [" in spec else ""
    assert '"psutil"' not in excludes
