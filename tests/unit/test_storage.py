"""fastlog._native through Python: append/read, restart, crash recovery, validation errors, codecs."""
from __future__ import annotations

import os
import random
import struct
import threading
from pathlib import Path

import pytest

from fastlog._native import PartitionLog, StorageError, crc32c

from storage_batches import BASE_TS, GZIP, LZ4, NONE, SNAPPY, ZSTD, batch, crc32c_ref, open_log, parse_batches

NOW = BASE_TS + 1000


def err_code(excinfo: pytest.ExceptionInfo[StorageError]) -> int:
    return excinfo.value.code


def read_all(log: PartitionLog, offset: int = 0) -> list[dict]:
    """Every batch from `offset` to the log end, following segments."""
    out: list[dict] = []
    while offset < log.log_end_offset:
        s = log.read(offset, 1 << 30)
        batches = parse_batches(s.tobytes())
        assert batches, "read returned no whole batch"
        out.extend(batches)
        offset = batches[-1]["base_offset"] + batches[-1]["last_offset_delta"] + 1
    return out


# --- CRC-32C ----------------------------------------------------------------------------------


def test_crc32c_check_value_and_reference():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    rnd = random.Random(1)
    for n in (1, 7, 64, 1000, 5000):
        data = rnd.randbytes(n)
        assert crc32c(data) == crc32c_ref(data)


def test_crc32c_continues_and_accepts_buffers():
    data = random.Random(2).randbytes(200_000)  # above the GIL-release threshold
    assert crc32c(data[1000:], crc32c(data[:1000])) == crc32c(data)
    assert crc32c(bytearray(data)) == crc32c(memoryview(data)) == crc32c(data)
    with pytest.raises(TypeError):
        crc32c("text")  # type: ignore[arg-type]


# --- append and read ----------------------------------------------------------------------------


def test_append_assigns_offsets_and_read_returns_the_batch(tmp_path):
    log = open_log(str(tmp_path / "p"))
    b1 = batch([b"a", b"b", b"c"])
    r = log.append(b1, NOW)
    assert (r.base_offset, r.last_offset, r.record_count, r.duplicate) == (0, 2, 3, False)
    assert r.log_append_time == -1 and r.log_start_offset == 0
    r2 = log.append(memoryview(batch([b"d", b"e"])), NOW)
    assert (r2.base_offset, r2.last_offset) == (3, 4)
    assert log.log_end_offset == 5

    s = log.read(0, 1 << 20)
    data = s.tobytes()
    assert s.length == len(data) == log.size_bytes
    got = parse_batches(data)
    assert [g["base_offset"] for g in got] == [0, 3]
    assert all(g["crc_ok"] and g["partition_leader_epoch"] == 0 for g in got)
    # Only baseOffset and partitionLeaderEpoch were rewritten: the rest is the client's bytes.
    assert data[16 : len(b1)] == b1[16:]
    assert os.pread(s.fd, s.length, s.position) == data


def test_read_rules(tmp_path):
    log = open_log(str(tmp_path / "p"), index_interval_bytes=0)
    sizes = []
    for i in range(20):
        b = batch([b"x" * 100] * 5)
        sizes.append(len(b))
        log.append(b, NOW)
    # An offset inside a batch starts at that batch.
    s = log.read(37, 1 << 20)
    assert parse_batches(s.tobytes())[0]["base_offset"] == 35
    # KIP-74: at least one whole batch even if max_bytes is smaller.
    s = log.read(10, 1)
    assert s.length == sizes[2]
    # max_bytes may end in a partial batch.
    s = log.read(0, sizes[0] + 10)
    assert s.length == sizes[0] + 10 and len(parse_batches(s.tobytes())) == 1
    # At the log end: empty; outside the log: OFFSET_OUT_OF_RANGE.
    assert log.read(100, 1000).length == 0
    for bad in (101, -1):
        with pytest.raises(StorageError) as e:
            log.read(bad, 1000)
        assert err_code(e) == 1


def test_index_lookup_at_every_offset(tmp_path):
    log = open_log(str(tmp_path / "p"), index_interval_bytes=256, segment_bytes=20_000)
    rnd = random.Random(3)
    for _ in range(300):
        log.append(batch([b"y" * rnd.randrange(1, 200)] * rnd.randrange(1, 6)), NOW)
    leo = log.log_end_offset
    for off in range(leo):
        first = parse_batches(log.read(off, 0).tobytes())[0]
        assert first["base_offset"] <= off <= first["base_offset"] + first["last_offset_delta"]


def test_segments_roll_and_read_stays_in_one_segment(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d), segment_bytes=4000)
    for i in range(50):
        log.append(batch([b"z" * 200]), NOW)
    logs = sorted(p.name for p in d.glob("*.log"))
    assert len(logs) > 3 and logs[0] == "00000000000000000000.log"
    second_base = int(logs[1].split(".")[0])
    s = log.read(0, 1 << 30)
    assert s.length == (d / logs[0]).stat().st_size
    assert parse_batches(s.tobytes())[-1]["base_offset"] == second_base - 1
    assert [b["base_offset"] for b in read_all(log)] == list(range(50))


def test_empty_and_partial_record_sets_are_rejected(tmp_path):
    log = open_log(str(tmp_path / "p"))
    with pytest.raises(StorageError) as e:
        log.append(b"", NOW)
    assert err_code(e) == 87
    b = batch([b"a"])
    for cut in (5, 30, len(b) - 1):
        with pytest.raises(StorageError) as e:
            log.append(b[:cut], NOW)
        assert err_code(e) == 2
    assert log.log_end_offset == 0 and log.size_bytes == 0


# --- validation ---------------------------------------------------------------------------------


def corrupt_crc(b: bytes) -> bytes:
    return b[:-1] + bytes([b[-1] ^ 1])


@pytest.mark.parametrize(
    "make,code",
    [
        (lambda: corrupt_crc(batch([b"a"])), 2),
        (lambda: batch([b"a"], magic=1), 87),
        (lambda: batch([b"a"], magic=7), 2),
        (lambda: batch([b"a"], attributes_extra=5), -1),  # codec 5: UNKNOWN_SERVER_ERROR, as Kafka 4.4
        (lambda: batch([b"a", b"b"], last_offset_delta=0), 87),
        (lambda: batch([b"a", b"b"], records_count=3, last_offset_delta=2), 87),
        (lambda: batch([b"a"], records_count=0, last_offset_delta=-1), 87),
        (lambda: batch([b"a", b"b"], offset_deltas=[0, 2]), 87),
        (lambda: batch([b"a"], base_offset=5), 87),
        (lambda: batch([b"a"], producer_id=7, producer_epoch=0, base_sequence=-1), 87),
        (lambda: batch([b"a"], records_blob=b"\x02\x00\x00"), 87),  # truncated record
        (lambda: batch([b"a"], records_blob=batch([b"a"])[61:] + b"\x00"), 87),  # bytes left over
        (lambda: batch([b"a"], base_timestamp=NOW + 3_600_001), 32),
        # A payload its codec cannot read: UNKNOWN_SERVER_ERROR, as Kafka 4.4 answers it.
        (lambda: batch([b"a"], codec=GZIP, records_blob=b"not gzip at all"), -1),
        (lambda: batch([b"a"], codec=ZSTD, records_blob=b"\x28\xb5\x2f\xfd garbage"), -1),
        (lambda: batch([b"a", b"b"], codec=LZ4, offset_deltas=[0, 0]), 87),
        # Snappy blocks that claim 4 GiB of output: refused before allocating anything.
        (lambda: batch([b"a"], codec=SNAPPY, records_blob=b"\xff\xff\xff\xff\x0f" + bytes(10)), -1),
        (lambda: batch([b"a"], codec=SNAPPY,
                       records_blob=(b"\x82SNAPPY\x00" + bytes(8) + struct.pack(">i", 6)
                                     + b"\xff\xff\xff\xff\x0f\x00")), -1),
    ],
)
def test_validation_errors(tmp_path, make, code):
    log = open_log(str(tmp_path / "p"))
    with pytest.raises(StorageError) as e:
        log.append(make(), NOW)
    assert err_code(e) == code, e.value.message
    # INVALID_TIMESTAMP names each record (Kafka's record errors); the others are code and message.
    expected_args = (code, e.value.message) + ((e.value.record_errors,) if code == 32 else ())
    assert e.value.args == expected_args and bool(e.value.record_errors) == (code == 32)
    assert log.log_end_offset == 0 and log.size_bytes == 0


def test_control_batch_from_a_client_is_refused(tmp_path):
    """Kafka answers INVALID_RECORD to a client's control batch; only the broker writes markers."""
    log = open_log(str(tmp_path / "p"))
    with pytest.raises(StorageError) as e:
        log.append(batch([b"a"], attributes_extra=0x20), NOW, produce_version=9)
    assert err_code(e) == 87 and "control" in e.value.message
    assert log.log_end_offset == 0 and log.size_bytes == 0


def test_message_too_large_and_all_or_nothing(tmp_path):
    log = open_log(str(tmp_path / "p"), max_message_bytes=1000)
    with pytest.raises(StorageError) as e:
        log.append(batch([b"q" * 1000]), NOW)
    assert err_code(e) == 10
    # A good batch followed by a bad one: nothing is appended.
    with pytest.raises(StorageError):
        log.append(batch([b"ok"]) + corrupt_crc(batch([b"bad"])), NOW)
    assert log.log_end_offset == 0
    r = log.append(batch([b"ok"]) + batch([b"ok2", b"ok3"]), NOW)
    assert (r.base_offset, r.last_offset) == (0, 2)


def test_timestamp_bounds(tmp_path):
    log = open_log(str(tmp_path / "p"), timestamp_before_max_ms=1000, timestamp_after_max_ms=10)
    log.append(batch([b"a"], base_timestamp=NOW - 1000), NOW)
    with pytest.raises(StorageError) as e:
        log.append(batch([b"a"], base_timestamp=NOW - 1001), NOW)
    assert err_code(e) == 32
    with pytest.raises(StorageError) as e:
        log.append(batch([b"a", b"b"], base_timestamp=NOW, ts_deltas=[0, 11]), NOW)
    assert err_code(e) == 32


@pytest.mark.parametrize("codec,framing", [(GZIP, "x"), (SNAPPY, "xerial"), (SNAPPY, "raw"), (LZ4, "x"), (ZSTD, "x")])
def test_compressed_batches_are_validated_and_stored_as_sent(tmp_path, codec, framing):
    log = open_log(str(tmp_path / "p"))
    values = [bytes([i % 251]) * (i * 37 % 3000) for i in range(200)]
    b = batch(values, codec=codec, snappy_framing=framing, keys=[b"k%d" % i for i in range(200)],
              headers=[(b"h", b"v"), (b"n", None)])
    r = log.append(b, NOW)
    assert (r.base_offset, r.last_offset) == (0, 199)
    got = parse_batches(log.read(0, 1 << 30).tobytes())[0]
    assert got["crc_ok"] and got["attributes"] & 7 == codec
    assert got["payload"] == b[61:]


def test_inconsistent_max_timestamp_is_fixed_with_a_new_crc(tmp_path):
    log = open_log(str(tmp_path / "p"))
    log.append(batch([b"a", b"b"], ts_deltas=[0, 50], max_timestamp=BASE_TS), NOW)
    got = parse_batches(log.read(0, 1000).tobytes())[0]
    assert got["max_timestamp"] == BASE_TS + 50 and got["crc_ok"]


def test_log_append_time(tmp_path):
    log = open_log(str(tmp_path / "p"), log_append_time=True, timestamp_before_max_ms=0)
    r = log.append(batch([b"a", b"b"], base_timestamp=1, codec=LZ4), NOW)  # old timestamps are fine here
    assert r.log_append_time == NOW
    got = parse_batches(log.read(0, 1000).tobytes())[0]
    assert got["attributes"] & 0x08 and got["max_timestamp"] == NOW and got["crc_ok"]
    assert log.offset_for_timestamp(NOW) == (0, NOW)
    assert log.max_timestamp() == (0, NOW)


# --- restart and recovery ------------------------------------------------------------------------


def fill(log: PartitionLog, n: int, size: int = 100) -> None:
    for i in range(n):
        log.append(batch([b"%06d" % i + b"r" * size], base_timestamp=BASE_TS + i), NOW)


def test_clean_restart_keeps_everything(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d), segment_bytes=3000, index_interval_bytes=200)
    fill(log, 100)
    before = [b["payload"] for b in read_all(log)]
    log.close()
    assert (d / ".clean-shutdown").exists()
    log.close()  # idempotent
    with pytest.raises(StorageError) as e:
        log.read(0, 10)
    assert err_code(e) == 56
    log = open_log(str(d), segment_bytes=3000, index_interval_bytes=200)
    assert not (d / ".clean-shutdown").exists()
    assert log.log_end_offset == 100
    assert [b["payload"] for b in read_all(log)] == before
    assert log.append(batch([b"more"]), NOW).base_offset == 100


def test_crash_truncates_torn_tail(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d))
    fill(log, 10)
    size = log.size_bytes
    del log  # no close: like kill -9, the page cache has everything appended so far
    seg = d / "00000000000000000000.log"
    torn = batch([b"half written"])
    with open(seg, "ab") as f:
        f.write(torn[: len(torn) // 2])
    log = open_log(str(d))
    assert log.log_end_offset == 10 and log.size_bytes == size == seg.stat().st_size
    assert log.append(batch([b"next"]), NOW).base_offset == 10
    assert len(read_all(log)) == 11


def test_crash_with_corrupt_last_batch_and_garbage(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d))
    fill(log, 5)
    del log
    seg = d / "00000000000000000000.log"
    data = bytearray(seg.read_bytes())
    last = parse_batches(bytes(data))[-1]
    data[-3] ^= 0xFF  # flip a byte inside the last batch: CRC mismatch
    seg.write_bytes(bytes(data) + os.urandom(100))
    log = open_log(str(d))
    assert log.log_end_offset == 4
    assert seg.stat().st_size == len(data) - (last["length"] + 12)


def test_corrupt_index_is_rebuilt(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d), segment_bytes=5000, index_interval_bytes=100)
    fill(log, 200)
    log.close()
    for idx in d.glob("*.index"):
        idx.write_bytes(b"\xff" * 13)  # wrong size and nonsense
    for tidx in d.glob("*.timeindex"):
        tidx.write_bytes(b"")
    log = open_log(str(d), segment_bytes=5000, index_interval_bytes=100)
    assert log.log_end_offset == 200
    for off in (0, 57, 123, 199):
        assert parse_batches(log.read(off, 0).tobytes())[0]["base_offset"] == off
    assert log.offset_for_timestamp(BASE_TS + 150) == (150, BASE_TS + 150)
    assert all((p.stat().st_size % 8) == 0 for p in d.glob("*.index"))


def test_index_pointing_elsewhere_is_rebuilt(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d), index_interval_bytes=100)
    fill(log, 50)
    log.close()
    idx = d / "00000000000000000000.index"
    entries = idx.read_bytes()
    assert len(entries) >= 16
    rel, pos = struct.unpack(">II", entries[-8:])
    idx.write_bytes(entries[:-8] + struct.pack(">II", rel + 1, pos))  # wrong offset for that position
    log = open_log(str(d), index_interval_bytes=100)
    for off in range(50):
        assert parse_batches(log.read(off, 0).tobytes())[0]["base_offset"] == off


def test_missing_segment_files_and_stray_files(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d))
    fill(log, 3)
    log.close()
    (d / "00000000000000000000.index").unlink()
    (d / "00000000000000000099.index").write_bytes(b"junk")  # index without a segment
    (d / "whatever.tmp").write_bytes(b"junk")
    log = open_log(str(d))
    assert log.log_end_offset == 3
    assert not (d / "00000000000000000099.index").exists() and not (d / "whatever.tmp").exists()


# --- idempotent producers -------------------------------------------------------------------------


def pbatch(seq: int, n: int = 1, pid: int = 1000, epoch: int = 0, **kw) -> bytes:
    return batch([b"m"] * n, producer_id=pid, producer_epoch=epoch, base_sequence=seq, **kw)


def test_idempotent_duplicates_gaps_and_epochs(tmp_path):
    log = open_log(str(tmp_path / "p"))
    assert log.append(pbatch(0, 3), NOW).base_offset == 0
    assert log.append(pbatch(3, 2), NOW).base_offset == 3
    dup = log.append(pbatch(0, 3), NOW)
    assert dup.duplicate and (dup.base_offset, dup.last_offset) == (0, 2)
    assert log.log_end_offset == 5
    with pytest.raises(StorageError) as e:
        log.append(pbatch(7), NOW)  # gap
    assert err_code(e) == 45
    with pytest.raises(StorageError) as e:
        log.append(pbatch(6, epoch=1), NOW)  # a new epoch starts at 0
    assert err_code(e) == 45
    assert log.append(pbatch(0, epoch=1), NOW).base_offset == 5
    with pytest.raises(StorageError) as e:
        log.append(pbatch(5, epoch=0), NOW)  # fenced epoch
    assert err_code(e) == 47
    # An unknown producer may start at any sequence; other producers are independent.
    assert log.append(pbatch(42, pid=2000), NOW).base_offset == 6
    assert log.append(pbatch(43, pid=2000), NOW).base_offset == 7


def test_idempotent_window_is_five_batches(tmp_path):
    log = open_log(str(tmp_path / "p"))
    for s in range(7):
        log.append(pbatch(s), NOW)
    assert log.append(pbatch(2), NOW).duplicate
    with pytest.raises(StorageError) as e:
        log.append(pbatch(1), NOW)  # too old to be recognised: out of order
    assert err_code(e) == 45


def test_sequence_wraps_at_int32_max(tmp_path):
    log = open_log(str(tmp_path / "p"))
    log.append(pbatch(2**31 - 2, 1), NOW)
    log.append(pbatch(2**31 - 1, 2), NOW)  # covers MAX and 0
    assert log.append(pbatch(1), NOW).base_offset == 3
    assert log.append(pbatch(2**31 - 1, 2), NOW).duplicate


@pytest.mark.parametrize("clean", [True, False])
def test_producer_state_survives_restart(tmp_path, clean):
    d = tmp_path / "p"
    log = open_log(str(d), segment_bytes=2000)
    for s in range(0, 60, 3):
        log.append(pbatch(s, 3, codec=ZSTD), NOW)
    if clean:
        log.close()
    else:
        del log
    log = open_log(str(d), segment_bytes=2000)
    dup = log.append(pbatch(57, 3, codec=ZSTD), NOW)
    assert dup.duplicate and (dup.base_offset, dup.last_offset) == (57, 59)
    with pytest.raises(StorageError) as e:
        log.append(pbatch(61), NOW)
    assert err_code(e) == 45
    assert log.append(pbatch(60), NOW).base_offset == 60


# --- timestamps --------------------------------------------------------------------------------


def test_offset_for_timestamp_and_max_timestamp(tmp_path):
    log = open_log(str(tmp_path / "p"), segment_bytes=3000, index_interval_bytes=100)
    assert log.offset_for_timestamp(0) is None and log.max_timestamp() is None
    # Batches of 10 records with timestamps BASE + 10*i + j, one compressed batch out of order.
    for i in range(30):
        codec = ZSTD if i % 3 == 0 else NONE
        log.append(batch([b"t"] * 10, base_timestamp=BASE_TS + 10 * i, codec=codec), NOW)
    assert log.offset_for_timestamp(0) == (0, BASE_TS)
    assert log.offset_for_timestamp(BASE_TS + 123) == (123, BASE_TS + 123)
    assert log.offset_for_timestamp(BASE_TS + 299) == (299, BASE_TS + 299)
    assert log.offset_for_timestamp(BASE_TS + 300) is None
    assert log.max_timestamp() == (299, BASE_TS + 299)
    # A later batch whose largest timestamp sits in the middle of a compressed batch.
    log.append(batch([b"t"] * 5, base_timestamp=BASE_TS + 500, ts_deltas=[0, 7, 3, 7, 1], codec=GZIP), NOW)
    assert log.max_timestamp() == (301, BASE_TS + 507)
    assert log.offset_for_timestamp(BASE_TS + 505) == (301, BASE_TS + 507)
    log.close()
    log = open_log(str(tmp_path / "p"), segment_bytes=3000, index_interval_bytes=100)
    assert log.max_timestamp() == (301, BASE_TS + 507)
    assert log.offset_for_timestamp(BASE_TS + 123) == (123, BASE_TS + 123)


# --- deletion and retention ------------------------------------------------------------------------


def test_delete_records_before(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d), segment_bytes=2000)
    fill(log, 60)
    segs = len(list(d.glob("*.log")))
    keep = log.read(0, 100)  # an in-flight fetch of a segment that is about to go
    assert log.delete_records_before(35) == 35
    assert log.log_start_offset == 35 and len(list(d.glob("*.log"))) < segs
    assert parse_batches(keep.tobytes())[0]["base_offset"] == 0  # still readable
    with pytest.raises(StorageError) as e:
        log.read(34, 100)
    assert err_code(e) == 1
    assert parse_batches(log.read(35, 0).tobytes())[0]["base_offset"] == 35
    assert log.offset_for_timestamp(0) == (35, BASE_TS + 35)
    assert log.delete_records_before(10) == 35  # never goes back
    with pytest.raises(StorageError) as e:
        log.delete_records_before(61)
    assert err_code(e) == 1
    log.close()
    log = open_log(str(d), segment_bytes=2000)
    assert log.log_start_offset == 35 and log.log_end_offset == 60
    assert log.delete_records_before(60) == 60
    assert log.read(60, 100).length == 0
    assert log.append(batch([b"x"]), NOW).base_offset == 60
    assert len(list(d.glob("*.log"))) == 1


def test_retention_by_time_and_size(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d), segment_bytes=1500)
    fill(log, 40)  # timestamps BASE_TS + i
    n_segs = len(list(d.glob("*.log")))
    assert n_segs > 4
    assert log.enforce_retention(BASE_TS + 1000, -1, -1) == 0
    # Segments whose largest timestamp is older than now - retention go; the active one never.
    deleted = log.enforce_retention(BASE_TS + 20 + 1000, 1000, -1)
    assert deleted > 0
    assert log.log_start_offset > 0
    first = parse_batches(log.read(log.log_start_offset, 0).tobytes())[0]
    assert first["base_timestamp"] >= BASE_TS + 20 - 12
    size = log.size_bytes
    deleted = log.enforce_retention(0, -1, 1500)
    assert deleted > 0 and log.size_bytes <= max(1500, size)
    assert len(list(d.glob("*.log"))) >= 1
    # Everything breaches: like Kafka, the active segment goes too, after rolling an empty one.
    assert log.enforce_retention(BASE_TS + 10**9, 0, 0) >= 1
    assert [p.name for p in d.glob("*.log")] == ["00000000000000000040.log"]
    assert (log.log_start_offset, log.log_end_offset, log.size_bytes) == (40, 40, 0)
    assert log.read(40, 100).length == 0
    assert log.append(batch([b"x"]), NOW).base_offset == 40
    assert log.enforce_retention(BASE_TS + 10**9, -1, -1) == 0


def test_retention_of_a_single_active_segment(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d))
    fill(log, 5)
    assert log.enforce_retention(BASE_TS + 5 + 60_000, 3_600_000, -1) == 0  # young enough
    assert log.enforce_retention(BASE_TS + 5 + 60_000, 1000, -1) == 1
    assert (log.log_start_offset, log.log_end_offset) == (5, 5)
    log.close()
    log = open_log(str(d))
    assert (log.log_start_offset, log.log_end_offset) == (5, 5)
    assert log.enforce_retention(BASE_TS * 2, 0, 0) == 0  # an empty log has nothing to delete


# --- flush, threads, delete, send_pieces ----------------------------------------------------------


def test_flush_interval(tmp_path):
    log = open_log(str(tmp_path / "p"), flush_interval_messages=5)
    log.append(batch([b"a"] * 3), NOW)
    assert log.unflushed_messages == 3
    log.append(batch([b"a"] * 3), NOW)
    assert log.unflushed_messages == 0
    log.append(batch([b"a"]), NOW)
    log.flush()
    assert log.unflushed_messages == 0


def test_two_threads_append_and_read(tmp_path):
    log = open_log(str(tmp_path / "p"), segment_bytes=50_000)
    results: list[tuple[int, int]] = []
    lock = threading.Lock()

    def worker(tag: bytes) -> None:
        for i in range(200):
            r = log.append(batch([tag] * 3), NOW)
            with lock:
                results.append((r.base_offset, r.last_offset))
            log.read(r.base_offset, 1000)

    ts = [threading.Thread(target=worker, args=(t,)) for t in (b"a", b"b")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    results.sort()
    assert results == [(3 * i, 3 * i + 2) for i in range(400)]
    assert [b["base_offset"] for b in read_all(log)] == [3 * i for i in range(400)]


def test_delete_removes_directory(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d))
    fill(log, 3)
    log.delete()
    assert not d.exists()
    with pytest.raises(StorageError):
        log.append(batch([b"x"]), NOW)


def test_send_pieces_writes_bytes_and_regions_in_order_across_full_socket_buffers(tmp_path):
    """A Fetch response's pieces (headers and segment regions) arrive whole and in order even
    when the socket fills up mid-piece and the call is resumed from the count it returned."""
    import socket

    from fastlog._native import send_pieces

    log = open_log(str(tmp_path / "p"))
    fill(log, 200, size=1000)
    regions = [log.read(0, 60_000), log.read(50, 90_000), log.read(199, 10)]
    pieces = [b"head", regions[0], bytearray(b"between"), memoryview(b"xxmidxx")[2:5], b"", regions[1],
              log.read(200, 1000), b"tail", regions[2]]  # log.read at the end: an empty region
    expected = b"head" + regions[0].tobytes() + b"between" + b"mid" + regions[1].tobytes() + b"tail" \
        + regions[2].tobytes()
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    received = bytearray()
    try:
        a.setblocking(False)
        done = send_pieces(a.fileno(), pieces, 0)
        assert done < len(expected)  # the socket buffer is far smaller than the response
        resumed = 0
        while done < len(expected):
            # A slow reader, in this thread: it takes at most 8 KiB (there is data: the last call
            # stopped on a full buffer), so each resumed call can send only part of what is left.
            # (A reader thread could drain as fast as the sender wrote, and one call finish it.)
            received.extend(b.recv(8192))
            done = send_pieces(a.fileno(), pieces, done)
            resumed += 1
        while len(received) < len(expected):
            chunk = b.recv(65536)
            if not chunk:
                break
            received.extend(chunk)
        assert resumed > 1
        assert done == len(expected)
        assert bytes(received) == expected
    finally:
        a.close()
        b.close()


def test_send_pieces_refuses_a_region_past_the_end_of_its_file(tmp_path):
    """A segment shorter than the region already promised in the frame: EOFError, so the
    connection is closed rather than left out of step."""
    import socket

    from fastlog._native import send_pieces

    log = open_log(str(tmp_path / "p"))
    fill(log, 20, size=1000)
    region = log.read(0, 100_000)
    segment = next(p for p in (tmp_path / "p").iterdir() if p.suffix == ".log")
    os.truncate(segment, region.length // 2)
    a, b = socket.socketpair()
    try:
        a.setblocking(False)
        with pytest.raises(EOFError):
            send_pieces(a.fileno(), [b"head", region], 0)
        with pytest.raises(TypeError):
            send_pieces(a.fileno(), [b"head", 42], 0)  # neither bytes nor a FileSlice
    finally:
        a.close()
        b.close()


def test_bad_arguments_do_not_crash(tmp_path):
    with pytest.raises(ValueError):
        open_log(str(tmp_path / "p"), segment_bytes=-1)
    f = tmp_path / "file"
    f.write_bytes(b"")
    with pytest.raises(StorageError) as e:
        open_log(str(f))  # a file, not a directory
    assert err_code(e) == 56
    log = open_log(str(tmp_path / "q"))
    for junk in (b"\x00" * 61, b"\xff" * 100, os.urandom(5000)):
        with pytest.raises(StorageError):
            log.append(junk, NOW)
    assert Path(tmp_path / "q").is_dir()


def test_stale_producer_snapshot_is_not_trusted(tmp_path):
    d = tmp_path / "p"
    log = open_log(str(d))
    for s in range(10):
        log.append(pbatch(s), NOW)
    log.close()  # snapshot valid for log end 10
    seg = d / "00000000000000000000.log"
    sizes = [12 + b["length"] for b in parse_batches(seg.read_bytes())]
    os.truncate(seg, sum(sizes[:7]))  # lose 3 batches behind the engine's back
    (d / ".clean-shutdown").unlink()
    log = open_log(str(d))
    assert log.log_end_offset == 7
    # The state comes from the log (last seq 6), not from the snapshot (last seq 9).
    r = log.append(pbatch(7), NOW)
    assert not r.duplicate and r.base_offset == 7
    with pytest.raises(StorageError) as e:
        log.append(pbatch(9), NOW)
    assert err_code(e) == 45


def test_live_topic_configs_reach_the_open_logs(tmp_path):
    """LogManager.alter_topic_configs hands flush.messages and friends to the open partition
    logs; flush.ms is checked per topic; a broker default changed at runtime reaches topics that
    take it, and is kept across a restart."""
    import time

    from fastlog.config import Config
    from fastlog.storage.log_manager import LogManager

    config = Config({"log.dirs": str(tmp_path)})
    logs = LogManager(config)
    logs.open()
    try:
        topic = logs.create_topic("live", 1)
        logs.append(topic, 0, batch([b"a"] * 3), NOW)
        assert topic.partitions[0].unflushed_messages == 3
        logs.alter_topic_configs("live", {"flush.messages": "4"})
        logs.append(topic, 0, batch([b"a"] * 2), NOW)
        assert topic.partitions[0].unflushed_messages == 0
        logs.append(topic, 0, batch([b"a"]), NOW)
        logs.alter_topic_configs("live", {"flush.ms": "0"})
        logs.flush_due(time.monotonic())
        assert topic.partitions[0].unflushed_messages == 0
        logs.alter_topic_configs("live", {})
        logs.alter_broker_configs("", {"message.max.bytes": "100"})
        with pytest.raises(StorageError) as too_big:
            logs.append(topic, 0, batch([b"a" * 200]), NOW)
        assert err_code(too_big) == 10
    finally:
        logs.close()
    again = LogManager(Config({"log.dirs": str(tmp_path)}))
    again.open()
    try:
        assert again.config.get("message.max.bytes") == 100
        with pytest.raises(StorageError):
            again.append(again.topics["live"], 0, batch([b"a" * 200]), NOW)
    finally:
        again.close()


def test_num_io_threads_sizes_the_append_pool(tmp_path):
    """Record sets of 64 KiB and more are appended on num.io.threads threads (the engine drops
    the GIL there, so appends to different partitions use more than one core); the dynamic
    broker config resizes the pool for the next append, and every append lands."""
    import asyncio

    from fastlog.config import Config
    from fastlog.storage.log_manager import OFFLOAD_APPEND_BYTES, LogManager

    logs = LogManager(Config({"log.dirs": str(tmp_path), "num.io.threads": "3"}))
    logs.open()
    big = batch([b"x" * 1000] * (OFFLOAD_APPEND_BYTES // 1000 + 1))
    try:
        topic = logs.create_topic("wide", 8)

        async def burst() -> list[int]:
            results = await asyncio.gather(*(logs.append_async(topic, i, big, NOW, 9) for i in range(8)))
            return [r.base_offset for r in results]

        assert asyncio.run(burst()) == [0] * 8
        threads = logs._append_threads
        assert threads.size == 3 and len([t for t in threads._threads if t.is_alive()]) == 3
        logs.alter_broker_configs("", {"num.io.threads": "5"})
        assert asyncio.run(burst()) == [66] * 8
        assert threads.size == 5 and len([t for t in threads._threads if t.is_alive()]) == 5
        logs.alter_broker_configs("", {"num.io.threads": "1"})
        assert asyncio.run(burst()) == [132] * 8
        assert threads.size == 1
        assert [p.log_end_offset for p in topic.partitions] == [198] * 8
    finally:
        logs.close()


def test_idle_producers_expire_unless_in_a_transaction(tmp_path):
    """producer.id.expiration.ms (Kafka's removeExpiredProducers): a producer idle that long with
    no ongoing transaction is forgotten; one with an open transaction stays, however old; the
    maintenance path (LogManager.expire_producers) reads the dynamic broker config."""
    from fastlog.config import Config
    from fastlog.storage.log_manager import LogManager

    logs = LogManager(Config({"log.dirs": str(tmp_path)}))
    logs.open()
    try:
        topic = logs.create_topic("p", 1)
        plog = topic.partitions[0]
        plog.append(batch([b"a"], producer_id=7, producer_epoch=0, base_sequence=0, base_timestamp=1000), NOW)
        plog.append(batch([b"b"], producer_id=8, producer_epoch=0, base_sequence=0, base_timestamp=1000,
                          attributes_extra=0x10), NOW)   # transactional: its transaction stays open
        assert [p.producer_id for p in plog.producer_states()] == [7, 8]
        assert plog.expire_producers(1000 + 59_999, 60_000) == 0   # not idle long enough yet
        logs.alter_broker_configs("", {"producer.id.expiration.ms": "60000"})
        assert logs.expire_producers(1000 + 60_000) == 1
        assert [p.producer_id for p in plog.producer_states()] == [8]
        # A new batch of the forgotten producer starts its state afresh (sequence 5: no gap check).
        plog.append(batch([b"c"], producer_id=7, producer_epoch=0, base_sequence=5, base_timestamp=2000), NOW)
        assert {p.producer_id: p.last_sequence for p in plog.producer_states()} == {7: 5, 8: 0}
    finally:
        logs.close()


def test_an_append_that_rolls_the_segment_leaves_the_event_loop(tmp_path):
    """A small record set is appended inline, unless it rolls the active segment (sealing one
    fsyncs its indexes and producer snapshot): then it goes to the append threads like a large
    one. The pool starts its threads on first use, so an idle pool shows nothing went there.
    active_segment_bytes is the active .log file's size."""
    import asyncio

    from fastlog.config import Config
    from fastlog.storage.log_manager import LogManager

    logs = LogManager(Config({"log.dirs": str(tmp_path), "num.io.threads": "1"}))
    logs.open()
    small = batch([b"x" * 900])
    try:
        topic = logs.create_topic("rolls", 1, {"segment.bytes": str(3 * len(small))})
        plog = topic.partitions[0]

        def segment_files() -> list[str]:
            return sorted(f for f in os.listdir(tmp_path / "rolls-0") if f.endswith(".log"))

        async def append() -> int:
            return (await logs.append_async(topic, 0, small, NOW, 9)).base_offset

        assert [asyncio.run(append()) for _ in range(3)] == [0, 1, 2]
        assert len(segment_files()) == 1 and not logs._append_threads._threads
        assert plog.active_segment_bytes == 3 * len(small) == os.path.getsize(tmp_path / "rolls-0" / segment_files()[0])
        assert asyncio.run(append()) == 3   # the fourth does not fit: a roll, on the pool
        assert len(segment_files()) == 2 and len(logs._append_threads._threads) == 1
        assert plog.active_segment_bytes == len(small)
        assert plog.log_end_offset == 4
    finally:
        logs.close()


def test_offloaded_append_raises_the_engines_error(tmp_path):
    """A bad record set large enough to go to an append thread still gets the engine's error
    (CORRUPT_MESSAGE for a damaged CRC) in the awaiting coroutine, and nothing is appended."""
    import asyncio

    from fastlog.config import Config
    from fastlog.storage.log_manager import OFFLOAD_APPEND_BYTES, LogManager

    logs = LogManager(Config({"log.dirs": str(tmp_path)}))
    logs.open()
    try:
        topic = logs.create_topic("bad", 1)
        damaged = bytearray(batch([b"x" * 1000] * (OFFLOAD_APPEND_BYTES // 1000 + 1)))
        damaged[-1] ^= 0xFF  # a record byte: the CRC no longer matches
        with pytest.raises(StorageError) as raised:
            asyncio.run(logs.append_async(topic, 0, bytes(damaged), NOW, 9))
        assert raised.value.code == 2  # CORRUPT_MESSAGE
        assert topic.partitions[0].log_end_offset == 0
    finally:
        logs.close()
