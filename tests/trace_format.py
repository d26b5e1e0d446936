"""A checker for the Trace Event Format (the JSON Object Format that Perfetto UI and
chrome://tracing open), as far as the app's traces use it: the required keys and their types,
non-negative times, complete events that stay within the run and never overlap on one track
(a viewer would nest or drop them), and a name for every process and thread that has events.
"""

from __future__ import annotations

import json
from collections import defaultdict

PHASES = {"X", "B", "E", "i", "I", "M", "C"}
METADATA_NAMES = {"process_name", "thread_name", "process_sort_index", "thread_sort_index"}
SLACK_US = 1.0  # rounding to the nanosecond leaves at most this much


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def trace_problems(trace: object, run_end_us: float | None = None) -> list[str]:
    """Every way `trace` breaks the format, one line each; [] for a good trace."""
    try:
        json.dumps(trace, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return [f"not strict JSON: {exc}"]
    if not isinstance(trace, dict) or not isinstance(trace.get("traceEvents"), list):
        return ["the top level must be an object with a traceEvents list"]
    problems: list[str] = []
    if trace.get("displayTimeUnit", "ms") not in ("ms", "ns"):
        problems.append(f"displayTimeUnit {trace['displayTimeUnit']!r} is not ms or ns")
    process_named: set[int] = set()
    thread_named: set[tuple[int, int]] = set()
    used: set[tuple[int, int]] = set()
    spans: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
    for number, event in enumerate(trace["traceEvents"]):
        where = f"event {number}"
        if not isinstance(event, dict):
            problems.append(f"{where} is not an object")
            continue
        phase = event.get("ph")
        name = event.get("name")
        if phase not in PHASES:
            problems.append(f"{where}: ph {phase!r} is not a known phase")
            continue
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: name must be a non-empty string")
        for key in ("pid", "tid"):
            if not _is_int(event.get(key)):
                problems.append(f"{where}: {key} must be an integer, not {event.get(key)!r}")
        if "cat" in event and not isinstance(event["cat"], str):
            problems.append(f"{where}: cat must be a string")
        if "args" in event and not isinstance(event["args"], dict):
            problems.append(f"{where}: args must be an object")
        track = (event.get("pid"), event.get("tid"))
        if phase == "M":
            args = event.get("args", {})
            if name not in METADATA_NAMES:
                problems.append(f"{where}: unknown metadata {name!r}")
            elif name.endswith("_name"):
                if not isinstance(args.get("name"), str) or not args["name"]:
                    problems.append(f"{where}: {name} needs args.name, a non-empty string")
                elif name == "process_name":
                    process_named.add(event.get("pid"))
                else:
                    thread_named.add(track)
            elif not _is_int(args.get("sort_index")):
                problems.append(f"{where}: {name} needs an integer args.sort_index")
            continue
        ts = event.get("ts")
        if not _is_number(ts) or ts < 0:
            problems.append(f"{where}: ts must be a number >= 0 (microseconds), not {ts!r}")
            continue
        end = ts
        if phase == "X":
            dur = event.get("dur")
            if not _is_number(dur) or dur < 0:
                problems.append(f"{where}: an X event needs dur >= 0, not {dur!r}")
                continue
            end = ts + dur
            spans[track].append((ts, end, name))
        if phase in ("i", "I"):
            scope = event.get("s", "t")
            if scope not in ("g", "p", "t"):
                problems.append(f"{where}: instant scope {scope!r} is not g, p or t")
            if scope == "g":
                continue
        used.add(track)
        if run_end_us is not None and end > run_end_us + SLACK_US:
            problems.append(f"{where} ({name}) ends at {end} µs, after the run ({run_end_us} µs)")
    for pid, tid in sorted(used, key=str):
        if pid not in process_named:
            problems.append(f"process {pid} has events but no process_name")
        if (pid, tid) not in thread_named:
            problems.append(f"thread {tid} of process {pid} has events but no thread_name")
    for track, track_spans in spans.items():
        track_spans.sort()
        for (_, end1, name1), (start2, end2, name2) in zip(
            track_spans, track_spans[1:], strict=False
        ):
            if start2 < end1 - SLACK_US and end2 > end1 + SLACK_US:
                problems.append(f"on {track}, {name2!r} overlaps {name1!r} without nesting in it")
    return problems


def tracks_with_work(trace: dict) -> set[tuple[int, int]]:
    """The (pid, tid) of every track that has a complete event."""
    return {(e["pid"], e["tid"]) for e in trace["traceEvents"] if e["ph"] == "X"}


def names(trace: dict, metadata: str) -> dict:
    """pid -> name for process_name, (pid, tid) -> name for thread_name."""
    found = {}
    for event in trace["traceEvents"]:
        if event["ph"] == "M" and event["name"] == metadata:
            key = event["pid"] if metadata == "process_name" else (event["pid"], event["tid"])
            found[key] = event["args"]["name"]
    return found
