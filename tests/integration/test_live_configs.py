"""Topic configs changed on a live topic, dynamic broker configs and group configs, each seen
taking effect through real clients: confluent-kafka's AdminClient, Producer and Consumer, kcat,
Kafka's own kafka-configs (ConfigCommand), the segment files on disk.
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time

import confluent_kafka
import pytest
from confluent_kafka import KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic, ResourceType

from fastlog import kafka_dist as kd

from clients import check_roundtrip, confluent_consumer, consume_confluent, produce_confluent, unique_topic, wait_until
from describe_configs_raw import BROKER, TOPIC, describe_configs, request

GROUP = 32
CODEC_IDS = {"uncompressed": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def _admin(broker) -> AdminClient:
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def _create(broker, topic: str, **configs: str) -> None:
    admin = _admin(broker)
    admin.create_topics([NewTopic(topic, 1, 1, config=configs)])[topic].result(30)


def _set(broker, topic: str, **configs: str) -> None:
    resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry(k.replace("_", "."), v, incremental_operation=AlterConfigOpType.SET) for k, v in configs.items()])
    admin = _admin(broker)
    list(admin.incremental_alter_configs([resource]).values())[0].result(30)


def _segments(broker, topic: str) -> list[str]:
    return sorted(f for f in os.listdir(os.path.join(broker.data_dir, "logs", f"{topic}-0")) if f.endswith(".log"))


def _stored_batches(broker, topic: str) -> list[tuple[int, int]]:
    """(codec id, record count) of every batch in the partition's segment files, in order."""
    out = []
    for name in _segments(broker, topic):
        with open(os.path.join(broker.data_dir, "logs", f"{topic}-0", name), "rb") as f:
            data = f.read()
        pos = 0
        while pos + 61 <= len(data):
            (length,) = struct.unpack_from(">i", data, pos + 8)
            (attributes,) = struct.unpack_from(">h", data, pos + 21)
            (count,) = struct.unpack_from(">i", data, pos + 57)
            out.append((attributes & 7, count))
            pos += 12 + length
    return out


def _produce(broker, topic: str, values: list[bytes], timestamps=None, codec: str = "none") -> list:
    """Produce each value as its own batch; returns the delivery error (or None) of each."""
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "compression.type": codec,
                                         "message.max.bytes": 10_000_000, "linger.ms": 0})
    results: list = []
    for i, value in enumerate(values):
        producer.produce(topic, value=value, partition=0, timestamp=timestamps[i] if timestamps else 0,
                         on_delivery=lambda err, msg: results.append(err))
        assert producer.flush(30) == 0
    return results


def _config_command(*args: str) -> subprocess.CompletedProcess:
    return kd.run_class(kd.CONFIG_COMMAND, list(args), timeout=120, jvm_opts=kd.FAST_START_OPTS)


# -- topic configs on a live topic --------------------------------------------------------------

def test_segment_ms_set_live_rolls_by_record_time(broker):
    """Kafka's rule: a segment rolls when an append's timestamp is segment.ms past the segment's
    first batch; from the append after the change."""
    topic = unique_topic("segms")
    _create(broker, topic)
    start = int(time.time() * 1000) - 1_800_000
    _produce(broker, topic, [b"a", b"b"], [start, start + 600_000])
    assert len(_segments(broker, topic)) == 1  # 10 minutes apart: far below the 7-day default
    _set(broker, topic, segment_ms="60000")
    _produce(broker, topic, [b"c"], [start + 1_200_000])
    assert len(_segments(broker, topic)) == 2
    _produce(broker, topic, [b"d"], [start + 1_230_000])  # 30 s after the new segment's first batch
    assert len(_segments(broker, topic)) == 2
    _produce(broker, topic, [b"e"], [start + 1_300_000])
    assert len(_segments(broker, topic)) == 3
    records = consume_confluent(broker.bootstrap, topic, 5, [0])
    assert [r.value for r in records] == [b"a", b"b", b"c", b"d", b"e"]


def test_segment_bytes_set_live_applies_from_the_next_append(broker):
    topic = unique_topic("segbytes")
    _create(broker, topic)
    _produce(broker, topic, [b"x" * 1000] * 5)
    assert len(_segments(broker, topic)) == 1
    _set(broker, topic, segment_bytes="2500")
    _produce(broker, topic, [b"y" * 1000] * 4)
    assert len(_segments(broker, topic)) >= 3


def test_max_message_bytes_lowered_live_refuses_a_big_batch(broker):
    topic = unique_topic("maxmsg")
    _create(broker, topic)
    assert _produce(broker, topic, [b"v" * 5000]) == [None]
    _set(broker, topic, max_message_bytes="2000")
    (err,) = _produce(broker, topic, [b"v" * 5000])
    assert err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE, err
    assert _produce(broker, topic, [b"v" * 500]) == [None]
    _set(broker, topic, max_message_bytes="100000")
    assert _produce(broker, topic, [b"v" * 5000]) == [None]


def test_message_timestamp_type_set_live(broker):
    topic = unique_topic("tstype")
    _create(broker, topic)
    old = int(time.time() * 1000) - 600_000
    _produce(broker, topic, [b"create"], [old])
    _set(broker, topic, message_timestamp_type="LogAppendTime")
    _produce(broker, topic, [b"append"], [old])
    consumer = confluent_consumer(broker.bootstrap)
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        got = []
        while len(got) < 2:
            got += [m for m in consumer.consume(10, timeout=1) if m.error() is None]
    finally:
        consumer.close()
    (t0, ts0), (t1, ts1) = (m.timestamp() for m in got)
    assert (t0, ts0) == (confluent_kafka.TIMESTAMP_CREATE_TIME, old)
    assert t1 == confluent_kafka.TIMESTAMP_LOG_APPEND_TIME and ts1 > old
    # The bound on CreateTime timestamps, lowered live: the old timestamp is now refused.
    _set(broker, topic, message_timestamp_type="CreateTime", message_timestamp_before_max_ms="60000")
    (err,) = _produce(broker, topic, [b"late"], [old])
    assert err is not None and err.code() == KafkaError.INVALID_TIMESTAMP, err


def test_retention_bytes_set_live_deletes_old_segments(broker_factory):
    broker = broker_factory({"log.retention.check.interval.ms": 200})
    topic = unique_topic("retbytes")
    _create(broker, topic, **{"segment.bytes": "3000"})
    _produce(broker, topic, [b"r" * 1000] * 12)
    assert len(_segments(broker, topic)) >= 4
    _set(broker, topic, retention_bytes="3000")
    assert wait_until(lambda: len(_segments(broker, topic)) <= 2, 15), _segments(broker, topic)


@pytest.mark.parametrize("codec", ["lz4", "gzip", "zstd", "snappy", "uncompressed"])
def test_topic_compression_type_recompresses_on_append(broker, codec):
    """Batches arrive in another codec and are stored in the topic's; every client reads them."""
    topic = unique_topic(f"codec-{codec}")
    _create(broker, topic, **{"compression.type": codec})
    sent_codec = "gzip" if codec == "uncompressed" else "none"
    produce_confluent(broker.bootstrap, topic, 300, 1, codec=sent_codec)
    batches = _stored_batches(broker, topic)
    assert {c for c, _ in batches} == {CODEC_IDS[codec]}
    assert sum(n for _, n in batches) == 300
    check_roundtrip(consume_confluent(broker.bootstrap, topic, 300, [0]), 300, 1, "confluent")
    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    assert kcat
    out = subprocess.run([kcat, "-b", broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                          "-f", "%o\n"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(i) for i in range(300)]


def test_compression_type_changed_live_applies_to_the_next_batches(broker):
    topic = unique_topic("codec-live")
    _create(broker, topic)
    _produce(broker, topic, [b"gz" * 100], codec="gzip")
    _set(broker, topic, compression_type="lz4")
    _produce(broker, topic, [b"plain" * 100], codec="none")
    _produce(broker, topic, [b"lz" * 100], codec="lz4")  # already lz4: stored as sent
    assert [c for c, _ in _stored_batches(broker, topic)] == [1, 3, 3]
    assert [r.value for r in consume_confluent(broker.bootstrap, topic, 3, [0])] == \
        [b"gz" * 100, b"plain" * 100, b"lz" * 100]


# -- dynamic broker configs -----------------------------------------------------------------------

def _broker_entry(broker, name: str, key: str) -> dict:
    (result,) = describe_configs(broker.bootstrap, [(BROKER, name)])
    assert result["error_code"] == 0, result
    return {c["name"]: c for c in result["configs"]}.get(key, {})


def test_kafka_configs_changes_broker_configs_at_runtime_durably(broker_factory, tmp_path):
    broker = broker_factory({"log.retention.check.interval.ms": 200}, data_dir=tmp_path / "dyn")
    topic = unique_topic("dyn")
    _create(broker, topic, **{"segment.bytes": "3000"})
    boot = ["--bootstrap-server", broker.bootstrap, "--entity-type", "brokers"]
    done = _config_command(*boot, "--entity-default", "--alter", "--add-config", "message.max.bytes=2000")
    assert done.returncode == 0, done.stdout + done.stderr
    (err,) = _produce(broker, topic, [b"m" * 5000])
    assert err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE, err
    done = _config_command(*boot, "--entity-name", "1", "--alter", "--add-config", "message.max.bytes=100000")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _produce(broker, topic, [b"m" * 5000] * 6) == [None] * 6
    entry = _broker_entry(broker, "1", "message.max.bytes")
    assert (entry["value"], entry["config_source"], entry["read_only"]) == ("100000", 2, False)
    assert [(s["name"], s["value"], s["source"]) for s in entry["synonyms"]] == [
        ("message.max.bytes", "100000", 2), ("message.max.bytes", "2000", 3), ("message.max.bytes", "1048588", 5)]
    described = _config_command(*boot, "--entity-default", "--describe")
    assert "message.max.bytes=2000" in described.stdout, described.stdout + described.stderr
    # A key Kafka cannot change at runtime is refused, in Kafka's words.
    refused = _config_command(*boot, "--entity-name", "1", "--alter", "--add-config", "log.dirs=/elsewhere")
    assert refused.returncode != 0 and "Cannot update these configs dynamically" in refused.stdout + refused.stderr
    # The topic's default follows the broker's: retention by size deletes its old segments.
    (topic_entry,) = [c for c in describe_configs(broker.bootstrap, [(TOPIC, topic)])[0]["configs"]
                      if c["name"] == "max.message.bytes"]
    assert (topic_entry["value"], topic_entry["config_source"]) == ("100000", 2)
    assert len(_segments(broker, topic)) >= 3
    done = _config_command(*boot, "--entity-default", "--alter", "--add-config", "log.retention.bytes=3000")
    assert done.returncode == 0, done.stdout + done.stderr
    assert wait_until(lambda: len(_segments(broker, topic)) <= 2, 15), _segments(broker, topic)
    # Durable: after a restart the same values and sources.
    broker.restart()
    assert _broker_entry(broker, "1", "message.max.bytes")["config_source"] == 2
    assert (_broker_entry(broker, "", "log.retention.bytes")["value"]) == "3000"
    done = _config_command(*boot, "--entity-name", "1", "--alter", "--delete-config", "message.max.bytes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _broker_entry(broker, "1", "message.max.bytes")["value"] == "2000"


def test_describe_of_the_cluster_default_lists_only_dynamic_defaults(broker):
    def listed() -> list:
        (result,) = describe_configs(broker.bootstrap, [(BROKER, "")])
        assert result["error_code"] == 0
        return sorted((c["name"], c["value"], c["config_source"], [(s["name"], s["source"]) for s in c["synonyms"]])
                      for c in result["configs"])
    # The cluster-level min.insync.replicas eligible leader replicas keep (from its static value).
    min_isr = ("min.insync.replicas", "1", 3, [("min.insync.replicas", 3)])
    assert listed() == [min_isr]
    body = {"resources": [{"resource_type": BROKER, "resource_name": "", "configs": [
        {"name": "log.retention.ms", "config_operation": 0, "value": "6000"}]}], "validate_only": False}
    assert request(broker.bootstrap, 44, 1, body)["responses"][0]["error_code"] == 0
    assert listed() == [("log.retention.ms", "6000", 3, [("log.retention.ms", 3)]), min_isr]
    (result,) = describe_configs(broker.bootstrap, [(BROKER, "7")])
    assert result["error_code"] == 42
    assert result["error_message"] == "Unexpected broker id, expected 1, but received 7"


# -- group configs ----------------------------------------------------------------------------------

def test_group_configs_through_kafka_configs(broker):
    (result,) = describe_configs(broker.bootstrap, [(GROUP, "g1")])
    entries = {c["name"]: c for c in result["configs"]}
    assert (entries["consumer.session.timeout.ms"]["value"], entries["consumer.session.timeout.ms"]["config_source"]) \
        == ("45000", 5)
    boot = ["--bootstrap-server", broker.bootstrap, "--entity-type", "groups", "--entity-name", "g1"]
    done = _config_command(*boot, "--alter", "--add-config", "consumer.session.timeout.ms=50000")
    assert done.returncode == 0, done.stdout + done.stderr
    described = _config_command(*boot, "--describe")
    assert "consumer.session.timeout.ms=50000" in described.stdout, described.stdout + described.stderr
    (result,) = describe_configs(broker.bootstrap, [(GROUP, "g1")])
    entry = {c["name"]: c for c in result["configs"]}["consumer.session.timeout.ms"]
    assert (entry["value"], entry["config_source"], entry["read_only"]) == ("50000", 8, False)
    body = {"resources": [{"resource_type": GROUP, "resource_name": "g1", "configs": [
        {"name": "consumer.session.timeout.ms", "config_operation": 0, "value": "1"}]}], "validate_only": False}
    (answer,) = request(broker.bootstrap, 44, 1, body)["responses"]
    assert (answer["error_code"], answer["error_message"]) == (
        40, "consumer.session.timeout.ms must be in the range 45000 to 60000 inclusive.")
