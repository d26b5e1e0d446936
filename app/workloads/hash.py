"""The "hash" workload: SHA-256 over a big buffer, done by C code in `hashlib`.

While hashlib digests more than a couple of kilobytes it releases the GIL, so several threads
really do hash at the same time: threads scale here almost as well as processes, without the
cost of starting processes or copying data to them.
"""

from __future__ import annotations

import hashlib

BUFFER_SIZE = 8 * 1024 * 1024  # 8 MiB
ROUNDS = 5  # the buffer is hashed this many times per task: ~30 ms with SHA CPU instructions

# Built on first use, once per process, so importing this module stays cheap.
_buffer: bytes | None = None


def _shared_buffer() -> bytes:
    """This process's 8 MiB buffer: the same bytes in every process, made only once."""
    global _buffer
    if _buffer is None:
        # Two threads may both get here at first; each builds identical bytes, so no lock needed.
        _buffer = bytes(range(256)) * (BUFFER_SIZE // 256)
    return _buffer


def hash_block(seed: int) -> str:
    """SHA-256 of the seed followed by ROUNDS copies of the buffer, as hex.

    The same seed always gives the same digest, in any process.
    """
    buffer = _shared_buffer()
    digest = hashlib.sha256(str(seed).encode())
    for _ in range(ROUNDS):
        digest.update(buffer)  # the GIL is released while this runs
    return digest.hexdigest()


def make_inputs(n: int) -> list[int]:
    """The seeds 0, 1, ..., n-1."""
    return list(range(n))
