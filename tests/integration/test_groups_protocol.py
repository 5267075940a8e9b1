"""The group APIs over the wire, request by request: Kafka's answers for bad input (unknown
member, stale generation, wrong protocol type, commits to unknown partitions, ...) and the newer
request shapes (batched FindCoordinator, batched LeaveGroup, multi-group OffsetFetch, ListGroups
state filter, DescribeGroups v6). Requests are encoded with our codec (tested on its own against
Kafka's schemas) and sent on a plain socket, so each answer is seen exactly as a client sees it."""
from __future__ import annotations

import struct
import time
import uuid

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from clients import RawConnection

pytestmark = pytest.mark.timeout(60)

UNKNOWN_TOPIC_OR_PARTITION = 3
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
INVALID_GROUP_ID = 24
UNKNOWN_MEMBER_ID = 25
INVALID_SESSION_TIMEOUT = 26
REBALANCE_IN_PROGRESS = 27
NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
MEMBER_ID_REQUIRED = 79
FENCED_INSTANCE_ID = 82
GROUP_SUBSCRIBED_TO_TOPIC = 86



def subscription(*topics: str) -> bytes:
    out = struct.pack(">hi", 0, len(topics))
    for t in topics:
        out += struct.pack(">h", len(t)) + t.encode()
    return out + struct.pack(">i", -1)


def join(conn: RawConnection, group: str, member_id: str = "", version: int = 9, protocol_type: str = "consumer",
         protocols=None, instance: str | None = None, session: int = 10000) -> dict:
    return conn.call(11, version, {
        "group_id": group, "session_timeout_ms": session, "rebalance_timeout_ms": 10000,
        "member_id": member_id, "group_instance_id": instance, "protocol_type": protocol_type,
        "protocols": protocols or [{"name": "range", "metadata": subscription("t")}]})


def join_stable(conn: RawConnection, group: str, assignment: bytes = b"A", **kw) -> dict:
    first = join(conn, group, **kw)
    if first["error_code"] == MEMBER_ID_REQUIRED:
        first = join(conn, group, member_id=first["member_id"], **kw)
    assert first["error_code"] == 0, first
    sync = conn.call(14, 5, {"group_id": group, "generation_id": first["generation_id"],
                             "member_id": first["member_id"], "group_instance_id": kw.get("instance"),
                             "protocol_type": "consumer", "protocol_name": first["protocol_name"],
                             "assignments": [{"member_id": first["member_id"], "assignment": assignment}]})
    assert sync["error_code"] == 0 and sync["assignment"] == assignment, sync
    return first


@pytest.fixture
def conn(broker):
    c = RawConnection(broker.bootstrap, timeout=20, client_id="grp-test")
    yield c
    c.close()


@pytest.fixture
def topic(broker):
    name = f"gp-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for f in admin.create_topics([NewTopic(name, 2, 1)]).values():
        f.result(30)
    return name


def test_find_coordinator_single_and_batched(broker, conn):
    host, port = broker.bootstrap.rsplit(":", 1)
    for v in (0, 1, 2, 3):
        r = conn.call(10, v, {"key": "g", "key_type": 0})
        assert (r["error_code"], r["host"], r["port"]) == (0, host, int(port))
    r = conn.call(10, 4, {"key_type": 0, "coordinator_keys": ["a", "b", "c"]})
    assert [c["key"] for c in r["coordinators"]] == ["a", "b", "c"]
    assert {(c["error_code"], c["host"], c["port"]) for c in r["coordinators"]} == {(0, host, int(port))}


def test_find_coordinator_creates_the_internal_topics(conn):
    """As Kafka: a fresh broker's FindCoordinator creates __consumer_offsets (key type group)
    and __transaction_state (key type transaction), so Metadata names them as internal."""
    def internal_topics() -> dict[str, int]:
        r = conn.call(3, 12, {"topics": None, "allow_auto_topic_creation": False,
                              "include_topic_authorized_operations": False})
        return {t["name"]: len(t["partitions"]) for t in r["topics"] if t["is_internal"]}
    assert internal_topics() == {}
    assert conn.call(10, 4, {"key_type": 0, "coordinator_keys": ["g"]})["coordinators"][0]["error_code"] == 0
    assert list(internal_topics()) == ["__consumer_offsets"]
    assert conn.call(10, 4, {"key_type": 1, "coordinator_keys": ["t"]})["coordinators"][0]["error_code"] == 0
    found = internal_topics()
    assert sorted(found) == ["__consumer_offsets", "__transaction_state"] and min(found.values()) > 0


def test_join_errors(conn):
    group = f"g-{uuid.uuid4().hex[:8]}"
    assert join(conn, "")["error_code"] == INVALID_GROUP_ID
    assert join(conn, group, session=1)["error_code"] == INVALID_SESSION_TIMEOUT
    assert join(conn, group, member_id="never-issued")["error_code"] == UNKNOWN_MEMBER_ID
    first = join(conn, group)
    assert first["error_code"] == MEMBER_ID_REQUIRED and first["member_id"]
    member = join_stable(conn, group)
    # Wrong protocol type, or no protocol in common with the members: INCONSISTENT_GROUP_PROTOCOL.
    assert join(conn, group, protocol_type="connect")["error_code"] == INCONSISTENT_GROUP_PROTOCOL
    assert join(conn, group, protocols=[{"name": "sticky", "metadata": b""}])["error_code"] \
        == INCONSISTENT_GROUP_PROTOCOL
    # JoinGroup v3 hands out the member id at once (no MEMBER_ID_REQUIRED before v4).
    other = f"g-{uuid.uuid4().hex[:8]}"
    r = join(conn, other, version=3)
    assert r["error_code"] == 0 and r["member_id"] and r["generation_id"] == 1
    assert member["leader"] == member["member_id"]


def test_heartbeat_sync_commit_errors(conn, topic):
    group = f"g-{uuid.uuid4().hex[:8]}"
    m = join_stable(conn, group)
    mid, gen = m["member_id"], m["generation_id"]
    hb = lambda g, member, generation: conn.call(12, 4, {  # noqa: E731
        "group_id": g, "generation_id": generation, "member_id": member})["error_code"]
    assert hb(group, mid, gen) == 0
    assert hb(group, "stranger", gen) == UNKNOWN_MEMBER_ID
    assert hb(group, mid, gen - 1) == ILLEGAL_GENERATION
    assert hb("no-such-group", mid, gen) == UNKNOWN_MEMBER_ID
    sync = conn.call(14, 5, {"group_id": group, "generation_id": gen + 5, "member_id": mid, "assignments": []})
    assert sync["error_code"] == ILLEGAL_GENERATION
    sync = conn.call(14, 5, {"group_id": group, "generation_id": gen, "member_id": mid,
                             "protocol_type": "connect", "assignments": []})
    assert sync["error_code"] == INCONSISTENT_GROUP_PROTOCOL

    def commit(generation, member, partitions, version=9, g=group):
        r = conn.call(8, version, {
            "group_id": g, "generation_id_or_member_epoch": generation, "member_id": member,
            "topics": [{"name": t, "partitions": [{"partition_index": p, "committed_offset": 5,
                                                   "committed_metadata": "m"} for p in ps]}
                       for t, ps in partitions.items()]})
        return {(t["name"], p["partition_index"]): p["error_code"] for t in r["topics"] for p in t["partitions"]}

    assert commit(gen, mid, {topic: [0, 1, 7], "no-such-topic": [0]}) == {
        (topic, 0): 0, (topic, 1): 0, (topic, 7): UNKNOWN_TOPIC_OR_PARTITION,
        ("no-such-topic", 0): UNKNOWN_TOPIC_OR_PARTITION}
    assert commit(gen - 1, mid, {topic: [0]}) == {(topic, 0): ILLEGAL_GENERATION}
    assert commit(gen, "stranger", {topic: [0]}) == {(topic, 0): UNKNOWN_MEMBER_ID}
    assert commit(3, "x", {topic: [0]}, version=8, g="never-existed") == {(topic, 0): ILLEGAL_GENERATION}
    assert commit(3, "x", {topic: [0]}, version=9, g="never-existed") == {(topic, 0): GROUP_ID_NOT_FOUND}
    # OffsetFetch v1..v7 and v8+ (several groups in one request) see the commit.
    r = conn.call(9, 7, {"group_id": group, "topics": [{"name": topic, "partition_indexes": [0, 1]}]})
    assert r["error_code"] == 0
    assert [(p["partition_index"], p["committed_offset"], p["metadata"]) for p in r["topics"][0]["partitions"]] \
        == [(0, 5, "m"), (1, 5, "m")]
    r = conn.call(9, 8, {"groups": [
        {"group_id": group, "topics": None},
        {"group_id": "nobody", "topics": [{"name": topic, "partition_indexes": [0]}]}]})
    by_group = {g["group_id"]: g for g in r["groups"]}
    assert sorted((t["name"], p["partition_index"], p["committed_offset"])
                  for t in by_group[group]["topics"] for p in t["partitions"]) == [(topic, 0, 5), (topic, 1, 5)]
    assert by_group["nobody"]["topics"][0]["partitions"][0]["committed_offset"] == -1


def test_leave_batched_static_and_fenced(conn):
    group = f"g-{uuid.uuid4().hex[:8]}"
    m = join_stable(conn, group, instance="inst-1")
    # The same group.instance.id joining again takes over; the old member id is fenced.
    again = join(conn, group, instance="inst-1")
    assert again["error_code"] == 0 and again["member_id"] != m["member_id"]
    hb = conn.call(12, 4, {"group_id": group, "generation_id": m["generation_id"],
                           "member_id": m["member_id"], "group_instance_id": "inst-1"})
    assert hb["error_code"] == FENCED_INSTANCE_ID
    r = conn.call(13, 5, {"group_id": group, "members": [
        {"member_id": m["member_id"], "group_instance_id": "inst-1"},
        {"member_id": "", "group_instance_id": "inst-1"},
        {"member_id": "ghost", "group_instance_id": None}]})
    assert r["error_code"] == 0
    assert [x["error_code"] for x in r["members"]] == [FENCED_INSTANCE_ID, 0, UNKNOWN_MEMBER_ID]
    # v0-v2: one member, its error at the top level.
    assert conn.call(13, 1, {"group_id": group, "member_id": "ghost"})["error_code"] == UNKNOWN_MEMBER_ID


def test_describe_list_delete_and_offset_delete(conn, topic):
    busy, idle = f"busy-{uuid.uuid4().hex[:8]}", f"idle-{uuid.uuid4().hex[:8]}"
    m = join_stable(conn, busy, protocols=[{"name": "range", "metadata": subscription(topic)}])
    commit = {"generation_id_or_member_epoch": -1, "member_id": "",
              "topics": [{"name": topic, "partitions": [{"partition_index": 0, "committed_offset": 1}]}]}
    assert conn.call(8, 9, {"group_id": idle, **commit})["topics"][0]["partitions"][0]["error_code"] == 0
    assert conn.call(8, 9, {**commit, "group_id": busy, "generation_id_or_member_epoch": m["generation_id"],
                            "member_id": m["member_id"]})["topics"][0]["partitions"][0]["error_code"] == 0

    d = conn.call(15, 5, {"groups": [busy, "unknown-group"]})["groups"]
    assert (d[0]["group_state"], d[0]["protocol_type"], d[0]["protocol_data"]) == ("Stable", "consumer", "range")
    assert d[0]["members"][0]["member_assignment"] == b"A"
    assert d[0]["members"][0]["member_metadata"] == subscription(topic)
    assert (d[1]["error_code"], d[1]["group_state"]) == (0, "Dead")
    d6 = conn.call(15, 6, {"groups": ["unknown-group"]})["groups"][0]
    assert (d6["error_code"], d6["group_state"]) == (GROUP_ID_NOT_FOUND, "Dead")

    listed = conn.call(16, 5, {"states_filter": [], "types_filter": []})
    states = {g["group_id"]: (g["group_state"], g["protocol_type"], g["group_type"]) for g in listed["groups"]}
    assert states[busy] == ("Stable", "consumer", "classic") and states[idle] == ("Empty", "", "classic")
    only_empty = conn.call(16, 4, {"states_filter": ["empty"]})
    assert idle in {g["group_id"] for g in only_empty["groups"]}
    assert busy not in {g["group_id"] for g in only_empty["groups"]}

    # OffsetDelete: a subscribed topic of a live consumer group is refused per partition.
    r = conn.call(47, 0, {"group_id": busy, "topics": [{"name": topic, "partitions": [{"partition_index": 0}]}]})
    assert r["error_code"] == 0 and r["topics"][0]["partitions"][0]["error_code"] == GROUP_SUBSCRIBED_TO_TOPIC
    r = conn.call(47, 0, {"group_id": "no-such", "topics": []})
    assert r["error_code"] == GROUP_ID_NOT_FOUND

    res = conn.call(42, 2, {"groups_names": [busy, idle, "no-such"]})["results"]
    assert {x["group_id"]: x["error_code"] for x in res} == \
        {busy: NON_EMPTY_GROUP, idle: 0, "no-such": GROUP_ID_NOT_FOUND}
    r = conn.call(9, 7, {"group_id": idle, "topics": [{"name": topic, "partition_indexes": [0]}]})
    assert r["topics"][0]["partitions"][0]["committed_offset"] == -1


def test_rebalance_in_progress_for_the_old_member(broker, conn):
    group = f"g-{uuid.uuid4().hex[:8]}"
    m = join_stable(conn, group)
    other = RawConnection(broker.bootstrap, timeout=20, client_id="grp-test")
    try:
        first = join(other, group)
        assert first["error_code"] == MEMBER_ID_REQUIRED
        # Send the second join without waiting: it parks until the first member rejoins.
        parked = other.send_dict(11, 9, {
            "group_id": group, "session_timeout_ms": 10000, "rebalance_timeout_ms": 10000,
            "member_id": first["member_id"], "protocol_type": "consumer",
            "protocols": [{"name": "range", "metadata": subscription("t")}]})
        deadline = time.monotonic() + 10
        while True:
            err = conn.call(12, 4, {"group_id": group, "generation_id": m["generation_id"],
                                    "member_id": m["member_id"]})["error_code"]
            if err == REBALANCE_IN_PROGRESS or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert err == REBALANCE_IN_PROGRESS
        rejoin = join(conn, group, member_id=m["member_id"])
        assert rejoin["error_code"] == 0 and rejoin["generation_id"] == m["generation_id"] + 1
        assert len(rejoin["members"]) == 2  # the leader gets every member's metadata
        r2 = other.recv_dict(11, 9, parked)
        assert r2["error_code"] == 0 and r2["generation_id"] == rejoin["generation_id"] and r2["members"] == []
    finally:
        other.close()


def test_offsets_of_a_deleted_topic_are_removed(broker, conn, topic):
    """DeleteTopics drops the group offsets of the topic; a simple group left with no offsets
    goes away."""
    group = f"del-{uuid.uuid4().hex[:8]}"
    r = conn.call(8, 9, {"group_id": group, "generation_id_or_member_epoch": -1, "member_id": "",
                         "topics": [{"name": topic, "partitions": [{"partition_index": 1, "committed_offset": 3}]}]})
    assert r["topics"][0]["partitions"][0]["error_code"] == 0
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for f in admin.delete_topics([topic]).values():
        f.result(30)

    def fetch_all():
        return conn.call(9, 8, {"groups": [{"group_id": group, "topics": None}]})["groups"][0]["topics"]

    deadline = time.monotonic() + 10
    while fetch_all() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fetch_all() == []
    listed = conn.call(16, 4, {"states_filter": []})["groups"]
    assert group not in {g["group_id"] for g in listed}
