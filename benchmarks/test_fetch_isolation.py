"""Fetch throughput, read_committed (isolation_level=1) against read_uncommitted, end to end.

    pytest benchmarks/test_fetch_isolation.py --benchmark-json=bench-results/fetch-isolation-DATE.json

One partition of 32 MiB (2048 batches of 16 KiB, segments of 8 MiB) is written by the engine,
then served by a real broker process; each round reads it whole with 1 MiB Fetch requests over
one connection (responses not decoded beyond the batch headers). Logs: `plain` (no transactions)
and `aborted` (every 8th batch is a transaction that is aborted, so the index has 256 entries).
Target of issue 9 (measured, not asserted): read_committed within 10% of read_uncommitted.
Throughput is in `extra_info` (MB/s = 1e6 bytes per second).
"""
from __future__ import annotations

import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

import pytest

from fastlog import _native
from fastlog.config import Config
from fastlog.storage.log_manager import log_settings
from fastlog.testing import BrokerProcess

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
from clients import RawConnection  # noqa: E402

BATCHES = 2048
RECORDS_PER_BATCH = 16
VALUE = os.urandom(1000)
TOPIC = "bench-isolation"


def build_log(data_dir: str, aborted: bool) -> int:
    """The partition folder and catalogue a broker opens; returns the bytes in the log."""
    logs = os.path.join(data_dir, "logs")
    path = os.path.join(logs, f"{TOPIC}-0")
    plog = _native.PartitionLog(path, log_settings(Config({"log.segment.bytes": str(8 << 20)}), {}))
    now = int(time.time() * 1000)
    pid = 1000
    for i in range(BATCHES):
        txn = aborted and i % 8 == 0
        records = [(None, VALUE, [], now)] * RECORDS_PER_BATCH
        if txn:
            pid += 1
            plog.append(_native.build_batch(records, producer_id=pid, producer_epoch=0, base_sequence=0,
                                            transactional=True), now)
            plog.write_txn_marker(pid, 0, False, 0, now)
        else:
            plog.append(_native.build_batch(records), now)
    size = plog.size_bytes
    plog.close()
    with open(os.path.join(logs, "fastlog-topics.json"), "w", encoding="utf-8") as f:
        f.write('{"%s": {"topic_id": "%s", "partitions": 1, "configs": {"segment.bytes": "%d"}, "internal": false}}'
                % (TOPIC, "ab" * 16, 8 << 20))
    return size


def fetch_body(offset: int, isolation: int) -> dict:
    return {"replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20, "isolation_level": isolation,
            "session_id": 0, "session_epoch": -1,
            "topics": [{"topic": TOPIC, "partitions": [
                {"partition": 0, "fetch_offset": offset, "log_start_offset": -1, "partition_max_bytes": 1 << 20}]}],
            "forgotten_topics_data": [], "rack_id": ""}


def whole_batches(records: bytes, offset: int) -> tuple[int, int]:
    """(offset after the last whole batch, bytes of the whole batches) of a fetched region; a
    trailing partial batch (KIP-74 fills max_bytes) is fetched again by the next request."""
    pos = 0
    while pos + 12 <= len(records):
        base, length = struct.unpack_from(">qi", records, pos)
        if pos + 12 + length > len(records):
            break
        offset = base + struct.unpack_from(">i", records, pos + 23)[0] + 1
        pos += 12 + length
    return offset, pos


@pytest.fixture(scope="module", params=["plain", "aborted"])
def served(request):
    data_dir = tempfile.mkdtemp(prefix="fastlog-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    size = build_log(data_dir, request.param == "aborted")
    broker = BrokerProcess(data_dir=data_dir).start()
    try:
        yield broker, size, request.param
    finally:
        broker.stop()
        broker.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.parametrize("isolation", [0, 1], ids=["read_uncommitted", "read_committed"])
def test_fetch_whole_partition(benchmark, served, isolation):
    broker, size, kind = served
    with RawConnection(broker.bootstrap, timeout=30) as conn:
        end = BATCHES * RECORDS_PER_BATCH + (BATCHES // 8 if kind == "aborted" else 0)

        def read_all() -> tuple[int, int]:
            offset, nbytes, aborted = 0, 0, 0
            while offset < end:
                part = conn.call(1, 12, fetch_body(offset, isolation))["responses"][0]["partitions"][0]
                aborted += len(part["aborted_transactions"] or [])
                offset, whole = whole_batches(bytes(part["records"] or b""), offset)
                nbytes += whole
            return nbytes, aborted

        nbytes, aborted = benchmark.pedantic(read_all, rounds=15, iterations=1, warmup_rounds=2)
    assert nbytes == size
    # A transaction whose marker falls in the next fetch is listed by both fetches.
    if kind == "aborted" and isolation == 1:
        assert aborted >= BATCHES // 8
    else:
        assert aborted == 0
    benchmark.extra_info["MB/s"] = round(size / benchmark.stats.stats.mean / 1e6, 1)
