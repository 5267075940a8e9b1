"""Reads from the log start while the cleaner swaps segments and retention deletes them.

A compact,delete topic with small segments takes keyed records from an idempotent producer for
a few seconds, so that cleaner passes (each a swap of segment files) and retention deletions
(retention.bytes) keep happening; meanwhile librdkafka consumers (CRC checks on) read the
partition again and again from the log start up to the high watermark they saw when they began.
Every read must end there without an error, with offsets only growing and, per key, values in
the order they were produced (compaction removes records, never reorders or alters them). With
one network loop and with three, where a Fetch runs on its own thread while the main loop's
cleaner and retention change the segment list. Bounded: about 6 s of producing per case.
"""
from __future__ import annotations

import threading
import time

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from clients import confluent_consumer, run_all, unique_topic

PRODUCING_SECONDS = 6.0
KEYS = 20
READERS = 3


def read_from_start(bootstrap: str, topic: str) -> tuple[list[tuple[int, bytes, bytes]], int]:
    """One pass from the log start to the high watermark as it was at the start of the pass."""
    consumer = confluent_consumer(bootstrap, **{"check.crcs": True})
    try:
        high = consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10)[1]
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
        out: list[tuple[int, bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while (not out or out[-1][0] < high - 1) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.2):
                assert msg.error() is None, f"{msg.error()} (read so far up to {out[-1:]}, high watermark {high})"
                out.append((msg.offset(), msg.key(), msg.value()))
        assert out and out[-1][0] >= high - 1, f"read up to {out[-1:]} of high watermark {high}"
        return out, high
    finally:
        consumer.close()


def check_pass(records: list[tuple[int, bytes, bytes]]) -> None:
    offsets = [o for o, _, _ in records]
    assert offsets == sorted(set(offsets)), "offsets repeat or go back"
    last_seq: dict[bytes, int] = {}
    for offset, key, value in records:
        name, seq, _pad = value.split(b":", 2)
        assert name == key, f"offset {offset}: value {value[:20]!r} under key {key!r}"
        assert int(seq) > last_seq.get(key, -1), f"offset {offset}: key {key!r} went back to {int(seq)}"
        last_seq[key] = int(seq)


@pytest.mark.parametrize("loops", [1, 3])
def test_reads_from_the_start_stay_whole_while_segments_are_cleaned_and_deleted(broker_factory, loops):
    broker = broker_factory({"num.network.threads": loops, "log.cleaner.backoff.ms": 20,
                             "log.retention.check.interval.ms": 100})
    topic = unique_topic("clean-read")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config={
        "cleanup.policy": "compact,delete", "segment.bytes": "4096", "min.cleanable.dirty.ratio": "0.01",
        "retention.bytes": "40000"})])[topic].result(30)
    stop = threading.Event()   # set when producing ends, or when a reader fails
    passes = [0] * READERS

    def produce() -> None:
        try:
            producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True,
                                                 "linger.ms": 2, "acks": "all"})
            seq = 0
            end = time.monotonic() + PRODUCING_SECONDS
            while time.monotonic() < end and not stop.is_set():
                for k in range(KEYS):
                    key = b"k%d" % k
                    producer.produce(topic, key=key, value=key + b":%d:" % seq + b"x" * 80, partition=0)
                    seq += 1
                producer.poll(0)
                time.sleep(0.002)
            assert producer.flush(30) == 0
        finally:
            stop.set()

    def read(i: int) -> None:
        try:
            while not stop.is_set():
                records, _ = read_from_start(broker.bootstrap, topic)
                check_pass(records)
                passes[i] += 1
        finally:
            stop.set()

    run_all([produce] + [lambda i=i: read(i) for i in range(READERS)], timeout=120)
    assert min(passes) >= 2, passes
    log = open(broker.log_file, encoding="utf-8").read()
    assert "cleaned " in log, "no cleaner pass ran while reading"
    # Retention deleted segments too: the log start moved past offset 0.
    low = read_from_start(broker.bootstrap, topic)[0][0][0]
    assert low > 0
