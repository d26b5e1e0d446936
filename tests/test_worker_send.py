"""Threads of one process sending reports at once: every message's pieces keep their own
number, so the ledger reassembles each one whole (threads share the pid the pieces carry)."""

from __future__ import annotations

import pickle
import sys
import threading
import time
from collections import defaultdict

from app.engine import worker
from app.engine.messages import Hello


class ListChannel:
    def __init__(self) -> None:
        self.pieces: list[tuple] = []

    def put(self, piece: tuple) -> None:
        self.pieces.append(piece)  # list.append is atomic: the channel is not what is tested
        time.sleep(0)  # lets another thread run, as a real Queue's lock may


def test_threads_sending_at_once_never_share_a_message_number():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show at once
    channel = ListChannel()
    context = worker.WorkerContext(func=abs, channel=channel)
    big_name = "x" * (3 * worker.PIECE_BYTES)  # every message goes in several pieces

    def send_many(thread: int) -> None:
        for number in range(40):
            worker.send(context, Hello(f"{thread}", thread, big_name, float(number)))

    threads = [threading.Thread(target=send_many, args=(t,)) for t in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    by_message: dict[tuple, list[tuple]] = defaultdict(list)
    for pid, message_number, piece, total, data in channel.pieces:
        by_message[(pid, message_number)].append((piece, total, data))
    assert len(by_message) == 6 * 40
    for pieces in by_message.values():
        assert sorted(piece for piece, _, _ in pieces) == list(range(pieces[0][1]))
        message = pickle.loads(b"".join(data for _, _, data in sorted(pieces)))
        assert message.name == big_name
