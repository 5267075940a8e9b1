"""The admin APIs beyond create/delete topics, through confluent-kafka's AdminClient (and our
codec over a raw socket for OffsetForLeaderEpoch, which AdminClient does not expose)."""
from __future__ import annotations

import socket
import struct

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, ResourceType

from fastlog.protocol import codec

from clients import create_topic, produce_confluent, unique_topic

OFFSET_FOR_LEADER_EPOCH = 23


def _admin(broker) -> AdminClient:
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def test_describe_cluster(broker):
    admin = _admin(broker)
    cluster = admin.describe_cluster().result(10)
    assert [(n.id, n.host, n.port) for n in cluster.nodes] == [(1, "127.0.0.1", broker.port)]
    assert cluster.controller.id == 1
    assert cluster.cluster_id


def test_describe_topic_configs(broker):
    topic = unique_topic("cfg")
    admin = _admin(broker)
    from confluent_kafka.admin import NewTopic
    admin.create_topics([NewTopic(topic, 1, 1, config={"retention.ms": "12345"})])[topic].result(10)
    configs = admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)])
    entries = list(configs.values())[0].result(10)
    assert entries["retention.ms"].value == "12345"
    assert not entries["retention.ms"].is_default
    assert entries["max.message.bytes"].value == "1048588"
    assert entries["max.message.bytes"].is_default
    missing = admin.describe_configs([ConfigResource(ResourceType.TOPIC, "no-such-topic")])
    try:
        list(missing.values())[0].result(10)
    except Exception as e:  # UNKNOWN_TOPIC_OR_PARTITION
        assert "UNKNOWN_TOPIC_OR_PART" in str(e) or "does not exist" in str(e)
    else:
        raise AssertionError("describe_configs of an unknown topic succeeded")


def test_create_partitions_grows_and_never_shrinks(broker):
    topic = unique_topic("grow")
    create_topic(broker.bootstrap, topic, 2)
    admin = _admin(broker)
    admin.create_partitions([NewPartitions(topic, 5)])[topic].result(10)
    meta = admin.list_topics(topic, timeout=10)
    assert sorted(meta.topics[topic].partitions) == [0, 1, 2, 3, 4]
    try:
        admin.create_partitions([NewPartitions(topic, 3)])[topic].result(10)
    except Exception as e:
        assert "INVALID_PARTITIONS" in str(e) or "partitions" in str(e)
    else:
        raise AssertionError("shrinking a topic succeeded")


def test_delete_records_moves_the_log_start(broker):
    topic = unique_topic("delrec")
    create_topic(broker.bootstrap, topic, 1)
    produce_confluent(broker.bootstrap, topic, 100, 1)
    admin = _admin(broker)
    result = admin.delete_records([TopicPartition(topic, 0, 40)])
    low = list(result.values())[0].result(10)
    assert low.low_watermark == 40
    from clients import confluent_consumer
    consumer = confluent_consumer(broker.bootstrap)
    try:
        assert consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10) == (40, 100)
    finally:
        consumer.close()


def test_offset_for_leader_epoch(broker):
    topic = unique_topic("epoch")
    create_topic(broker.bootstrap, topic, 1)
    produce_confluent(broker.bootstrap, topic, 10, 1)
    body = {"replica_id": -2, "topics": [{"topic": topic, "partitions": [
        {"partition": 0, "current_leader_epoch": 0, "leader_epoch": 0},
        {"partition": 7, "current_leader_epoch": 0, "leader_epoch": 0}]}]}
    frame = codec.encode_request(OFFSET_FOR_LEADER_EPOCH, 4, 9, "test", body)
    with socket.create_connection((broker.host, broker.port), timeout=10) as sock:
        sock.sendall(frame)
        size = struct.unpack(">i", _recv(sock, 4))[0]
        correlation_id, response = codec.decode_response(OFFSET_FOR_LEADER_EPOCH, 4, _recv(sock, size))
    assert correlation_id == 9
    parts = response["topics"][0]["partitions"]
    assert (parts[0]["error_code"], parts[0]["leader_epoch"], parts[0]["end_offset"]) == (0, 0, 10)
    assert parts[1]["error_code"] == 3  # UNKNOWN_TOPIC_OR_PARTITION


def _recv(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        assert chunk, "connection closed"
        out += chunk
    return out


def _incremental(admin, topic: str, *entries) -> None:
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry
    ops = {"set": AlterConfigOpType.SET, "delete": AlterConfigOpType.DELETE,
           "append": AlterConfigOpType.APPEND, "subtract": AlterConfigOpType.SUBTRACT}
    resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry(name, value, incremental_operation=ops[op]) for op, name, value in entries])
    list(admin.incremental_alter_configs([resource]).values())[0].result(10)


def _describe(admin, topic: str) -> dict:
    return list(admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)]).values())[0].result(10)


def test_incremental_alter_configs(broker):
    topic = unique_topic("alter")
    create_topic(broker.bootstrap, topic, 1)
    admin = _admin(broker)
    _incremental(admin, topic, ("set", "retention.ms", "5000"), ("set", "retention.bytes", "123456"))
    entries = _describe(admin, topic)
    assert (entries["retention.ms"].value, entries["retention.bytes"].value) == ("5000", "123456")
    _incremental(admin, topic, ("delete", "retention.ms", None), ("append", "cleanup.policy", "compact"))
    entries = _describe(admin, topic)
    assert entries["retention.ms"].is_default
    assert entries["cleanup.policy"].value == "delete,compact"
    # Every topic config changes on a live topic (test_live_configs.py shows each taking effect).
    _incremental(admin, topic, ("set", "segment.bytes", "1000000"))
    assert _describe(admin, topic)["segment.bytes"].value == "1000000"
    # SUBTRACT may leave cleanup.policy empty (Kafka 4.1).
    _incremental(admin, topic, ("subtract", "cleanup.policy", "delete,compact"))
    assert _describe(admin, topic)["cleanup.policy"].value == ""


def test_topic_config_values_are_checked(broker):
    from confluent_kafka.admin import NewTopic
    admin = _admin(broker)
    for config in ({"retention.ms": "soon"}, {"compression.type": "brotli"}, {"no.such.config": "1"}):
        topic = unique_topic("badcfg")
        try:
            admin.create_topics([NewTopic(topic, 1, 1, config=config)])[topic].result(10)
        except Exception as e:
            assert "INVALID_CONFIG" in str(e) or "Invalid" in str(e) or "Unknown" in str(e), str(e)
        else:
            raise AssertionError(f"topic created with {config}")


def test_altered_retention_deletes_old_segments(broker_factory):
    broker = broker_factory({"log.retention.check.interval.ms": 200})
    from confluent_kafka.admin import NewTopic
    topic = unique_topic("retain")
    admin = _admin(broker)
    admin.create_topics([NewTopic(topic, 1, 1, config={"segment.bytes": "4096"})])[topic].result(10)
    produce_confluent(broker.bootstrap, topic, 500, 1)
    from clients import confluent_consumer, wait_until
    consumer = confluent_consumer(broker.bootstrap)
    try:
        tp = TopicPartition(topic, 0)
        assert consumer.get_watermark_offsets(tp, timeout=10) == (0, 500)
        _incremental(admin, topic, ("set", "retention.ms", "1"))
        assert wait_until(lambda: consumer.get_watermark_offsets(tp, timeout=10, cached=False)[0] > 0, 15), \
            "retention.ms=1 set at runtime deleted no segment"
        low, high = consumer.get_watermark_offsets(tp, timeout=10)
        assert high == 500 and low > 0
    finally:
        consumer.close()


def test_kafka_config_command_alters_and_describes(broker):
    from fastlog import kafka_dist as kd
    topic = unique_topic("cfgcmd")
    create_topic(broker.bootstrap, topic, 1)
    base = ["--bootstrap-server", broker.bootstrap, "--entity-type", "topics", "--entity-name", topic]
    altered = kd.run_class(kd.CONFIG_COMMAND, [*base, "--alter", "--add-config", "retention.ms=86400000"],
                           timeout=120, jvm_opts=kd.FAST_START_OPTS)
    assert altered.returncode == 0, altered.stdout + altered.stderr
    described = kd.run_class(kd.CONFIG_COMMAND, [*base, "--describe"], timeout=120, jvm_opts=kd.FAST_START_OPTS)
    assert described.returncode == 0, described.stdout + described.stderr
    assert "retention.ms=86400000" in described.stdout
