"""Damage on disk is found, logged with its place and contained (fastlog issue 8, "Data on disk").

Each test produces records with acks=all through librdkafka into a topic with small segments,
stops the broker (kill -9 or SIGTERM), damages the files the way the issue describes, starts it
again and checks: every acknowledged record before the damage is still served, later segments
are still served, a fetch that reaches the damage answers CORRUPT_MESSAGE (never other bytes),
new records continue after the old log end (offsets are never reused) and the broker's log
names the segment file and byte position. `fastlog verify` reports the same damage offline.
"""
from __future__ import annotations

import glob
import os
import struct
import subprocess
import sys
import time

import confluent_kafka
import pytest

from clients import (
    RawConnection,
    confluent_consumer,
    create_topic,
    produce_confluent,
    record_key,
    unique_topic,
    wait_until,
)

N = 3000
CORRUPT_MESSAGE = 2
SEGMENT_BYTES = 16384
# Small batches, so that every segment holds many and has offset index entries.
SMALL_BATCHES = {"linger.ms": 0, "batch.num.messages": 10}


@pytest.fixture
def broker(broker_factory):
    return broker_factory({"log.segment.bytes": SEGMENT_BYTES, "log.index.interval.bytes": 1024})


def batches(path: str) -> list[tuple[int, int, int]]:
    """(byte position, base offset, last offset) of each batch of a segment file."""
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        last = base + struct.unpack_from(">i", data, pos + 23)[0]
        out.append((pos, base, last))
        pos += 12 + length
    return out


def produce_and_stop(broker, how: str) -> tuple[str, list[str]]:
    topic = unique_topic(f"damage-{how}")
    create_topic(broker.bootstrap, topic, 1)
    produce_confluent(broker.bootstrap, topic, N, 1, **SMALL_BATCHES)
    broker.kill() if how == "kill" else broker.stop()
    segments = sorted(glob.glob(os.path.join(broker.data_dir, "logs", f"{topic}-0", "*.log")))
    assert len(segments) >= 5, "the test needs several closed segments"
    return topic, segments


def consume_range(bootstrap: str, topic: str, start: int, end: int) -> list[int]:
    """Offsets read from `start` until `end` (exclusive); each record must be the one produced
    there (record i at offset i)."""
    consumer = confluent_consumer(bootstrap)
    offsets: list[int] = []
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, start)])
        deadline = time.monotonic() + 60
        while (not offsets or offsets[-1] < end - 1) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error() is None and msg.offset() < end:
                    assert msg.key() == record_key(msg.offset()), f"offset {msg.offset()} holds {msg.key()!r}"
                    offsets.append(msg.offset())
    finally:
        consumer.close()
    return offsets


def produce_one(bootstrap: str, topic: str) -> int:
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    reports = []
    producer.produce(topic, key=b"after", value=b"damage", partition=0,
                     on_delivery=lambda err, msg: reports.append((err, msg.offset())))
    assert producer.flush(30) == 0
    [(err, offset)] = reports
    assert err is None
    return offset


def fetch_error(bootstrap: str, topic: str, offset: int) -> tuple[int, bytes]:
    with RawConnection(bootstrap) as conn:
        r = conn.fetch(topic, 0, offset)
    return r.error, r.records


def check_contained(broker, topic: str, segments: list[str], damaged_at: int, next_segment: int,
                    place: str) -> None:
    """Offsets before `damaged_at` and from `next_segment` on are served, the damaged range
    answers CORRUPT_MESSAGE, new produces continue at N, the log names `place`."""
    assert consume_range(broker.bootstrap, topic, 0, damaged_at) == list(range(damaged_at))
    assert consume_range(broker.bootstrap, topic, next_segment, N) == list(range(next_segment, N))
    assert fetch_error(broker.bootstrap, topic, damaged_at) == (CORRUPT_MESSAGE, b"")
    assert produce_one(broker.bootstrap, topic) == N, "an offset was reused"
    assert wait_until(lambda: place in broker.log_tail(200_000), 10), broker.log_tail()
    assert all(os.path.exists(s) for s in segments), "a segment was deleted"


def run_verify(path: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastlog", "verify", path], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("how", ["kill", "clean"])
def test_bad_header_at_the_end_of_a_closed_segment(broker, how):
    """Issue: one bad batch header in an older segment cut it and deleted every later segment,
    then new produces reused offsets. Now the segment is marked damaged from that batch, the rest
    of the log stays."""
    topic, segments = produce_and_stop(broker, how)
    pos, base, _ = batches(segments[1])[-1]
    size_before = os.path.getsize(segments[1])
    with open(segments[1], "r+b") as f:
        f.seek(pos + 8)
        f.write(struct.pack(">i", 5))  # batchLength below the header size
    broker.start()
    next_base = int(os.path.basename(segments[2])[:20])
    check_contained(broker, topic, segments, base, next_base,
                    f"{os.path.basename(segments[1])} is damaged at byte position {pos} (offset {base})")
    assert os.path.getsize(segments[1]) == size_before, "a closed segment was truncated"


@pytest.mark.parametrize("how", ["kill", "clean"])
def test_bad_header_in_the_middle_of_a_segment(broker, how):
    """Issue: a bad header in the middle of a segment was missed at start and Fetch answered 56
    forever with nothing in the log. After a crash start finds it; after a clean stop (start
    trusts the files, as Kafka does) the first fetch that reaches it finds it; either way the log
    names the place and fetches answer CORRUPT_MESSAGE."""
    topic, segments = produce_and_stop(broker, how)
    found = batches(segments[1])
    pos, base, _ = found[len(found) // 2]
    with open(segments[1], "r+b") as f:
        f.seek(pos + 16)
        f.write(b"\x07")  # magic 7
    broker.start()
    next_base = int(os.path.basename(segments[2])[:20])
    place = f"{os.path.basename(segments[1])} is damaged at byte position {pos}"
    check_contained(broker, topic, segments, base, next_base, place)


def test_flipped_payload_byte_after_a_crash(broker):
    """Issue: a flipped payload byte in an old segment was served as is. After a crash every batch
    since the recovery point has its CRC checked, so it is found at start and never served."""
    topic, segments = produce_and_stop(broker, "kill")
    found = batches(segments[2])
    pos, base, _ = found[3]
    with open(segments[2], "r+b") as f:
        f.seek(pos + 70)
        byte = f.read(1)
        f.seek(pos + 70)
        f.write(bytes([byte[0] ^ 0x01]))
    broker.start()
    next_base = int(os.path.basename(segments[3])[:20])
    check_contained(broker, topic, segments, base, next_base,
                    f"{os.path.basename(segments[2])} is damaged at byte position {pos} (offset {base}): "
                    "Record batch is corrupt")


def test_deleted_middle_segment_is_reported(broker):
    """Issue: a deleted middle segment left an offset hole nobody reported."""
    topic, segments = produce_and_stop(broker, "clean")
    gone_from = int(os.path.basename(segments[2])[:20])
    gone_to = int(os.path.basename(segments[3])[:20])
    for ext in ("log", "index", "timeindex"):
        os.remove(segments[2][:-3] + ext)
    broker.start()
    assert wait_until(lambda: f"offsets {gone_from} to {gone_to - 1} are missing" in broker.log_tail(200_000), 10)
    assert consume_range(broker.bootstrap, topic, 0, gone_from) == list(range(gone_from))
    assert consume_range(broker.bootstrap, topic, gone_to, N) == list(range(gone_to, N))
    assert produce_one(broker.bootstrap, topic) == N


def test_verify_reports_damage_and_passes_a_clean_folder(broker):
    topic, segments = produce_and_stop(broker, "clean")
    logs = os.path.join(broker.data_dir, "logs")
    ok = run_verify(logs)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"INFO {topic}-0: {len(segments)} segments" in ok.stdout and "0 problems found" in ok.stdout

    pos, base, _ = batches(segments[1])[2]
    with open(segments[1], "r+b") as f:
        f.seek(pos + 100)
        byte = f.read(1)
        f.seek(pos + 100)
        f.write(bytes([byte[0] ^ 0x80]))  # a payload byte: only the CRC can tell
    bad = run_verify(logs)
    assert bad.returncode == 1
    assert (f"ERROR {topic}-0: {os.path.basename(segments[1])}: damaged at byte position {pos} (offset {base})"
            in bad.stdout), bad.stdout
    assert run_verify(os.path.dirname(segments[1])).returncode == 1  # one partition folder works too
    assert run_verify(os.path.join(logs, "no-such-folder")).returncode == 2
