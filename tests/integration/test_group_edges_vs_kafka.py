"""Group edges side by side with a real Apache Kafka 4.x broker (kafka_dist), both with
`group.consumer.migration.policy=bidirectional`: the same raw requests (fastlog's pure-Python codec
over a socket) must get the same answers.

- DescribeGroups v5/v6 of a KIP-848 consumer group, pure and with a classic member after an
  online upgrade (Kafka: Dead, and GROUP_ID_NOT_FOUND "is not a classic group" in v6);
  kafka-consumer-groups --describe still shows it (it uses ConsumerGroupDescribe);
- ConsumerGroupHeartbeat carrying the member id of that classic member (Kafka 4.4 accepts it with
  the member's generation or epoch 0, and the member then uses the consumer protocol);
- TxnOffsetCommit for a consumer group's id (its member, a wrong epoch, an unknown member, the
  admin form) and for a share group's id;
- a static classic member joining in place of the last consumer-protocol member (its instance id):
  Kafka converts the group back to a Stable classic group at once, without a rebalance.
"""
from __future__ import annotations

import time

import confluent_kafka as ck
import pytest
from test_consumer_groups_tool import groups_tool, rows
from test_consumer_protocol_vs_kafka import _setup, heartbeat
from test_group_migration_vs_kafka import JOIN, SETTINGS, beat, join_new, listed, partitions, sync

from fastlog import kafka_dist as kd
from fastlog.coordinator.consumer_protocol import encode_assignment, encode_subscription

from clients import RawConnection, assert_same_answers

DESCRIBE_GROUPS, FIND_COORDINATOR, INIT_PID, ADD_OFFSETS, TXN_OFFSET_COMMIT = 15, 10, 22, 25, 28
SHARE_HEARTBEAT, CONSUMER_DESCRIBE = 76, 69

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def kafka():
    broker = kd.KafkaBroker(properties=dict(SETTINGS)).start()
    yield broker
    broker.stop()
    broker.cleanup()


def topic_of(bootstrap: str) -> str:
    """The scenarios' topic (the Kafka broker is shared by this module's tests: made once)."""
    try:
        return _setup(bootstrap)
    except ck.KafkaException as e:
        if e.args[0].code() != ck.KafkaError.TOPIC_ALREADY_EXISTS:
            raise
        return "kip848-topic"


def described(c: RawConnection, group: str, version: int) -> tuple:
    g = c.call(DESCRIBE_GROUPS, version, {"groups": [group], "include_authorized_operations": False})["groups"][0]
    return (g["error_code"], g.get("error_message"), g["group_state"], g["protocol_type"], g["protocol_data"],
            sorted((m["member_metadata"] != b"", m["member_assignment"] != b"") for m in g["members"]))


def transaction(c: RawConnection, txn_id: str) -> tuple[int, int]:
    """A transactional producer id, once the transaction coordinator serves (Kafka creates
    `__transaction_state` at the first FindCoordinator)."""
    deadline = time.monotonic() + 60
    while True:
        c.call(FIND_COORDINATOR, 4, {"key_type": 1, "coordinator_keys": [txn_id]})
        r = c.call(INIT_PID, 3, {"transactional_id": txn_id, "transaction_timeout_ms": 60000,
                                 "producer_id": -1, "producer_epoch": -1})
        if r["error_code"] == 0:
            return r["producer_id"], r["producer_epoch"]
        assert time.monotonic() < deadline, r
        time.sleep(0.3)


def txn_commit(c: RawConnection, txn: tuple[str, int, int], group: str, topic: str, member: str,
               generation: int) -> tuple:
    txn_id, pid, epoch = txn
    added = c.call(ADD_OFFSETS, 3, {"transactional_id": txn_id, "producer_id": pid, "producer_epoch": epoch,
                                    "group_id": group})["error_code"]
    r = c.call(TXN_OFFSET_COMMIT, 3, {
        "transactional_id": txn_id, "group_id": group, "producer_id": pid, "producer_epoch": epoch,
        "generation_id_or_member_epoch": generation, "member_id": member, "group_instance_id": None,
        "topics": [{"name": topic, "partitions": [{"partition_index": 0, "committed_offset": 0,
                                                   "committed_leader_epoch": -1, "committed_metadata": ""}]}]})
    return added, r["topics"][0]["partitions"][0]["error_code"]


def scenario(bootstrap: str) -> list:
    out: list = []
    topic = topic_of(bootstrap)
    with RawConnection(bootstrap, timeout=30, client_id="edges") as c:
        r = heartbeat(c, "edges-pure", "member-a", 0, subscribed_topic_names=[topic])
        a_epoch = r["member_epoch"]
        out.append(("consumer member joins", r["error_code"]))
        for v in (5, 6):
            out.append((f"DescribeGroups v{v} of a consumer group", described(c, "edges-pure", v)))

        c1, r = join_new(c, "edges-mixed")
        c1_gen = r["generation_id"]
        r = sync(c, "edges-mixed", c1, c1_gen, {c1: encode_assignment({topic: [0, 1, 2, 3]})})
        out.append(("classic c1 joins and syncs", r["error_code"]))
        r = heartbeat(c, "edges-mixed", "member-m", 0, subscribed_topic_names=[topic])
        out.append(("consumer member m joins: upgrade", r["error_code"]))
        for v in (5, 6):
            out.append((f"DescribeGroups v{v} of a mixed group", described(c, "edges-mixed", v)))
        # kafka-consumer-groups describes it through ConsumerGroupDescribe, not DescribeGroups.
        tool = groups_tool(bootstrap, "--describe", "--group", "edges-mixed", "--members")
        out.append(("kafka-consumer-groups --describe --members of the mixed group",
                    sorted(r[1] if r[1] == "member-m" else "classic c1" if r[1] == c1 else r[1]
                           for r in rows(tool, "edges-mixed"))))
        for name, epoch in (("its generation", c1_gen), ("a greater epoch", c1_gen + 4), ("epoch 0", 0)):
            r = heartbeat(c, "edges-mixed", c1, epoch, subscribed_topic_names=[topic])
            out.append((f"ConsumerGroupHeartbeat of classic member c1, {name}", r["error_code"],
                        r["error_message"], r["member_epoch"] > 0))
        d = c.call(CONSUMER_DESCRIBE, 1, {"group_ids": ["edges-mixed"], "include_authorized_operations": False})
        out.append(("ConsumerGroupDescribe: c1's member type now", d["groups"][0]["error_code"],
                    [m["member_type"] for m in d["groups"][0]["members"] if m["member_id"] == c1]))
        r = heartbeat(c, "edges-mixed", c1, -1)
        out.append(("ConsumerGroupHeartbeat leave of classic member c1", r["error_code"], r["error_message"]))
        for v in (5, 6):
            out.append((f"DescribeGroups v{v} of the mixed group after", described(c, "edges-mixed", v)))

        pid, epoch = transaction(c, "edges-txn")
        txn = ("edges-txn", pid, epoch)
        out.append(("txn commit: consumer member and epoch", txn_commit(c, txn, "edges-pure", topic, "member-a",
                                                                         a_epoch)))
        out.append(("txn commit: consumer member, wrong epoch", txn_commit(c, txn, "edges-pure", topic,
                                                                            "member-a", a_epoch + 9)))
        out.append(("txn commit: unknown member", txn_commit(c, txn, "edges-pure", topic, "nobody", a_epoch)))
        out.append(("txn commit: admin form to a consumer group", txn_commit(c, txn, "edges-pure", topic, "", -1)))

        r = c.call(SHARE_HEARTBEAT, 1, {"group_id": "edges-share", "member_id": "share-member-0000000001",
                                        "member_epoch": 0, "rack_id": None, "subscribed_topic_names": [topic]})
        out.append(("share member joins", r["error_code"]))
        out.append(("txn commit: share group, admin form", txn_commit(c, txn, "edges-share", topic, "", -1)))
        out.append(("txn commit: share group, its member", txn_commit(c, txn, "edges-share", topic,
                                                                       "share-member-0000000001", r["member_epoch"])))
    return out


def test_group_edges_as_kafka(broker_factory, kafka):
    ours = scenario(broker_factory(SETTINGS).bootstrap)
    theirs = scenario(kafka.bootstrap)
    assert_same_answers(ours, theirs)


def static_join(c: RawConnection, group: str, member: str, instance: str) -> dict:
    return c.call(JOIN, 5, {"group_id": group, "session_timeout_ms": 30000, "rebalance_timeout_ms": 20000,
                            "member_id": member, "group_instance_id": instance, "protocol_type": "consumer",
                            "protocols": [{"name": "range", "metadata": encode_subscription(["kip848-topic"])}]})


def static_downgrade(bootstrap: str) -> list:
    """A static classic member replaces the last consumer-protocol member by its instance id."""
    out: list = []
    group, topic = "edges-static", topic_of(bootstrap)
    with RawConnection(bootstrap, timeout=30, client_id="edges-static") as c:
        c1, r = join_new(c, group)
        gen1 = r["generation_id"]
        r = sync(c, group, c1, gen1, {c1: encode_assignment({topic: [0, 1, 2, 3]})})
        out.append(("classic c1 joins and syncs", r["error_code"]))
        r = heartbeat(c, group, "member-s", 0, instance_id="inst-s", subscribed_topic_names=[topic])
        out.append(("static consumer member s joins: upgrade", r["error_code"], listed(c, group)))
        r = static_join(c, group, "", "inst-s")
        s2 = r["member_id"]
        out.append(("classic static member replaces s", r["error_code"], r["protocol_name"], r["leader"] == s2,
                    len(r["members"]), r["generation_id"] > gen1, listed(c, group)))
        gen = r["generation_id"]
        out.append(("c1 heartbeats", beat(c, group, c1, gen1), beat(c, group, c1, gen)))
        out.append(("s's consumer heartbeat", heartbeat(c, group, "member-s", 1)["error_code"]))
        r = sync(c, group, s2, gen)
        out.append(("s2 syncs: its target assignment", r["error_code"], len(partitions(r["assignment"]))))
        r = sync(c, group, c1, gen)
        out.append(("c1 syncs: its target assignment", r["error_code"], len(partitions(r["assignment"]))))
        out.append(("listed at the end", listed(c, group)))
    return out


def test_static_classic_member_replacing_the_last_consumer_member_as_kafka(broker_factory, kafka):
    ours = static_downgrade(broker_factory(SETTINGS).bootstrap)
    theirs = static_downgrade(kafka.bootstrap)
    assert_same_answers(ours, theirs)
