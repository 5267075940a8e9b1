"""Durability across restarts.

- Clean restart (SIGTERM): everything produced is read back, topics keep their partitions, and
  new records continue at the old log end.
- kill -9 in the middle of a produce run, then restart: every record whose delivery report said
  success is in the log at the reported offset, acknowledged records keep their order, and the
  same producer carries on after the restart. (A crash does not lose what the broker wrote to the
  page cache, so an acks=all answer must mean the record is in the log file.)
"""
from __future__ import annotations

import glob
import os
import time

import confluent_kafka
import pytest

from clients import (
    CONSUMERS,
    PRODUCERS,
    RawRecord,
    build_batch,
    check_roundtrip,
    confluent_consumer,
    confluent_producer_config,
    consume_confluent,
    create_topic,
    produce_confluent,
    record_headers,
    record_key,
    record_value,
    unique_topic,
)

PARTITIONS = 6


def test_clean_restart_keeps_everything(broker):
    topics = {}
    for client, codec, count in [("confluent", "gzip", 30_000), ("kafka-python", "none", 3_000),
                                 ("aiokafka", "zstd", 3_000)]:
        topic = unique_topic(f"clean-{client}")
        create_topic(broker.bootstrap, topic, PARTITIONS)
        PRODUCERS[client](broker.bootstrap, topic, count, PARTITIONS, codec=codec, source=client)
        topics[topic] = (client, count)

    broker.restart(clean=True)

    admin_md = confluent_kafka.admin.AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=10)
    for topic, (client, count) in topics.items():
        assert len(admin_md.topics[topic].partitions) == PARTITIONS, "partition count lost on restart"
        records = CONSUMERS[client](broker.bootstrap, topic, count, range(PARTITIONS))
        check_roundtrip(records, count, PARTITIONS, source=client)

    # producing continues where the log ended
    topic = next(iter(topics))
    _, count = topics[topic]
    consumer = confluent_consumer(broker.bootstrap)
    try:
        ends = [consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=10)
                for p in range(PARTITIONS)]
    finally:
        consumer.close()
    assert ends == [(0, len(range(p, count, PARTITIONS))) for p in range(PARTITIONS)]
    producer = confluent_kafka.Producer(confluent_producer_config(broker.bootstrap))
    reports = []
    producer.produce(topic, key=b"after", value=b"restart", partition=0,
                     on_delivery=lambda err, msg: reports.append((err, msg.offset())))
    assert producer.flush(30) == 0
    assert reports == [(None, ends[0][1])]


def test_sigterm_exits_cleanly(broker):
    """fastlog's own contract (docs/architecture.md): SIGTERM is a clean shutdown, exit code 0.
    (A JVM Kafka broker exits 143 here; this is not a Kafka compatibility check.)"""
    topic = unique_topic("term")
    create_topic(broker.bootstrap, topic, 1)
    produce_confluent(broker.bootstrap, topic, 100, 1)
    assert broker.stop() == 0
    broker.start()
    check_roundtrip(consume_confluent(broker.bootstrap, topic, 100, [0]), 100, 1, source="confluent")


@pytest.mark.slow
def test_kill9_during_produce_keeps_acknowledged_records(broker):
    topic = unique_topic("kill9")
    create_topic(broker.bootstrap, topic, PARTITIONS)
    total, kill_at, chunk = 60_000, 20_000, 1000
    acked: dict[int, tuple[int, int]] = {}  # i -> (partition, offset)
    failed: dict[int, object] = {}

    def on_delivery(err, msg) -> None:
        i = int(msg.key()[1:])
        if err is None:
            acked[i] = (msg.partition(), msg.offset())
        else:
            failed[i] = err

    # Not idempotent on purpose: this is about durability, so a retried batch may be duplicated;
    # one request in flight per connection keeps acknowledged records in order through retries.
    producer = confluent_kafka.Producer(confluent_producer_config(
        broker.bootstrap, "snappy",
        **{"enable.idempotence": False, "acks": "all", "max.in.flight.requests.per.connection": 1,
           "message.timeout.ms": 120000, "linger.ms": 5, "error_cb": lambda e: None}))
    killed_at_i = None
    for start in range(0, total, chunk):
        for i in range(start, start + chunk):
            producer.produce(topic, key=record_key(i), value=record_value(i), partition=i % PARTITIONS,
                             headers=record_headers(i, "kill9"), on_delivery=on_delivery)
        producer.poll(0)
        if killed_at_i is None and len(acked) >= kill_at:
            assert len(producer) > 0  # right after queueing a chunk: records are in flight
            broker.kill()
            killed_at_i = start + chunk  # records from here on are produced after the crash
            time.sleep(0.5)  # the producer sees the connection drop and retries
            broker.start()
        while len(acked) + len(failed) < start + chunk - 3 * chunk:
            producer.poll(0.05)
    assert killed_at_i is not None
    assert producer.flush(120) == 0

    after = [i for i in range(killed_at_i, total)]
    assert all(i in acked for i in after), (
        f"producing did not continue after the restart: {sum(i not in acked for i in after)} of "
        f"{len(after)} later records not acknowledged, e.g. {[failed.get(i) for i in after if i in failed][:3]}")

    # read every partition to its end
    consumer = confluent_consumer(broker.bootstrap)
    try:
        ends = {p: consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=10)[1]
                for p in range(PARTITIONS)}
    finally:
        consumer.close()
    records = consume_confluent(broker.bootstrap, topic, sum(ends.values()), range(PARTITIONS), timeout=120)
    log = {(r.partition, r.offset): r for r in records}
    assert len(log) == sum(ends.values()), "offsets in the log are not contiguous"

    for (p, off), r in log.items():  # whatever is in the log is a whole, valid record
        i = int(r.key[1:])
        assert r.value == record_value(i) and p == i % PARTITIONS
    for i, (p, off) in acked.items():  # every acknowledged record is where the broker said
        r = log.get((p, off))
        assert r is not None, f"acked record {i} at {p}@{off} missing after kill -9"
        assert r.key == record_key(i), f"{p}@{off} holds {r.key!r}, acked as {record_key(i)!r}"
    for p in range(PARTITIONS):  # acknowledged records kept their order
        offs = [acked[i][1] for i in sorted(acked) if i % PARTITIONS == p]
        assert offs == sorted(offs) and len(set(offs)) == len(offs)


def test_kill9_without_traffic_then_restart(broker):
    """A crash of an idle broker loses nothing that was acknowledged, for every client's batches."""
    topic = unique_topic("idle-kill")
    create_topic(broker.bootstrap, topic, 2)
    produce_confluent(broker.bootstrap, topic, 5000, 2, codec="lz4")
    broker.kill()
    broker.start()
    check_roundtrip(consume_confluent(broker.bootstrap, topic, 5000, range(2)), 5000, 2, source="confluent")
    # and the recovered log takes more records at its end
    producer = confluent_kafka.Producer(confluent_producer_config(broker.bootstrap))
    reports = []
    producer.produce(topic, key=b"after", value=b"kill", partition=1,
                     on_delivery=lambda err, msg: reports.append((err, msg.offset())))
    assert producer.flush(30) == 0
    assert reports == [(None, 2500)]


@pytest.mark.parametrize("tail", ["partial-header", "bad-crc-batch", "zeros"])
def test_torn_tail_after_crash_is_truncated(broker, tail):
    """A crash can leave a half-written batch at the end of the active segment. Recovery (like
    Kafka's) keeps every whole valid batch, drops the torn tail, and appends after the last good one."""
    topic = unique_topic("torn")
    create_topic(broker.bootstrap, topic, 1)
    produce_confluent(broker.bootstrap, topic, 1000, 1)
    broker.kill()

    partition_dir = os.path.join(broker.data_dir, "logs", f"{topic}-0")
    active = max(glob.glob(os.path.join(partition_dir, "*.log")))
    junk = {
        "partial-header": build_batch([RawRecord(b"k", b"torn")], base_offset=1000)[:40],
        "bad-crc-batch": build_batch([RawRecord(b"k", b"torn")], base_offset=1000, bad_crc=True),
        "zeros": bytes(4096),  # preallocated-looking tail
    }[tail]
    with open(active, "ab") as f:
        f.write(junk)

    broker.start()
    check_roundtrip(consume_confluent(broker.bootstrap, topic, 1000, [0]), 1000, 1, source="confluent")
    consumer = confluent_consumer(broker.bootstrap)
    try:
        assert consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10) == (0, 1000)
    finally:
        consumer.close()
    producer = confluent_kafka.Producer(confluent_producer_config(broker.bootstrap))
    reports = []
    producer.produce(topic, key=b"after", value=b"after-crash", partition=0,
                     on_delivery=lambda err, msg: reports.append((err, msg.offset())))
    assert producer.flush(30) == 0
    assert reports == [(None, 1000)]
    records = consume_confluent(broker.bootstrap, topic, 1001, [0])
    assert [(r.offset, r.value) for r in records[1000:]] == [(1000, b"after-crash")]
