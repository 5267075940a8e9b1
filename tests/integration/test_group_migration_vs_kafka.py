"""Online migration (KIP-848 upgrade and downgrade) side by side: the same scenario of raw requests
(fastlog's pure-Python codec over a socket) against fastlog and a real Apache Kafka 4.x broker
(kafka_dist), both with `group.consumer.migration.policy=bidirectional`, must get the same error
codes, protocol names, leaders, group types and partition counts (generations and epochs: only
how they move).

A classic member (JoinGroup/SyncGroup, ConsumerProtocol "range") owns the 4 partitions; a
ConsumerGroupHeartbeat member joins, which converts the live group; the classic member is told to
rejoin, gets its half through JoinGroup/SyncGroup of the consumer group, commits with its new
generation; the consumer-protocol member leaves, which converts the group back to classic and
starts a rebalance.
"""
from __future__ import annotations

import time

import pytest
from test_consumer_protocol_vs_kafka import _setup, heartbeat

from fastlog import kafka_dist as kd
from fastlog.coordinator.consumer_protocol import decode_assignment, encode_assignment, encode_subscription

from clients import RawConnection, assert_same_answers

SETTINGS = {"group.consumer.migration.policy": "bidirectional", "group.initial.rebalance.delay.ms": "0"}
JOIN, HEARTBEAT, SYNC, LIST, DESCRIBE_GROUPS, OFFSET_COMMIT = 11, 12, 14, 16, 15, 8

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def kafka():
    broker = kd.KafkaBroker(properties=dict(SETTINGS)).start()
    yield broker
    broker.stop()
    broker.cleanup()


def join(c: RawConnection, group: str, member: str, protocol_type: str = "consumer",
         protocols: list[tuple[str, bytes]] | None = None) -> dict:
    protocols = protocols or [("range", encode_subscription(["kip848-topic"]))]
    return c.call(JOIN, 5, {"group_id": group, "session_timeout_ms": 30000, "rebalance_timeout_ms": 20000,
                            "member_id": member, "group_instance_id": None, "protocol_type": protocol_type,
                            "protocols": [{"name": n, "metadata": m} for n, m in protocols]})


def join_new(c: RawConnection, group: str, protocol_type: str = "consumer") -> tuple[str, dict]:
    """A new member: MEMBER_ID_REQUIRED, then the join with the id handed out."""
    r = join(c, group, "", protocol_type)
    assert r["error_code"] == 79, r  # MEMBER_ID_REQUIRED
    return r["member_id"], join(c, group, r["member_id"], protocol_type)


def sync(c: RawConnection, group: str, member: str, generation: int,
         assignments: dict[str, bytes] | None = None) -> dict:
    return c.call(SYNC, 5, {"group_id": group, "generation_id": generation, "member_id": member,
                            "group_instance_id": None, "protocol_type": "consumer", "protocol_name": "range",
                            "assignments": [{"member_id": m, "assignment": a} for m, a in (assignments or {}).items()]})


def beat(c: RawConnection, group: str, member: str, generation: int) -> int:
    return c.call(HEARTBEAT, 4, {"group_id": group, "generation_id": generation, "member_id": member,
                                 "group_instance_id": None})["error_code"]


def listed(c: RawConnection, group: str) -> tuple:
    r = c.call(LIST, 5, {"states_filter": [], "types_filter": []})
    g = next(g for g in r["groups"] if g["group_id"] == group)
    return g["group_type"], g["protocol_type"], g["group_state"]


def commit(c: RawConnection, group: str, member: str, generation: int) -> int:
    r = c.call(OFFSET_COMMIT, 8, {
        "group_id": group, "generation_id_or_member_epoch": generation, "member_id": member,
        "group_instance_id": None, "retention_time_ms": -1, "topics": [{"name": "kip848-topic", "partitions": [
            {"partition_index": 0, "committed_offset": 0, "committed_leader_epoch": -1, "committed_metadata": ""}]}]})
    return r["topics"][0]["partitions"][0]["error_code"]


def partitions(assignment: bytes) -> list[int]:
    return sorted(p for parts in decode_assignment(assignment).values() for p in parts)


def scenario(bootstrap: str) -> list:
    out: list = []
    group, topic = "migration-vs-kafka", _setup(bootstrap)
    with RawConnection(bootstrap, timeout=30, client_id="migration") as c:
        c1, r = join_new(c, group)
        out.append(("classic c1 joins", r["error_code"], r["protocol_name"], r["leader"] == c1, len(r["members"])))
        gen1 = r["generation_id"]
        r = sync(c, group, c1, gen1, {c1: encode_assignment({topic: [0, 1, 2, 3]})})
        out.append(("c1 syncs as leader", r["error_code"], partitions(r["assignment"])))
        out.append(("c1 heartbeats", beat(c, group, c1, gen1)))
        out.append(("listed before", listed(c, group)))

        other, r = join_new(c, "migration-connect", protocol_type="connect")
        out.append(("connect-type classic group", r["error_code"]))
        r = heartbeat(c, "migration-connect", "member-n", 0, subscribed_topic_names=[topic])
        out.append(("consumer member joins a connect-type group", r["error_code"]))

        r = heartbeat(c, group, "member-m", 0, subscribed_topic_names=[topic])
        m_epoch = r["member_epoch"]
        out.append(("consumer member m joins: upgrade", r["error_code"], m_epoch > 0,
                    sorted(p for t in (r["assignment"] or {}).get("topic_partitions", []) for p in t["partitions"])))
        out.append(("listed after upgrade", listed(c, group)))
        out.append(("c1 heartbeats its old generation", beat(c, group, c1, gen1)))
        out.append(("c1 syncs its old generation", sync(c, group, c1, gen1)["error_code"]))
        out.append(("c1 joins with another protocol type", join(c, group, c1, "connect")["error_code"]))
        r = join(c, group, c1)
        gen2 = r["generation_id"]
        out.append(("c1 rejoins the consumer group", r["error_code"], r["protocol_type"], r["protocol_name"],
                    r["leader"], len(r["members"]), gen2 > gen1))
        out.append(("c1 heartbeats the generation before", beat(c, group, c1, gen1)))
        r = sync(c, group, c1, gen2)
        out.append(("c1 syncs", r["error_code"], len(partitions(r["assignment"]))))
        out.append(("c1 heartbeats", beat(c, group, c1, gen2)))
        out.append(("c1 commits with its generation", commit(c, group, c1, gen2)))
        out.append(("c1 commits with another generation", commit(c, group, c1, gen2 + 7)))
        out.append(("classic heartbeat of the consumer member", beat(c, group, "member-m", m_epoch)))
        out.append(("classic heartbeat of an unknown member", beat(c, group, "nobody", gen2)))
        got: list[int] = []
        for _ in range(20):
            r = heartbeat(c, group, "member-m", m_epoch, topic_partitions=[])
            m_epoch = r["member_epoch"]
            if r["assignment"] is not None:
                got = sorted(p for t in r["assignment"]["topic_partitions"] for p in t["partitions"])
            if len(got) == 2:
                break
            time.sleep(0.5)
        out.append(("m gets the partitions c1 released", r["error_code"], len(got)))

        r = heartbeat(c, group, "member-m", -1)
        out.append(("m leaves: downgrade", r["error_code"], r["member_epoch"]))
        out.append(("listed after downgrade", listed(c, group)))
        out.append(("c1 heartbeats", beat(c, group, c1, gen2)))
        r = join(c, group, c1)
        gen3 = r["generation_id"]
        out.append(("c1 rejoins the classic group", r["error_code"], r["leader"] == c1, len(r["members"]),
                    gen3 > gen2))
        r = sync(c, group, c1, gen3, {c1: encode_assignment({topic: [0, 1, 2, 3]})})
        out.append(("c1 syncs as leader", r["error_code"], partitions(r["assignment"])))
        out.append(("listed at the end", listed(c, group)))
        del other
    return out


def test_online_migration_as_kafka(broker_factory, kafka):
    ours = scenario(broker_factory(SETTINGS).bootstrap)
    theirs = scenario(kafka.bootstrap)
    assert_same_answers(ours, theirs)
