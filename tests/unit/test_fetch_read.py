"""The engine calls a read_uncommitted Fetch makes, on real segment files: PartitionLog.fetch_uncommitted
(one call per partition in handlers/fetch.py) and send_pieces gathering small regions into one send."""
from __future__ import annotations

import socket

import pytest

from fastlog._native import FileSlice, StorageError, send_pieces

from storage_batches import BASE_TS, batch, open_log

NOW = BASE_TS + 1000


def _separate_calls(log, offset: int, max_bytes: int | None):
    """What handlers/fetch.py asked with one call each before fetch_uncommitted."""
    region = None
    if max_bytes is not None and offset != log.log_end_offset:
        region = log.read(offset, max_bytes)
    return region, log.log_end_offset, log.last_stable_offset(), log.log_start_offset


def _same(a, b) -> bool:
    if isinstance(a, FileSlice) and isinstance(b, FileSlice):
        return (a.position, a.length, a.tobytes()) == (b.position, b.length, b.tobytes())
    return a == b


def test_fetch_uncommitted_answers_as_the_separate_calls(tmp_path):
    log = open_log(str(tmp_path / "p"), segment_bytes=4096)  # several segments
    for n in range(40):
        log.append(batch([b"v%d" % n * 30, b"w"]), NOW)
    end = log.log_end_offset
    assert end == 80
    for offset in (0, 1, 2, 37, 79, end):
        for max_bytes in (None, 0, 1, 100, 5000, 1 << 20):
            got = log.fetch_uncommitted(offset, max_bytes)
            want = _separate_calls(log, offset, max_bytes)
            assert all(_same(g, w) for g, w in zip(got, want)), (offset, max_bytes, got, want)
    region, *_ = log.fetch_uncommitted(end, 1 << 20)
    assert region is None  # a caught-up consumer: nothing read
    region, *_ = log.fetch_uncommitted(0, None)
    assert region is None  # the answer is full: nothing read
    with pytest.raises(StorageError) as e:
        log.fetch_uncommitted(end + 1, 100)  # past the end: OFFSET_OUT_OF_RANGE, as read
    assert e.value.code == 1


@pytest.mark.parametrize("record_bytes", [100, 3000, 40_000])
def test_send_pieces_gathers_small_regions_and_sends_the_same_bytes(tmp_path, record_bytes):
    """Regions below and above send_pieces' gathering size (16 KiB), between header bytes, arrive
    as the concatenation of the pieces, across a socket that fills up."""
    logs = [open_log(str(tmp_path / f"p{i}")) for i in range(6)]
    for i, log in enumerate(logs):
        for n in range(4):
            log.append(batch([bytes([65 + i]) * record_bytes] * (n + 1)), NOW)
    pieces: list = []
    for i, log in enumerate(logs):
        pieces.append(b"header-%d" % i)
        pieces.append(log.read(i % 3, 1 << 20))
    pieces.append(b"")
    pieces.append(b"end")
    expected = b"".join(p.tobytes() if isinstance(p, FileSlice) else p for p in pieces)
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    a.setblocking(False)
    received = bytearray()
    done = 0
    while done < len(expected):
        done = send_pieces(a.fileno(), pieces, done)
        received += b.recv(1 << 20)
    a.close()
    while chunk := b.recv(1 << 20):
        received += chunk
    b.close()
    assert bytes(received) == expected
