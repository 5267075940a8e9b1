"""CreateTopics / DeleteTopics through confluent_kafka.admin.AdminClient (plus raw requests for the
error cases a client would catch before sending), and topic auto-creation from Metadata and from
producing clients.
"""
from __future__ import annotations

import os

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from clients import (
    INVALID_PARTITIONS,
    INVALID_TOPIC_EXCEPTION,
    LEADER_NOT_AVAILABLE,
    NONE,
    TOPIC_ALREADY_EXISTS,
    UNKNOWN_TOPIC_OR_PARTITION,
    RawConnection,
    check_roundtrip,
    confluent_consumer,
    consume_confluent,
    create_topic,
    produce_confluent,
    produce_kafka_python,
    unique_topic,
    wait_for_partitions,
    wait_until,
)


def topic_names(bootstrap: str) -> set[str]:
    return set(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics)


def test_create_and_delete_topics(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    a, b = unique_topic("adm-a"), unique_topic("adm-b")
    futures = admin.create_topics([NewTopic(a, num_partitions=4, replication_factor=1),
                                   NewTopic(b, num_partitions=1, replication_factor=1)])
    for f in futures.values():
        f.result(30)
    wait_for_partitions(broker.bootstrap, a, 4)
    md = admin.list_topics(timeout=10)
    assert sorted(md.topics[a].partitions) == [0, 1, 2, 3]
    broker_ids = set(md.brokers)
    assert all(p.leader in broker_ids for p in md.topics[a].partitions.values())

    # the same name again: TOPIC_ALREADY_EXISTS, and the topic is untouched
    with pytest.raises(confluent_kafka.KafkaException) as exc:
        admin.create_topics([NewTopic(a, num_partitions=2, replication_factor=1)])[a].result(30)
    assert exc.value.args[0].code() == confluent_kafka.KafkaError.TOPIC_ALREADY_EXISTS
    assert len(admin.list_topics(topic=a, timeout=10).topics[a].partitions) == 4

    produce_confluent(broker.bootstrap, a, 400, 4)
    admin.delete_topics([a], operation_timeout=30)[a].result(30)
    assert wait_until(lambda: a not in topic_names(broker.bootstrap), 10), "deleted topic still listed"
    assert b in topic_names(broker.bootstrap)

    # deleting it again: UNKNOWN_TOPIC_OR_PARTITION
    with pytest.raises(confluent_kafka.KafkaException) as exc:
        admin.delete_topics([a], operation_timeout=30)[a].result(30)
    assert exc.value.args[0].code() == confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART

    # re-created under the same name it starts empty
    admin.create_topics([NewTopic(a, num_partitions=2, replication_factor=1)])[a].result(30)
    wait_for_partitions(broker.bootstrap, a, 2)
    consumer = confluent_consumer(broker.bootstrap)
    try:
        assert consumer.get_watermark_offsets(confluent_kafka.TopicPartition(a, 0), timeout=10) == (0, 0)
    finally:
        consumer.close()
    produce_confluent(broker.bootstrap, a, 100, 2)
    check_roundtrip(consume_confluent(broker.bootstrap, a, 100, range(2)), 100, 2, source="confluent")


def test_create_topics_validate_only(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    name = unique_topic("adm-val")
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)], validate_only=True)[name].result(30)
    assert name not in topic_names(broker.bootstrap)


def test_create_topics_errors_raw(broker):
    existing = unique_topic("adm-raw")
    with RawConnection(broker.bootstrap) as conn:
        assert conn.create_topics([(existing, 2, 1)]) == {existing: NONE}
        answers = conn.create_topics([
            (existing, 2, 1),
            ("bad/name", 1, 1),
            ("..", 1, 1),
            ("x" * 250, 1, 1),
            (unique_topic("zero"), 0, 1),
        ])
        assert answers[existing] == TOPIC_ALREADY_EXISTS
        assert answers["bad/name"] == INVALID_TOPIC_EXCEPTION
        assert answers[".."] == INVALID_TOPIC_EXCEPTION
        assert answers["x" * 250] == INVALID_TOPIC_EXCEPTION
        assert [e for n, e in answers.items() if n.startswith("zero")] == [INVALID_PARTITIONS]
        assert conn.delete_topics([unique_topic("never")]).popitem()[1] == UNKNOWN_TOPIC_OR_PARTITION
    names = topic_names(broker.bootstrap)
    assert "bad/name" not in names and not any(n.startswith("zero") for n in names)


def test_metadata_auto_creates_topic(broker_factory):
    broker = broker_factory({"num.partitions": 3})
    name = unique_topic("auto-md")
    with RawConnection(broker.bootstrap) as conn:
        first = conn.metadata([name], allow_auto_create=True)["topics"][name][0]
        # The request that triggers the creation may be answered before the topic is ready:
        # Apache Kafka 4.1 says UNKNOWN_TOPIC_OR_PARTITION, older ones LEADER_NOT_AVAILABLE.
        assert first in (NONE, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION)

        def ready():
            err, parts = conn.metadata([name], allow_auto_create=False)["topics"][name]
            return err == NONE and sorted(parts) == [0, 1, 2]
        assert wait_until(ready, 10), "auto-created topic did not get num.partitions=3 partitions"

        # a client may ask for metadata without creating (Metadata v4+ allow_auto_topic_creation=false)
        other = unique_topic("auto-no")
        assert conn.metadata([other], allow_auto_create=False)["topics"][other][0] == UNKNOWN_TOPIC_OR_PARTITION
        assert conn.metadata([other], allow_auto_create=False)["topics"][other][0] == UNKNOWN_TOPIC_OR_PARTITION


def test_auto_create_disabled(broker_factory):
    broker = broker_factory({"auto.create.topics.enable": "false"})
    name = unique_topic("auto-off")
    with RawConnection(broker.bootstrap) as conn:
        assert conn.metadata([name], allow_auto_create=True)["topics"][name][0] == UNKNOWN_TOPIC_OR_PARTITION
    assert name not in topic_names(broker.bootstrap)


@pytest.mark.parametrize("client", ["confluent", "kafka-python"])
def test_producing_client_auto_creates_topic(broker_factory, client):
    """Producing to a topic nobody created: the client's Metadata request creates it."""
    broker = broker_factory({"num.partitions": 2})
    name = unique_topic(f"auto-{client}")
    produce = produce_confluent if client == "confluent" else produce_kafka_python
    produce(broker.bootstrap, name, 200, 2, source=client)
    wait_for_partitions(broker.bootstrap, name, 2)
    check_roundtrip(consume_confluent(broker.bootstrap, name, 200, range(2)), 200, 2, source=client)


@pytest.mark.parametrize("name", ["evil\n", "ok\nok", "trailing\r", "x" * 249 + "\n", "é"])
def test_topic_name_must_match_kafkas_rule_in_full(broker, name):
    """Kafka's rule is [a-zA-Z0-9._-]{1,249} for the whole name: a trailing newline (which a
    `$`-anchored pattern lets through) must not create a folder with a newline in its name."""
    with RawConnection(broker.bootstrap) as conn:
        assert conn.create_topics([(name, 1, 1)]) == {name: INVALID_TOPIC_EXCEPTION}
        # Metadata's auto-creation goes through the same check
        assert conn.metadata([name], allow_auto_create=True)["topics"][name][0] == INVALID_TOPIC_EXCEPTION
    assert name not in topic_names(broker.bootstrap)
    data = os.path.join(broker.data_dir, "logs")
    assert not [entry for entry in os.listdir(data) if not entry.isprintable() or not entry.isascii()]


def test_longest_legal_topic_name_is_accepted(broker):
    name = "a" * 249
    with RawConnection(broker.bootstrap) as conn:
        assert conn.create_topics([(name, 1, 1)]) == {name: NONE}


def test_consumer_offsets_partition_count_cannot_change(broker):
    """Groups map to hash(group) % partitions of __consumer_offsets; Kafka refuses the change."""
    topic = unique_topic("offs")
    create_topic(broker.bootstrap, topic, 1)
    produce_confluent(broker.bootstrap, topic, 1, 1)
    consumer = confluent_consumer(broker.bootstrap, **{"group.id": unique_topic("grp")})
    try:
        consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, 1)], asynchronous=False)
    finally:
        consumer.close()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    before = len(admin.list_topics(timeout=10).topics["__consumer_offsets"].partitions)
    with pytest.raises(confluent_kafka.KafkaException) as info:
        admin.create_partitions([NewPartitions("__consumer_offsets", before + 1)])["__consumer_offsets"].result(10)
    assert info.value.args[0].code() == confluent_kafka.KafkaError.INVALID_PARTITIONS
    assert len(admin.list_topics(timeout=10).topics["__consumer_offsets"].partitions) == before
