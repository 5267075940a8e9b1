"""ListOffsets through real clients: earliest, latest, by timestamp, max timestamp.

Six records with explicit, non-monotonic timestamps in two compressed batches:
    offset:     0    1    2    3    4    5
    ts - BASE: 100  300  200  900  500  700
Kafka's answers: by timestamp T -> the first offset whose timestamp is >= T (-1 / None when none
is), max timestamp -> the offset of the record with the largest timestamp (3), earliest 0, latest 6.
The batches are lz4-compressed so the broker has to look inside them for the exact record.
"""
from __future__ import annotations

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, OffsetSpec

from clients import confluent_consumer, confluent_producer_config, create_topic, unique_topic

BASE = 1_700_000_000_000
DELTAS = [100, 300, 200, 900, 500, 700]
# timestamp to look up -> expected offset (-1: no record at or after it)
LOOKUPS = {BASE: 0, BASE + 100: 0, BASE + 101: 1, BASE + 250: 1, BASE + 300: 1, BASE + 301: 3,
           BASE + 500: 3, BASE + 900: 3, BASE + 901: -1}


@pytest.fixture
def timed_topic(broker):
    topic = unique_topic("lo")
    create_topic(broker.bootstrap, topic, 1)
    producer = confluent_kafka.Producer(confluent_producer_config(broker.bootstrap, "lz4", **{"linger.ms": 50}))
    for half in (DELTAS[:3], DELTAS[3:]):
        for d in half:
            producer.produce(topic, key=b"k%d" % d, value=b"v%d" % d, partition=0, timestamp=BASE + d)
        assert producer.flush(30) == 0  # two separate batches
    return topic


def test_confluent_watermarks_and_offsets_for_times(broker, timed_topic):
    consumer = confluent_consumer(broker.bootstrap)
    try:
        tp = confluent_kafka.TopicPartition(timed_topic, 0)
        assert consumer.get_watermark_offsets(tp, timeout=10) == (0, 6)
        for ts, expected in LOOKUPS.items():
            [res] = consumer.offsets_for_times([confluent_kafka.TopicPartition(timed_topic, 0, ts)], timeout=10)
            assert res.error is None
            assert res.offset == expected, f"offsets_for_times({ts - BASE:+d}) -> {res.offset}, expected {expected}"
    finally:
        consumer.close()


def test_admin_list_offsets_specs(broker, timed_topic):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    tp = confluent_kafka.TopicPartition(timed_topic, 0)
    cases = {"earliest": (OffsetSpec.earliest(), 0), "latest": (OffsetSpec.latest(), 6),
             "max_timestamp": (OffsetSpec.max_timestamp(), 3),
             "for_timestamp": (OffsetSpec.for_timestamp(BASE + 450), 3)}
    for name, (spec, expected) in cases.items():
        result = admin.list_offsets({tp: spec}, request_timeout=10)[tp].result(10)
        assert result.offset == expected, f"{name}: {result.offset}, expected {expected}"
        if name == "max_timestamp":
            assert result.timestamp == BASE + 900


def test_kafka_python_offsets(broker, timed_topic):
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None, enable_auto_commit=False)
    try:
        tp = TopicPartition(timed_topic, 0)
        assert consumer.beginning_offsets([tp]) == {tp: 0}
        assert consumer.end_offsets([tp]) == {tp: 6}
        for ts, expected in LOOKUPS.items():
            found = consumer.offsets_for_times({tp: ts})[tp]
            if expected == -1:
                assert found is None, f"offsets_for_times({ts - BASE:+d}) -> {found}, expected none"
            else:
                assert found is not None and found.offset == expected, f"{ts - BASE:+d} -> {found}"
                assert found.timestamp == BASE + DELTAS[expected]
    finally:
        consumer.close()


def test_offsets_of_an_empty_partition(broker):
    topic = unique_topic("lo-empty")
    create_topic(broker.bootstrap, topic, 1)
    consumer = confluent_consumer(broker.bootstrap)
    try:
        tp = confluent_kafka.TopicPartition(topic, 0)
        assert consumer.get_watermark_offsets(tp, timeout=10) == (0, 0)
        [res] = consumer.offsets_for_times([confluent_kafka.TopicPartition(topic, 0, BASE)], timeout=10)
        assert res.offset == -1
    finally:
        consumer.close()
