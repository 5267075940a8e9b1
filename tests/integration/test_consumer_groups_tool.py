"""Kafka's own kafka-consumer-groups tool (ConsumerGroupCommand, jars from Maven Central) against
fastlog: list, describe with lag (offsets, members, state), reset offsets, delete.
Each tool run is a JVM start (1-3 s), so one scenario walks through all of it."""
from __future__ import annotations

import time
import uuid

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from fastlog import kafka_dist as kd

pytestmark = pytest.mark.timeout(300)



def groups_tool(bootstrap: str, *args: str, ok: bool = True) -> str:
    proc = kd.run_class(kd.CONSUMER_GROUP_COMMAND, ["--bootstrap-server", bootstrap, *args], timeout=90)
    if ok:
        assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def rows(output: str, group: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines() if line.split()[:1] == [group]]


def committed(bootstrap: str, topic: str, group: str, partitions: int) -> dict[int, int]:
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        return {tp.partition: tp.offset for tp in
                c.committed([ck.TopicPartition(topic, p) for p in range(partitions)], timeout=15)}
    finally:
        c.close()


def test_list_describe_reset_delete(broker):
    bootstrap = broker.bootstrap
    topic, group = f"cg-{uuid.uuid4().hex[:8]}", f"cg-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, 3, 1)]).values():
        f.result(30)
    producer = ck.Producer({"bootstrap.servers": bootstrap})
    for i in range(30):
        producer.produce(topic, value=b"%d" % i, partition=i % 3)
    assert producer.flush(30) == 0

    # A live member that processed and committed 4 records of each partition.
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "tool-test",
                            "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    per_partition: dict[int, int] = {}
    deadline = time.monotonic() + 60
    while sum(per_partition.values()) < 30 and time.monotonic() < deadline:
        for m in consumer.consume(num_messages=30, timeout=0.5):
            if m.error() is None:
                per_partition[m.partition()] = per_partition.get(m.partition(), 0) + 1
    assert sum(per_partition.values()) == 30
    consumer.commit(offsets=[ck.TopicPartition(topic, p, 4) for p in range(3)], asynchronous=False)

    try:
        assert group in groups_tool(bootstrap, "--list").split()

        described = groups_tool(bootstrap, "--describe", "--group", group)
        # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
        table = sorted(rows(described, group), key=lambda r: int(r[2]))
        assert [(r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in table] == \
            [(topic, p, 4, 10, 6) for p in range(3)], described
        assert {r[-1] for r in table} == {"tool-test"} and all(r[6] != "-" for r in table), described
        assert {r[7] for r in table} == {"/127.0.0.1"}, described  # HOST as Kafka writes it

        state = groups_tool(bootstrap, "--describe", "--group", group, "--state")
        # GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
        state_row = rows(state, group)[0]
        assert state_row[-2:] == ["Stable", "1"] and state_row[-3] == "range", state

        members = groups_tool(bootstrap, "--describe", "--group", group, "--members", "--verbose")
        # GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS ASSIGNMENT
        member_row = rows(members, group)[0]
        assert member_row[3] == "tool-test" and member_row[4] == "3", members

        # Resetting needs an inactive group: Kafka's tool refuses while a member is there.
        refused = groups_tool(bootstrap, "--reset-offsets", "--group", group, "--topic", topic,
                              "--to-earliest", "--execute", ok=False)
        assert "inactive" in refused or "Stable" in refused, refused
        # Deleting a non-empty group: NON_EMPTY_GROUP.
        not_deleted = groups_tool(bootstrap, "--delete", "--group", group, ok=False)
        assert "not empty" in not_deleted.lower(), not_deleted
    finally:
        consumer.close()

    # Empty now: the tool still shows the committed offsets and the lag, with no member.
    described = groups_tool(bootstrap, "--describe", "--group", group)
    assert "has no active members" in described, described
    assert sorted(int(r[5]) for r in rows(described, group)) == [6, 6, 6], described

    reset = groups_tool(bootstrap, "--reset-offsets", "--group", group, "--topic", f"{topic}:0,1",
                        "--to-offset", "7", "--execute")
    assert sorted((int(r[2]), int(r[3])) for r in rows(reset, group)) == [(0, 7), (1, 7)], reset
    reset = groups_tool(bootstrap, "--reset-offsets", "--group", group, "--topic", f"{topic}:2",
                        "--to-earliest", "--execute")
    assert [(int(r[2]), int(r[3])) for r in rows(reset, group)] == [(2, 0)], reset
    assert committed(bootstrap, topic, group, 3) == {0: 7, 1: 7, 2: 0}
    reset = groups_tool(bootstrap, "--reset-offsets", "--group", group, "--all-topics", "--shift-by", "-2",
                        "--execute")
    assert committed(bootstrap, topic, group, 3) == {0: 5, 1: 5, 2: 0}, reset

    # A consumer of the group now starts exactly at the reset offsets.
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    c.subscribe([topic])
    firsts: dict[int, int] = {}
    deadline = time.monotonic() + 60
    while len(firsts) < 3 and time.monotonic() < deadline:
        for m in c.consume(num_messages=30, timeout=0.5):
            if m.error() is None:
                firsts.setdefault(m.partition(), m.offset())
    c.close()
    assert firsts == {0: 5, 1: 5, 2: 0}

    deleted = groups_tool(bootstrap, "--delete", "--group", group)
    assert f"Deletion of requested consumer groups ('{group}') was successful." in deleted, deleted
    assert group not in groups_tool(bootstrap, "--list").split()
    missing = groups_tool(bootstrap, "--describe", "--group", group, ok=False)
    assert "does not exist" in missing or "not found" in missing.lower(), missing
