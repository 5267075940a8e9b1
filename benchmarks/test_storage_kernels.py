"""Micro benchmarks of the storage engine (fastlog._native) kernels.

    pytest benchmarks/test_storage_kernels.py --benchmark-json=bench-results/micro-storage-DATE.json

Targets (measured, not asserted): CRC-32C >= 10 GB/s; append of 1 MiB batches to the page cache
>= 1.5 GB/s. Each benchmark checks its result, so a broken kernel cannot post a good number.
Throughput is in `extra_info` (GB/s = 1e9 bytes per second).
"""
from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from fastlog._native import crc32c, decompress, validate_records

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))
from storage_batches import BASE_TS, GZIP, LZ4, NONE, SNAPPY, ZSTD, batch, compress, crc32c_ref, open_log  # noqa: E402

MiB = 1 << 20
NOW = BASE_TS + 1000
DATA_1M = random.Random(7).randbytes(MiB)


def gbps(benchmark, nbytes: int) -> None:
    benchmark.extra_info["bytes"] = nbytes
    benchmark.extra_info["GB/s"] = round(nbytes / benchmark.stats.stats.mean / 1e9, 3)


def scratch_dir() -> str:
    # Page cache, not the disk: /dev/shm when there is one (the target is about the engine).
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    return tempfile.mkdtemp(prefix="fastlog-bench-", dir=base)


# --- CRC-32C -------------------------------------------------------------------------------------


def test_crc32c_1mib(benchmark):
    assert benchmark(crc32c, DATA_1M) == crc32c_ref(DATA_1M)
    gbps(benchmark, MiB)


def test_crc32c_reference_python_4kib(benchmark):
    data = DATA_1M[:4096]
    assert benchmark(crc32c_ref, data) == crc32c(data)
    gbps(benchmark, len(data))


def test_memcpy_baseline_bytes_1mib(benchmark):
    src = bytearray(DATA_1M)
    out = benchmark(bytes, src)
    assert out == DATA_1M
    gbps(benchmark, MiB)


def test_memcpy_baseline_numpy_1mib(benchmark):
    src = np.frombuffer(DATA_1M, dtype=np.uint8)
    dst = np.empty_like(src)
    benchmark(np.copyto, dst, src)
    assert dst.tobytes() == DATA_1M
    gbps(benchmark, MiB)


# --- validation ----------------------------------------------------------------------------------

BATCH_1M = batch([DATA_1M[i : i + 1000] for i in range(0, 1000 * 1040, 1000)][:1040], base_timestamp=BASE_TS)
SMALL_BATCH = batch([b"x" * 100] * 10)


def test_validate_1mib_batch(benchmark):
    assert len(BATCH_1M) < 1100 * 1000
    n = benchmark(validate_records, BATCH_1M, NOW, max_message_bytes=2 * MiB, log_append_time=False)
    assert n == 1040
    gbps(benchmark, len(BATCH_1M))


def test_validate_small_batch(benchmark):
    assert benchmark(validate_records, SMALL_BATCH, NOW, max_message_bytes=1048588, log_append_time=False) == 10
    gbps(benchmark, len(SMALL_BATCH))


# --- append --------------------------------------------------------------------------------------


def test_append_1mib_batches(benchmark):
    d = scratch_dir()
    log = open_log(os.path.join(d, "p"), max_message_bytes=2 * MiB, segment_bytes=256 * MiB)
    try:
        benchmark.pedantic(log.append, args=(BATCH_1M, NOW), rounds=400, iterations=1, warmup_rounds=10)
        assert log.log_end_offset == 410 * 1040
        gbps(benchmark, len(BATCH_1M))
    finally:
        log.delete()
        shutil.rmtree(d, ignore_errors=True)


def test_write_baseline_1mib(benchmark):
    """os.write of the same bytes to a file in the same place: the page cache's own speed."""
    d = scratch_dir()
    fd = os.open(os.path.join(d, "raw"), os.O_WRONLY | os.O_CREAT)
    try:
        benchmark.pedantic(os.write, args=(fd, BATCH_1M), rounds=400, iterations=1, warmup_rounds=10)
        assert os.fstat(fd).st_size == 410 * len(BATCH_1M)
        gbps(benchmark, len(BATCH_1M))
    finally:
        os.close(fd)
        os.unlink(os.path.join(d, "raw"))
        os.rmdir(d)


def test_append_small_batch(benchmark):
    d = scratch_dir()
    log = open_log(os.path.join(d, "p"))
    try:
        benchmark.pedantic(log.append, args=(SMALL_BATCH, NOW), rounds=20000, iterations=1)
        assert log.log_end_offset == 20000 * 10
        gbps(benchmark, len(SMALL_BATCH))
    finally:
        log.delete()
        shutil.rmtree(d, ignore_errors=True)


# --- index lookup ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_log():
    d = scratch_dir()
    log = open_log(os.path.join(d, "p"), segment_bytes=64 * MiB)
    b = batch([b"r" * 200] * 20)  # ~4.5 KB batches, ~200 MB
    for _ in range(45000):
        log.append(b, NOW)
    yield log
    log.delete()
    shutil.rmtree(d, ignore_errors=True)


def test_read_random_offsets(benchmark, big_log):
    leo = big_log.log_end_offset
    rnd = random.Random(11)
    offsets = [rnd.randrange(leo) for _ in range(1000)]

    def run() -> int:
        total = 0
        for o in offsets:
            total += big_log.read(o, 1 << 20).length
        return total

    assert benchmark(run) > 0
    s = big_log.read(offsets[0], 0)
    first = int.from_bytes(s.tobytes()[:8], "big")
    assert first <= offsets[0] < first + 20
    benchmark.extra_info["reads_per_round"] = len(offsets)


# --- decompression -----------------------------------------------------------------------------------

RAW = b"".join(b"key-%06d:" % i + bytes(random.Random(i).choices(b"abcdefgh", k=200)) for i in range(4000))


@pytest.mark.parametrize("codec", [GZIP, SNAPPY, LZ4, ZSTD], ids=["gzip", "snappy", "lz4", "zstd"])
def test_decompress(benchmark, codec):
    payload = compress(codec, RAW)
    assert benchmark(decompress, payload, codec) == RAW
    gbps(benchmark, len(RAW))  # uncompressed bytes per second


@pytest.mark.parametrize("codec", [NONE, GZIP, SNAPPY, LZ4, ZSTD], ids=["none", "gzip", "snappy", "lz4", "zstd"])
def test_validate_compressed_batch(benchmark, codec):
    values = [RAW[i : i + 200] for i in range(0, 200 * 2000, 200)]
    b = batch(values, codec=codec)
    assert benchmark(validate_records, b, NOW, max_message_bytes=4 * MiB, log_append_time=False) == 2000
    gbps(benchmark, sum(len(v) for v in values))


# --- append to a topic with compression.type set (recompression) ------------------------------------

CODEC_NAMES = {NONE: "none", GZIP: "gzip", SNAPPY: "snappy", LZ4: "lz4", ZSTD: "zstd"}
LEVELS = {GZIP: -1, LZ4: 9, ZSTD: 3}  # Kafka's default compression.*.level


@pytest.mark.parametrize(("sent", "topic"), [(NONE, None), (LZ4, LZ4), (NONE, LZ4), (NONE, ZSTD), (NONE, GZIP),
                                             (NONE, SNAPPY), (ZSTD, LZ4), (LZ4, NONE)],
                         ids=lambda c: "producer" if c is None else CODEC_NAMES[c])
def test_append_with_topic_compression(benchmark, sent, topic):
    """Append of a 2000-record (~420 KB raw) batch sent in codec `sent` to a topic whose
    compression.type is `topic` (None = producer): the recompression cost per appended batch.
    A batch already in the topic's codec is written as sent (same cost as producer)."""
    values = [RAW[i : i + 200] for i in range(0, 200 * 2000, 200)]
    b = batch(values, codec=sent)
    d = scratch_dir()
    codec = -1 if topic is None else topic
    log = open_log(os.path.join(d, "p"), segment_bytes=256 * MiB, max_message_bytes=4 * MiB,
                   compression_codec=codec, compression_level=LEVELS.get(codec, 0))
    try:
        benchmark.pedantic(log.append, args=(b, NOW), rounds=60, iterations=1, warmup_rounds=2)
        assert log.log_end_offset == 62 * 2000
        gbps(benchmark, sum(len(v) for v in values))  # uncompressed record bytes per second
    finally:
        log.delete()
        shutil.rmtree(d, ignore_errors=True)
