"""Fetch responses whose small regions (up to 16 KiB) are gathered with their headers into one
send and whose larger ones go with sendfile (_native.send_pieces): a real consumer, tailing
while a producer sends one record per request and catching up through a backlog, gets every
record whole and in order, with librdkafka checking each batch's CRC."""
from __future__ import annotations

import hashlib
import threading
import time

import confluent_kafka
import pytest

from clients import confluent_consumer, confluent_producer_config, create_topic, unique_topic

PARTITIONS = 6
PER_PARTITION = 40
# Below, near and above the 16 KiB gathering size, so one response mixes both ways of sending.
SIZES = (40, 3_000, 15_000, 17_000, 70_000)


def value(partition: int, i: int) -> bytes:
    seed = hashlib.sha256(b"%d-%d" % (partition, i)).digest()
    size = SIZES[(i + partition) % len(SIZES)]
    return (seed * (size // len(seed) + 1))[:size]


@pytest.mark.parametrize("partition_fetch_bytes", [4096, 1 << 20])
def test_a_tailing_consumer_gets_small_and_large_regions_whole(broker, partition_fetch_bytes):
    bootstrap = broker.bootstrap
    topic = unique_topic("gathered")
    create_topic(bootstrap, topic, PARTITIONS)
    consumer = confluent_consumer(bootstrap, **{"check.crcs": True, "fetch.wait.max.ms": 500,
                                                "max.partition.fetch.bytes": partition_fetch_bytes})
    consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    errors: list[object] = []

    def produce() -> None:
        # One record per request (linger.ms=0, a flush each), then a backlog in batches.
        producer = confluent_kafka.Producer(confluent_producer_config(bootstrap, **{"linger.ms": 0}))
        for i in range(PER_PARTITION):
            for p in range(PARTITIONS):
                producer.produce(topic, value(p, i), partition=p,
                                 on_delivery=lambda err, msg: err is not None and errors.append(err))
            if i < PER_PARTITION // 2:
                producer.flush(30)
        assert producer.flush(60) == 0

    thread = threading.Thread(target=produce)
    thread.start()
    got: dict[int, list[bytes]] = {p: [] for p in range(PARTITIONS)}
    deadline = time.monotonic() + 120
    try:
        while sum(map(len, got.values())) < PARTITIONS * PER_PARTITION and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                assert msg.error() is None, msg.error()
                assert msg.offset() == len(got[msg.partition()])
                got[msg.partition()].append(msg.value())
    finally:
        thread.join(60)
        consumer.close()
    assert not errors, errors[:3]
    for p in range(PARTITIONS):
        assert got[p] == [value(p, i) for i in range(PER_PARTITION)], f"partition {p}"
