"""The record format owned by the engine, through Python: build_batch, PartitionLog.records,
the produce-request rule in validation, StorageError as a real exception class, and the offsets
log (`__consumer_offsets`) built and replayed with them."""
from __future__ import annotations

import copy
import pickle
import struct

import pytest

from fastlog import _native
from fastlog._native import StorageError, build_batch, validate_records
from fastlog.config import Config
from fastlog.coordinator import internal_topic, offsets_log
from fastlog.coordinator.offsets_log import OffsetsLog
from fastlog.storage.log_manager import LogManager

from storage_batches import open_log

NOW = 1_700_000_000_000
# The broker's default limits, from the config table (the engine has no defaults).
LIMITS = {"max_message_bytes": Config().get_int("message.max.bytes"), "log_append_time": False}
ONE_BATCH_MESSAGE = "Produce requests with version {} are only allowed to contain exactly one record batch of magic 2"


def records_of(log: _native.PartitionLog, offset: int = 0) -> list[tuple]:
    return [(r.offset, r.timestamp, r.key, r.value, r.headers) for r in log.records(offset)]


def test_storage_error_is_a_real_exception_class():
    e = StorageError(87, "bad batch")
    assert isinstance(e, Exception) and type(e).__module__ == "fastlog._native"
    assert (e.code, e.message, e.args, str(e)) == (87, "bad batch", (87, "bad batch"), "[87] bad batch")
    for again in (pickle.loads(pickle.dumps(e)), copy.copy(e)):
        assert (type(again), again.code, again.message) == (StorageError, 87, "bad batch")
    with pytest.raises(StorageError) as raised:
        validate_records(b"", NOW, **LIMITS)
    assert raised.value.code == 87


@pytest.mark.parametrize("compression", [0, 1, 4])
def test_built_batches_append_and_read_back(tmp_path, compression):
    records = [(b"k0", b"v0", [("h", b"x"), ("empty", None)], NOW),
               (None, b"v1", [], NOW + 7),
               (b"k2", None, [], NOW - 2)]
    batch = build_batch(records, compression=compression)
    assert batch[22] & 0x07 == compression
    assert validate_records(batch, NOW, **LIMITS) == 3
    log = open_log(str(tmp_path / "p"))
    try:
        log.append(batch, NOW)
        log.append(batch, NOW)
        got = records_of(log)
        want = [(i, ts, k, v, h) for i, (k, v, h, ts) in enumerate(records * 2)]
        assert got == want
        assert records_of(log, 4) == want[4:]
        assert records_of(log, 6) == []
        first = next(iter(log.records(0)))
        assert (first.producer_id, first.producer_epoch) == (-1, -1)
        assert (first.is_control, first.is_transactional) == (False, False)
        with pytest.raises(StorageError) as e:
            log.records(7)
        assert e.value.code == 1
    finally:
        log.close()


def test_batch_level_fields_reach_the_records(tmp_path):
    log = open_log(str(tmp_path / "p"))
    try:
        log.append(build_batch([(b"k", b"v", [], NOW)] * 2, producer_id=12, producer_epoch=3, base_sequence=0), NOW)
        [a, b] = log.records(0)
        assert (a.producer_id, a.producer_epoch, b.offset) == (12, 3, 1)
        assert build_batch([(b"k", b"v", [], NOW)], transactional=True)[22] & 0x10
        assert build_batch([(b"k", b"v", [], NOW)], control=True)[22] & 0x20
        with pytest.raises(StorageError) as e:
            build_batch([])
        assert e.value.code == 87
    finally:
        log.close()


def test_records_raise_on_a_damaged_batch(tmp_path):
    path = tmp_path / "p"
    log = open_log(str(path))
    batch = build_batch([(b"k", b"value", [], NOW)])
    for _ in range(3):
        log.append(batch, NOW)
    seg = path / ("0" * 20 + ".log")
    data = bytearray(seg.read_bytes())
    data[len(batch) + 65] ^= 0xFF  # inside the second batch: its CRC no longer matches
    seg.write_bytes(bytes(data))
    it = log.records(0)
    assert next(it).offset == 0
    with pytest.raises(StorageError) as e:
        next(it)
    assert e.value.code == 56
    log.close()


@pytest.mark.parametrize("version", [3, 9, 13])
def test_produce_requests_must_hold_exactly_one_v2_batch(tmp_path, version):
    one = build_batch([(b"k", b"v", [], NOW)])
    magic1 = bytearray(one)
    magic1[16] = 1
    log = open_log(str(tmp_path / "p"))
    try:
        for bad in (b"", one[:60], one[:-1], one + one, bytes(magic1)):
            for call in (lambda: log.append(bad, NOW, produce_version=version),
                         lambda: validate_records(bad, NOW, **LIMITS, produce_version=version)):
                with pytest.raises(StorageError) as e:
                    call()
                assert (e.value.code, e.value.message) == (87, ONE_BATCH_MESSAGE.format(version))
        assert log.append(one, NOW, produce_version=version).base_offset == 0
        assert log.append(one + one, NOW).last_offset == 2  # the broker's own appends may hold several
    finally:
        log.close()


# --- the offsets log ---------------------------------------------------------------------------

def _zigzag(n: int) -> bytes:
    z, out = (n << 1) ^ (n >> 63), bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def reference_offsets_batch(records: list[tuple[bytes, bytes | None]], now_ms: int) -> bytes:
    """The batch layout the offsets log has always written (and existing data folders hold):
    uncompressed, no producer id, every timestamp `now_ms`, no headers; written from the v2 format."""
    body = b""
    for i, (key, value) in enumerate(records):
        rec = (b"\x00" + _zigzag(0) + _zigzag(i) + _zigzag(len(key)) + key
               + (_zigzag(-1) if value is None else _zigzag(len(value)) + value) + _zigzag(0))
        body += _zigzag(len(rec)) + rec
    after_crc = struct.pack(">hiqqqhii", 0, len(records) - 1, now_ms, now_ms, -1, -1, -1, len(records)) + body
    return struct.pack(">qiibI", 0, 9 + len(after_crc), 0, 2, _native.crc32c(after_crc)) + after_crc


def test_offsets_log_batches_are_byte_identical_to_the_format_it_always_wrote():
    records = [(offsets_log.offset_key("g", "t", 0), b"\x00\x03value"), (offsets_log.group_key("g"), None)]
    assert internal_topic.build_batches(records, NOW) == reference_offsets_batch(records, NOW)


class _Node:
    def __init__(self, path) -> None:
        self.logs = LogManager(Config({"log.dirs": str(path)}))
        self.logs.open()


def test_offsets_log_replays_old_batches_and_skips_control_records(tmp_path):
    node = _Node(tmp_path)
    store = OffsetsLog(node.logs, num_partitions=1, segment_bytes=1 << 20)
    plog = store.ensure_topic().partitions[0]
    plog.append(reference_offsets_batch([(b"key-a", b"1"), (b"key-b", None)], NOW), NOW)
    plog.append(build_batch([(b"key-c", b"3", [], NOW)], compression=4), NOW)
    node.logs.close()
    # A transaction marker, as the coming transaction coordinator will write: clients may not
    # append control batches, so it goes straight into the segment at the log end offset 3.
    marker = bytearray(build_batch([(b"\x00\x00\x00\x01", b"\x00\x00\x00\x00\x00\x00", [], NOW)],
                                   producer_id=1, producer_epoch=0, transactional=True, control=True))
    marker[0:8] = struct.pack(">q", 3)
    with open(tmp_path / f"{offsets_log.TOPIC}-0" / ("0" * 20 + ".log"), "ab") as f:
        f.write(marker)

    node = _Node(tmp_path)
    store = OffsetsLog(node.logs, num_partitions=1, segment_bytes=1 << 20)
    store.append(0, [(b"key-d", b"4")])
    assert list(store.replay()) == [(0, b"key-a", b"1"), (0, b"key-b", None), (0, b"key-c", b"3"), (0, b"key-d", b"4")]
    node.logs.close()
