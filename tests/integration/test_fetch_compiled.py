"""The compiled Fetch path (handlers/fetch.py `_compiled`, _native.decode_fetch and fetch_decoded) with real clients
over many partitions: librdkafka opens no fetch session, so each of its Fetches names every
partition (v12+, by topic id from v13), and aiokafka asks a non-flexible version (v4-v11) with
session epoch -1 (no session); both read every
record exactly once, whole (librdkafka checks each batch's CRC), with the response caps small
enough that most fetches fill up partway (partition_max_bytes, max_bytes and KIP-74)."""
from __future__ import annotations

import time

import confluent_kafka
import pytest

from clients import (
    Consumed,
    check_roundtrip,
    confluent_consumer,
    consume_aiokafka,
    create_topic,
    produce_confluent,
    unique_topic,
)

PARTITIONS = 300
COUNT = 9_000


@pytest.fixture
def filled(broker):
    topic = unique_topic("compiled")
    create_topic(broker.bootstrap, topic, PARTITIONS)
    produce_confluent(broker.bootstrap, topic, COUNT, PARTITIONS, codec="lz4", **{"linger.ms": 5})
    return broker.bootstrap, topic


@pytest.mark.parametrize("limits", [
    {},
    # Small caps: a partition's first batch goes anyway (KIP-74).
    {"fetch.max.bytes": 20_000, "message.max.bytes": 10_000, "max.partition.fetch.bytes": 1_000},
])
def test_librdkafka_reads_many_partitions_exactly_once(filled, limits):
    bootstrap, topic = filled
    consumer = confluent_consumer(bootstrap, **{"check.crcs": True, "fetch.wait.max.ms": 100, **limits})
    consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    out: list[Consumed] = []
    deadline = time.monotonic() + 120
    try:
        while len(out) < COUNT and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=10_000, timeout=0.5):
                assert msg.error() is None, msg.error()
                out.append(Consumed(msg.partition(), msg.offset(), msg.key(), msg.value(),
                                    list(msg.headers() or []), msg.timestamp()[1]))
        # Nothing more comes: every record was read once (a long-polling fetch over all partitions).
        extra = consumer.consume(num_messages=10, timeout=1.0)
        assert extra == [], [(m.partition(), m.offset()) for m in extra]
    finally:
        consumer.close()
    check_roundtrip(out, COUNT, PARTITIONS, "confluent")


def test_aiokafka_reads_many_partitions_exactly_once_sessionless(filled):
    bootstrap, topic = filled
    check_roundtrip(consume_aiokafka(bootstrap, topic, COUNT, range(PARTITIONS)), COUNT, PARTITIONS, "confluent")
