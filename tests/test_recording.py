"""Record and replay without Qt: a real run recorded, saved, loaded and played back."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from app.control import RunController
from app.engine import Run, RunConfig
from app.engine.recording import (
    FORMAT,
    VERSION,
    Machine,
    Recorder,
    Recording,
    RecordingError,
    RecordingWriter,
    load,
    record_to,
    save,
    to_json,
)
from app.engine.records import (
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerSummary,
)
from app.engine.replay import END, ReplayRun
from app.stats import RunStats
from tests import sample_tasks


def record(config: RunConfig, func=None, timeout: float = 60.0) -> tuple[Recorder, RunStats]:
    """Run to the end through a Recorder, feeding a RunStats as the window does."""
    recorder = Recorder(Run(config, func=func))
    stats = RunStats(config.task_count)
    recorder.start()
    deadline = recorder.elapsed + timeout
    while not recorder.finished:
        assert recorder.elapsed < deadline, "the run did not finish in time"
        stats.add_all(recorder.poll(timeout=0.01))
    return recorder, stats


def per_worker_totals(stats: RunStats) -> dict[str, tuple]:
    return {w.worker: (w.pid, w.name, w.tasks, w.failed, round(w.busy_s, 9)) for w in stats.workers}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A run of 30 tasks on 2 processes, every third one raising, recorded to a file."""
    config = RunConfig(workload="power", inputs=tuple(range(1, 31)), workers=2)
    recorder, stats = record(config, sample_tasks.fail_on_threes)
    path = tmp_path_factory.mktemp("recordings") / "failing.mpprun"
    save(recorder.recording(), path)
    return recorder, stats, path


@pytest.mark.timeout(90)
def test_replay_gives_the_live_runs_summary_and_per_worker_totals(recorded):
    recorder, live_stats, path = recorded
    recording = load(path)
    replay = ReplayRun(recording, speed=END)
    replayed_stats = RunStats(recording.config.task_count)
    replay.start()
    while not replay.finished:
        replayed_stats.add_all(replay.poll())
    live = recorder.summary
    assert replay.summary == live
    assert replay.summary.to_dict() == live.to_dict()
    assert (live.completed, live.failed) == (20, 10)
    assert per_worker_totals(replayed_stats) == per_worker_totals(live_stats)
    assert len(per_worker_totals(live_stats)) >= 1
    assert replay.progress.done == 30 and replay.progress.failed == 10


@pytest.mark.timeout(90)
def test_loaded_records_are_the_recorded_ones_in_order(recorded):
    recorder, _, path = recorded
    recording = load(path)
    assert recording.config == recorder.config
    assert recording.machine == Machine.this_one()
    assert list(recording.polls) == recorder.polls
    kinds = {type(record) for record in recording.records()}
    assert {WorkerStarted, Segment, TaskFailed, RunFinished} <= kinds
    failures = [r for r in recording.records() if type(r) is TaskFailed]
    assert "fail_on_threes" in failures[0].traceback


@pytest.mark.timeout(120)
def test_deaths_and_restarts_survive_the_round_trip(tmp_path):
    config = RunConfig(workload="power", inputs=tuple(range(12)), workers=2)
    recorder, _ = record(config, sample_tasks.exit_on_seven, timeout=90)
    path = tmp_path / "deaths.mpprun"
    save(recorder.recording(), path)
    loaded = load(path)
    assert list(loaded.polls) == recorder.polls
    kinds = {type(record) for record in loaded.records()}
    assert {WorkerDied, PoolRestarted} <= kinds
    assert loaded.summary.deaths == recorder.summary.deaths and loaded.summary.error


@pytest.mark.timeout(90)
def test_the_controller_replays_a_recording_into_the_same_books(recorded):
    recorder, _, path = recorded
    recording = load(path)
    controller = RunController(charts=(), make_run=lambda config: pytest.fail("no live run"))
    controller.start(recording.config, ReplayRun(recording, speed=END))
    assert not controller.can_kill  # a replay has no process to kill
    finished = None
    for _ in range(1000):
        frame = controller.tick()
        if frame is None:
            break
        finished = frame.finished or finished
    assert finished == recorder.summary
    assert controller.stats.done == 30 and controller.stats.failed == 10


# -- the replay's clock, without processes ---------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tiny_recording(polls: int = 10) -> Recording:
    """One segment a second for `polls` seconds, then the end."""
    config = RunConfig(workload="power", tasks=polls, workers=1)
    worker = WorkerSummary("1", 1, "W-1", polls, 0, 0.4 * polls, 0.1, 0.04, 0.4, 0.3 * polls)
    summary = RunSummary(
        "power",
        "process",
        1,
        "spawn",
        0,
        polls,
        polls,
        0,
        0,
        0,
        polls,
        float(polls),
        0.4,
        1.0,
        (worker,),
    )
    batches = [(0.5, (WorkerStarted("1", 1, "W-1", 0.4),))]
    for second in range(1, polls + 1):
        segment = Segment("1", 1, "W-1", second - 1, 1, 0, second - 0.5, second - 0.1, 0.3)
        batches.append((float(second), (segment,)))
    batches[-1] = (float(polls), (*batches[-1][1], RunFinished(summary)))
    return Recording(config, Machine.this_one(), tuple(batches), "2026-11-26T08:00:00+00:00")


def segments_seen(records: list) -> int:
    return sum(1 for record in records if type(record) is Segment)


def test_replay_plays_on_the_recorded_clock_at_its_speed():
    clock = FakeClock()
    replay = ReplayRun(tiny_recording(), speed=1.0, clock=clock)
    assert replay.poll() == []  # not started: nothing
    replay.start()
    assert replay.poll() == []
    clock.now += 3.2
    assert segments_seen(replay.poll()) == 3
    assert replay.elapsed == pytest.approx(3.2)
    replay.set_speed(10.0)
    clock.now += 0.4  # 4 recorded seconds
    assert segments_seen(replay.poll()) == 4
    assert replay.progress.done == 7 and not replay.finished
    replay.set_speed(END)
    rest = replay.poll()
    assert segments_seen(rest) == 3 and type(rest[-1]) is RunFinished
    assert replay.finished and replay.progress.done == 10


def test_seek_jumps_ahead_and_refuses_to_go_back():
    clock = FakeClock()
    replay = ReplayRun(tiny_recording(), clock=clock)
    replay.start()
    assert replay.seek(6.0)
    assert segments_seen(replay.poll()) == 6
    assert not replay.seek(2.0)  # back means a new replay from the start
    assert replay.progress.done == 6
    clock.now += 1.0
    assert segments_seen(replay.poll()) == 1


def test_a_replay_starting_later_catches_up_on_its_first_polls():
    replay = ReplayRun(tiny_recording(), start_at=5.0, clock=FakeClock(), records_per_poll=2)
    replay.start()
    seen = [segments_seen(replay.poll()) for _ in range(4)]
    assert seen == [1, 2, 2, 0]  # the hello, then two blocks a poll, never more
    assert replay.progress.done == 5


def test_stop_shows_the_end_of_a_replay():
    replay = ReplayRun(tiny_recording(), clock=FakeClock())
    replay.start()
    replay.stop()
    replay.poll()
    assert replay.finished and replay.summary.tasks == 10


def test_a_recorder_past_its_limit_says_the_run_was_too_long():
    recording = tiny_recording()
    recorder = Recorder(config=recording.config, limit=5)
    for at, records in recording.polls:
        recorder.add(at, records)
    with pytest.raises(RecordingError, match="too long to keep"):
        recorder.recording()
    assert recorder.kept <= 5


def test_an_unfinished_run_cannot_be_saved():
    recording = tiny_recording()
    recorder = Recorder(config=recording.config)
    recorder.add(*recording.polls[0])
    with pytest.raises(RecordingError, match="not finished"):
        recorder.recording()


def test_a_file_recorded_with_a_start_method_this_os_lacks_still_replays(tmp_path):
    data = to_json(tiny_recording())
    data["config"]["start_method"] = "forkserver"
    write_json(tmp_path / "f.mpprun", data)
    # Forkserver exists here; the check is that the recorded method is kept as recorded.
    assert load(tmp_path / "f.mpprun").config.start_method == "forkserver"


# -- files that are not what they should be --------------------------------------------------


def write_json(path, data) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as file:
        json.dump(data, file)


def good_bytes(tmp_path) -> bytes:
    path = tmp_path / "good.mpprun"
    save(tiny_recording(), path)
    return path.read_bytes()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda b: b[: len(b) // 2], "cut short"),
        (lambda b: b"", "is empty"),
        (lambda b: b"not a recording at all", "not a gzip file"),
        (lambda b: gzip.compress(b'{"format": '), "not valid JSON"),
        (lambda b: gzip.compress(b"\xff\xfe\x00garbage"), "not valid JSON"),
        (lambda b: gzip.compress(b'{"traceEvents": []}'), "not a recorded run of this app"),
        (lambda b: gzip.compress(b"[1, 2, 3]"), "not a recorded run of this app"),
    ],
    ids=["truncated", "empty", "not gzip", "cut JSON", "not text", "a Chrome trace", "a list"],
)
def test_a_damaged_or_foreign_file_is_refused_in_one_sentence(tmp_path, damage, message):
    path = tmp_path / "bad.mpprun"
    path.write_bytes(damage(good_bytes(tmp_path)))
    with pytest.raises(RecordingError, match=message) as caught:
        load(path)
    text = str(caught.value)
    assert "bad.mpprun" in text and "\n" not in text


def test_a_file_from_a_newer_version_says_to_update(tmp_path):
    data = to_json(tiny_recording())
    data["version"] = VERSION + 1
    write_json(tmp_path / "new.mpprun", data)
    with pytest.raises(RecordingError, match="newer version"):
        load(tmp_path / "new.mpprun")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["polls"].pop(), "incomplete"),
        (lambda d: d["polls"][1][1][0].__setitem__(1, 7), "names no worker"),
        (lambda d: d["polls"][1][1][0].__setitem__(5, "soon"), "Segment.start"),
        (lambda d: d["polls"][1][1][0].__setitem__(0, "sparkle"), "unknown record"),
        (lambda d: d["polls"][2].__setitem__(0, -1.0), "not a time after"),
        (lambda d: d["polls"][-1][1][-1][1].__setitem__("per_worker", 3), "no workers"),
        (lambda d: d["config"].__setitem__("workload", "teapot"), "unknown workload"),
        (lambda d: d["machine"].__setitem__("cpu_count", "many"), "Machine.cpu_count"),
        (lambda d: d.__setitem__("workers", [[1, 2]]), "list of workers"),
        (lambda d: d["polls"].append([20.0, []]), "follow the end"),
    ],
    ids=[
        "no end",
        "unknown worker",
        "a word for a time",
        "unknown tag",
        "time going back",
        "bad summary",
        "unknown workload",
        "bad machine",
        "bad worker list",
        "records after the end",
    ],
)
def test_a_file_with_a_damaged_record_is_refused_by_what_is_wrong(tmp_path, change, message):
    data = to_json(tiny_recording())
    change(data)
    write_json(tmp_path / "damaged.mpprun", data)
    with pytest.raises(RecordingError, match=message):
        load(tmp_path / "damaged.mpprun")


def test_any_flipped_byte_gives_a_recording_or_a_recording_error(tmp_path):
    """Damage anywhere in the text: either it still reads (a digit changed) or it is refused
    with RecordingError; never any other exception."""
    text = gzip.decompress(good_bytes(tmp_path))
    chooser = random.Random(11)
    path = tmp_path / "flipped.mpprun"
    refused = 0
    for _ in range(300):
        damaged = bytearray(text)
        damaged[chooser.randrange(len(damaged))] = chooser.randrange(256)
        path.write_bytes(gzip.compress(bytes(damaged)))
        try:
            load(path)
        except RecordingError:
            refused += 1
    assert refused > 100


def test_missing_files_and_folders_are_refused_by_name(tmp_path):
    with pytest.raises(RecordingError, match="no such file"):
        load(tmp_path / "absent.mpprun")
    with pytest.raises(RecordingError, match="folder"):
        load(tmp_path)


def test_a_saved_file_is_gzip_json_with_its_format_and_machine(tmp_path):
    path = tmp_path / "tiny.mpprun"
    save(tiny_recording(), path)
    data = json.loads(gzip.decompress(path.read_bytes()))
    assert data["format"] == FORMAT and data["version"] == VERSION
    assert data["machine"]["cpu_count"] >= 1 and "gil_enabled" in data["machine"]
    assert data["config"]["workload"] == "power"
    assert len(data["polls"]) == 11 and data["polls"][-1][1][-1][0] == "finished"


def test_saving_where_nothing_can_be_written_is_one_sentence(tmp_path):
    with pytest.raises(RecordingError, match="cannot write"):
        save(tiny_recording(), tmp_path / "no such folder" / "x.mpprun")


@pytest.mark.timeout(90)
def test_recording_to_a_file_keeps_nothing_in_memory_and_reads_back_the_same(tmp_path):
    config = RunConfig(workload="power", tasks=2000, workers=2, chunksize=50)
    path = tmp_path / "streamed.mpprun"
    recorder = record_to(path, Run(config))
    recorder.start()
    summary = recorder.wait(60)
    assert recorder.polls == [] and recorder.kept >= 40  # 40 chunks: written, not kept
    assert not path.exists()  # only once the file is whole
    assert recorder.finish_file() == path.stat().st_size
    loaded = load(path)
    assert loaded.summary == summary and loaded.record_count == recorder.kept
    assert sum(r.count for r in loaded.records() if type(r) is Segment) == 2000
    assert [p.name for p in tmp_path.iterdir()] == ["streamed.mpprun"]


def test_a_file_that_stops_being_writable_ends_in_one_sentence_and_no_file(tmp_path):
    recording = tiny_recording()
    path = tmp_path / "full.mpprun"
    recorder = Recorder(config=recording.config)
    recorder.writer = RecordingWriter(path, recording.config, recording.machine, "")

    def disk_full(data):
        raise OSError(28, "No space left on device")

    for number, (at, records) in enumerate(recording.polls):
        if number == 3:
            recorder.writer._file.write = disk_full
        recorder.add(at, records)  # the run goes on
    with pytest.raises(RecordingError, match="cannot write full.mpprun: No space left"):
        recorder.finish_file()
    assert list(tmp_path.iterdir()) == []


def test_every_kind_of_record_a_run_reports_can_be_recorded():
    """A record class added to `records.Event` without a tag would end recordings in an error."""
    import typing

    from app.engine import records
    from app.engine.recording import TAGS

    assert set(typing.get_args(records.Event)) <= set(TAGS)
