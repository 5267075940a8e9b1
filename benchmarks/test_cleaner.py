"""Log cleaner throughput: one compaction pass (fastlog._native PartitionLog.clean) over a log
of keys overwritten many times.

    pytest benchmarks/test_cleaner.py --benchmark-json=bench-results/micro-cleaner-DATE.json

The log: 400k records of 100-byte values over 20k keys (each key written 20 times), batches of
100 records, 16 MiB segments, on /dev/shm (the engine's cost, not the disk's). Each round cleans
a fresh copy. `extra_info` has MB/s (log bytes read per second, 1e6 bytes; the dirty part is
read twice, for the key map and for the rewrite) and keys/s (keyed records deduplicated per
second), with the key map bounded by
`max_map_entries` (24 bytes a key, Kafka's accounting): all 20k keys (one pass), or 5000 keys
(as with a small log.cleaner.dedupe.buffer.size: each pass cleans the prefix whose keys fit,
about 5000 records here since every round writes all keys, so about 80 passes, each
rewriting the already clean part again, as Kafka's cleaner does). Each benchmark checks what
the pass left, so a broken cleaner cannot post a good number.
"""
from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from fastlog._native import build_batch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))
from storage_batches import open_log  # noqa: E402

KEYS = 20_000
ROUNDS = 20
PER_BATCH = 100
SEGMENT = 16 << 20


def scratch_dir() -> str:
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    return tempfile.mkdtemp(prefix="fastlog-bench-cleaner-", dir=base)


@pytest.fixture(scope="module", params=[0, 4], ids=["none", "zstd"])
def dirty_log(request):
    """A pristine dirty log (built once per codec); each round copies it."""
    root = scratch_dir()
    path = os.path.join(root, "pristine")
    log = open_log(path, segment_bytes=SEGMENT)
    rng = random.Random(3)
    now = int(time.time() * 1000)
    keys = [b"key-%08d" % k for k in range(KEYS)]
    for r in range(ROUNDS):
        order = list(range(KEYS))
        rng.shuffle(order)
        for i in range(0, KEYS, PER_BATCH):
            records = [(keys[k], rng.randbytes(100), [], now) for k in order[i:i + PER_BATCH]]
            log.append(build_batch(records, compression=request.param), now)
    log.close()
    yield root, path
    shutil.rmtree(root, ignore_errors=True)


def clean_all(path: str, max_map_entries: int):
    log = open_log(path, segment_bytes=SEGMENT)
    checkpoint, passes, total_read, total_records, total_keys = -1, 0, 0, 0, 0
    while (stats := log.clean(checkpoint=checkpoint, now_ms=int(time.time() * 1000), min_compaction_lag_ms=0,
                              delete_retention_ms=86_400_000, segment_bytes=SEGMENT,
                              max_map_entries=max_map_entries, io_max_bytes_per_second=float("inf"))) is not None:
        checkpoint = stats.end
        passes += 1
        total_read += stats.bytes_read
        total_records += stats.records_read
        total_keys += stats.keys
    return log, passes, total_read, total_records, total_keys


@pytest.mark.parametrize("max_map_entries", [1 << 20, 5000], ids=["map-all-keys", "map-5000-keys"])
def test_clean_pass(benchmark, dirty_log, max_map_entries):
    root, pristine = dirty_log
    def fresh():
        path = tempfile.mkdtemp(dir=root)
        os.rmdir(path)
        shutil.copytree(pristine, path)
        return (path, max_map_entries), {}

    log, passes, nread, nrecords, _ = benchmark.pedantic(clean_all, setup=fresh, rounds=3, iterations=1)
    # What is left below the active segment: one record per key, the last one written.
    uncleanable = log.cleanable(-1, 0, 0).first_uncleanable
    seen: dict[bytes | None, int] = {}
    for r in log.records(log.log_start_offset):
        assert r.key not in seen or r.offset >= uncleanable, "key kept twice"
        seen[r.key] = r.offset
    assert len(seen) == KEYS
    log.close()
    secs = benchmark.stats.stats.mean
    benchmark.extra_info.update({
        "passes": passes, "bytes_read": nread, "MB/s": round(nread / secs / 1e6, 1),
        "keys/s": round(nrecords / secs), "map_budget_bytes": max_map_entries * 24,
    })
