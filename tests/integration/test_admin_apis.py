"""The admin APIs beyond create/delete topics, through confluent-kafka's AdminClient (and our
codec over a raw socket for OffsetForLeaderEpoch, which AdminClient does not expose)."""
from __future__ import annotations

import socket
import struct

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, ResourceType

from clients import create_topic, produce_confluent, unique_topic
from fastlog.protocol import codec

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
