"""Each real client library produces 100,000 keyed records over 6 partitions, once per compression
codec, and consumes them all back with explicit partition assignment (no consumer group).

Record i goes to partition i % 6, so the record at offset o of partition p must be record o*6 + p:
keys, values, headers, per-partition order and contiguous offsets are all checked exactly
(clients.check_roundtrip).
"""
from __future__ import annotations

import time

import pytest

from clients import CODECS, CONSUMERS, PRODUCERS, check_roundtrip, create_topic, unique_topic

COUNT = 100_000
PARTITIONS = 6


@pytest.mark.slow
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("client", list(PRODUCERS))
def test_produce_consume_roundtrip(broker, client, codec):
    topic = unique_topic(f"rt-{client}-{codec}")
    create_topic(broker.bootstrap, topic, PARTITIONS)

    t0 = time.monotonic()
    PRODUCERS[client](broker.bootstrap, topic, COUNT, PARTITIONS, codec=codec, source=client)
    t1 = time.monotonic()
    records = CONSUMERS[client](broker.bootstrap, topic, COUNT, range(PARTITIONS))
    t2 = time.monotonic()
    print(f"{client}/{codec}: produce {COUNT / (t1 - t0):,.0f} rec/s, consume {COUNT / (t2 - t1):,.0f} rec/s")

    check_roundtrip(records, COUNT, PARTITIONS, source=client)


@pytest.mark.parametrize("producer,consumer", [("confluent", "kafka-python"), ("kafka-python", "aiokafka"),
                                               ("aiokafka", "confluent")])
def test_cross_client(broker, producer, consumer):
    """What one library writes another reads: the broker keeps batches byte-exact (lz4 here)."""
    topic = unique_topic("cross")
    create_topic(broker.bootstrap, topic, 3)
    PRODUCERS[producer](broker.bootstrap, topic, 3000, 3, codec="lz4", source=producer)
    records = CONSUMERS[consumer](broker.bootstrap, topic, 3000, range(3))
    check_roundtrip(records, 3000, 3, source=producer)
