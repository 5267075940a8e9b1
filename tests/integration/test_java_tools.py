"""Kafka's own Java command-line tools (jars from Maven Central) against a fastlog broker.

TopicCommand creates, lists and describes topics; ConsoleProducer writes keyed lines;
ConsoleConsumer reads them back, assigned to a partition and as a member of a consumer group.
Every tool is a real JVM run (about 1-3 s each), so the tests keep the number of runs small.

FASTLOG_JAVA_TOOLS_TARGET=kafka runs the same tests against a real Apache Kafka broker instead,
to check the tests themselves against the reference.
"""
from __future__ import annotations

import os
import re
import uuid

import confluent_kafka
import pytest

from fastlog import kafka_dist as kd


@pytest.fixture(scope="session")
def kafka_classpath() -> str:
    # Resolves (and on first use downloads) the Kafka jars once per test session.
    return kd.classpath()


@pytest.fixture
def target(request, kafka_classpath):
    """The bootstrap address of the broker under test: fastlog unless told otherwise."""
    if os.environ.get("FASTLOG_JAVA_TOOLS_TARGET") == "kafka":
        kafka = kd.KafkaBroker().start()
        yield kafka.bootstrap
        kafka.stop()
        kafka.cleanup()
    else:
        yield request.getfixturevalue("broker").bootstrap


def tool(main_class: str, *args: str, input: str | None = None, timeout: float = 60.0):
    proc = kd.run_class(main_class, list(args), input=input, timeout=timeout)
    assert proc.returncode == 0, f"{main_class} {' '.join(args)} exited {proc.returncode}\n" \
                                 f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-4000:]}"
    return proc


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    out = tool(kd.TOPIC_COMMAND, "--bootstrap-server", bootstrap, "--create", "--topic", topic,
               "--partitions", str(partitions), "--replication-factor", "1").stdout
    assert f"Created topic {topic}." in out


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_topic_command_create_list_describe(target):
    topic = unique("jt-topics")
    create_topic(target, topic, 3)

    listed = tool(kd.TOPIC_COMMAND, "--bootstrap-server", target, "--list").stdout.split()
    assert topic in listed

    described = tool(kd.TOPIC_COMMAND, "--bootstrap-server", target, "--describe", "--topic", topic).stdout
    name = re.escape(topic)
    assert re.search(rf"Topic: {name}\s+TopicId: \S+\s+PartitionCount: 3\s+ReplicationFactor: 1", described), described
    partitions = sorted(int(p) for p in re.findall(rf"Topic: {name}\s+Partition: (\d+)\s+Leader: \d+", described))
    assert partitions == [0, 1, 2], described

    # creating it again must fail with Kafka's TopicExistsException, reported by the tool
    again = kd.run_class(kd.TOPIC_COMMAND, ["--bootstrap-server", target, "--create", "--topic", topic,
                                            "--partitions", "3"], timeout=60)
    assert again.returncode != 0
    assert "already exists" in (again.stdout + again.stderr)


def produce_lines(bootstrap: str, topic: str, lines: list[str]) -> None:
    tool(kd.CONSOLE_PRODUCER, "--bootstrap-server", bootstrap, "--topic", topic,
         "--reader-property", "parse.key=true", "--reader-property", "key.separator=:",
         input="".join(line + "\n" for line in lines))


def consume_lines(bootstrap: str, topic: str, count: int, *extra: str) -> list[str]:
    out = tool(kd.CONSOLE_CONSUMER, "--bootstrap-server", bootstrap, "--topic", topic,
               "--max-messages", str(count), "--timeout-ms", "30000",
               "--formatter-property", "print.key=true", "--formatter-property", "key.separator=:", *extra).stdout
    return out.splitlines()


def test_console_producer_and_assigned_consumer_round_trip_keys(target):
    topic = unique("jt-console")
    create_topic(target, topic, 1)
    lines = [f"key-{i}:value {i} with spaces and ünïcode" for i in range(25)]
    produce_lines(target, topic, lines)

    got = consume_lines(target, topic, len(lines), "--partition", "0", "--offset", "earliest")
    assert got == lines

    # The tool split at ':' itself: the broker must hold separate key and value bytes.
    consumer = confluent_kafka.Consumer({"bootstrap.servers": target, "group.id": unique("check"),
                                         "enable.auto.commit": False})
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
        records = []
        while len(records) < len(lines):
            batch = consumer.consume(len(lines), timeout=10)
            assert batch, "no records within 10 s"
            records += [m for m in batch if m.error() is None]
    finally:
        consumer.close()
    assert [m.key() for m in records] == [f"key-{i}".encode() for i in range(25)]
    assert [m.value().decode() for m in records] == [line.split(":", 1)[1] for line in lines]
    assert [m.offset() for m in records] == list(range(25))


def test_console_consumer_with_group_commits_offsets(target):
    topic = unique("jt-group")
    group = unique("jt-group")
    create_topic(target, topic, 2)
    lines = [f"k{i}:v{i}" for i in range(40)]
    produce_lines(target, topic, lines)

    got = consume_lines(target, topic, len(lines), "--group", group, "--from-beginning")
    # two partitions: order is per partition only, content must match exactly
    assert sorted(got) == sorted(lines)

    # the consumer committed its position on close: the group tool sees zero lag
    described = tool(kd.CONSUMER_GROUP_COMMAND, "--bootstrap-server", target, "--describe",
                     "--group", group).stdout
    rows = [line.split() for line in described.splitlines() if line.startswith(group)]
    assert sorted(int(r[2]) for r in rows) == [0, 1], described        # PARTITION column
    assert sum(int(r[3]) for r in rows) == len(lines), described       # CURRENT-OFFSET column
    assert all(r[5] == "0" for r in rows), described                   # LAG column
