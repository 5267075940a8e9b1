"""The buffers connections read requests into, shared by the connections of one network loop.

A connection reads into a scratch buffer (SCRATCH bytes) and cuts whole frames out of it (copies);
a frame larger than that gets a buffer of its own, filled from the socket and handed to the
request's handler. Both kinds are taken from the pool of the loop's thread and given back when
done: the scratch as soon as no partial frame is left in it, a big buffer once its request was
handled. So an idle connection holds no buffer: 2,000 idle connections used to cost ~135 MB
(64 KiB each). Reusing buffers also spares the zero-fill of a fresh one per request, which
once took 17% of the broker's time with 1 MiB frames.

One pool per thread (threading.local): each network loop runs in a thread of its own, and a
connection only ever runs in its loop's thread, so no lock is needed.
"""
from __future__ import annotations

import threading

SCRATCH = 1 << 16
# Scratch buffers a loop keeps: connections reading at the same moment each hold one.
SCRATCH_KEPT = 32
# Big-frame buffers a loop keeps, and their total size. A client keeps up to 5 requests in flight
# (librdkafka's and Java's default), and while appends run on other threads the loop reads them
# all: one busy producer cycles through ~6 buffers. Above these bounds a buffer given back is
# dropped (large bytearrays are mmap'd, so the memory goes back to the system).
SPARE_KEPT = 12
SPARE_BYTES = 32 << 20
# The largest big buffer worth keeping.
MAX_SPARE_SIZE = 8 << 20
# A big frame's buffer starts at most this large and doubles as its bytes arrive.
FIRST_BIG_BUFFER = 1 << 20


class ReadBuffers:
    def __init__(self) -> None:
        self.scratch: list[bytearray] = []
        self.spare: list[bytearray] = []

    @property
    def spare_bytes(self) -> int:
        return sum(map(len, self.spare))

    def take_scratch(self) -> bytearray:
        return self.scratch.pop() if self.scratch else bytearray(SCRATCH)

    def give_scratch(self, buf: bytearray) -> None:
        if len(self.scratch) < SCRATCH_KEPT:
            self.scratch.append(buf)

    def take_big(self, size: int) -> bytearray:
        """A buffer for a frame of `size` bytes: a kept one at least that large, else a new one
        (which may be smaller: the connection grows it as the bytes arrive)."""
        for i, buf in enumerate(self.spare):
            if len(buf) >= size:
                return self.spare.pop(i)
        # Round up to a power of two so that one buffer serves the varying sizes of a client's
        # requests instead of each slightly larger request needing a new one; start at most
        # FIRST_BIG_BUFFER large.
        capacity = 1 << (size - 1).bit_length()
        return bytearray(min(capacity if capacity <= MAX_SPARE_SIZE else size, FIRST_BIG_BUFFER))

    def give_big(self, buf: bytearray) -> None:
        size = len(buf)
        if size > MAX_SPARE_SIZE:
            return
        while self.spare and (len(self.spare) >= SPARE_KEPT or self.spare_bytes + size > SPARE_BYTES):
            # Keep the larger buffers: they serve every smaller frame too.
            smallest = min(range(len(self.spare)), key=lambda i: len(self.spare[i]))
            if len(self.spare[smallest]) >= size:
                return
            del self.spare[smallest]
        self.spare.append(buf)


_local = threading.local()


def read_buffers() -> ReadBuffers:
    """The pool of the calling thread's network loop."""
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = ReadBuffers()
    return pool
