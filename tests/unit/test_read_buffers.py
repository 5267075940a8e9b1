"""The network loop's pool of read buffers (server/read_buffers.py): what is kept and what is not."""
import threading

from fastlog.server import read_buffers
from fastlog.server.read_buffers import (
    FIRST_BIG_BUFFER,
    MAX_SPARE_SIZE,
    SCRATCH_KEPT,
    SPARE_BYTES,
    SPARE_KEPT,
    ReadBuffers,
)


def test_scratch_buffers_are_reused_up_to_a_bound():
    pool = ReadBuffers()
    first = pool.take_scratch()
    assert len(first) == read_buffers.SCRATCH
    pool.give_scratch(first)
    assert pool.take_scratch() is first
    given = [bytearray(read_buffers.SCRATCH) for _ in range(SCRATCH_KEPT + 5)]
    for buf in given:
        pool.give_scratch(buf)
    assert len(pool.scratch) == SCRATCH_KEPT


def test_big_buffers_serve_any_frame_up_to_their_size():
    pool = ReadBuffers()
    fresh = pool.take_big(700_000)
    assert len(fresh) == 1 << 20  # a power of two, at most FIRST_BIG_BUFFER
    assert len(pool.take_big(5 << 20)) == FIRST_BIG_BUFFER  # grown by the connection as bytes arrive
    pool.give_big(fresh)
    assert pool.spare_bytes == len(fresh)
    assert pool.take_big(1000) is fresh
    assert pool.spare_bytes == 0


def test_big_buffers_kept_are_bounded_in_count_and_bytes_and_the_largest_stay():
    pool = ReadBuffers()
    for _ in range(SPARE_KEPT + 3):
        pool.give_big(bytearray(1 << 20))
    assert len(pool.spare) == SPARE_KEPT
    pool.give_big(bytearray(MAX_SPARE_SIZE + 1))  # too large to keep
    assert len(pool.spare) == SPARE_KEPT and pool.spare_bytes == SPARE_KEPT << 20
    for _ in range(SPARE_BYTES // MAX_SPARE_SIZE + 2):
        pool.give_big(bytearray(MAX_SPARE_SIZE))
    assert pool.spare_bytes <= SPARE_BYTES
    assert all(len(buf) == MAX_SPARE_SIZE for buf in pool.spare), "smaller ones make room for larger"
    pool.give_big(bytearray(1 << 20))
    assert all(len(buf) == MAX_SPARE_SIZE for buf in pool.spare), "a smaller one does not evict a larger"
    assert pool.spare_bytes == sum(len(buf) for buf in pool.spare)


def test_each_thread_has_its_own_pool():
    mine = read_buffers.read_buffers()
    assert read_buffers.read_buffers() is mine
    other: list = []
    thread = threading.Thread(target=lambda: other.append(read_buffers.read_buffers()))
    thread.start()
    thread.join()
    assert other[0] is not mine
