"""Share groups beside the other group types, side by side with a real Apache Kafka 4.x broker
(kafka_dist): one group id namespace for classic, consumer and share groups. The same scenario
of raw requests (fastlog's pure-Python codec over a socket) runs against fastlog and Kafka and
must get the same error codes (and, where Kafka's clients show them, the same messages):

- a share-group heartbeat for the id of a classic or consumer group, and JoinGroup, SyncGroup,
  Heartbeat, LeaveGroup, ConsumerGroupHeartbeat, OffsetCommit, OffsetFetch, OffsetDelete for the
  id of a share group;
- DescribeGroups, ConsumerGroupDescribe, ShareGroupDescribe, DescribeShareGroupOffsets and
  ListGroups on each type;
- ShareFetch and ShareAcknowledge from members that are not (or no longer) in the group, and an
  incremental ShareFetch with nothing to report (the partition left out).
"""
from __future__ import annotations

import time
import uuid

import confluent_kafka
import pytest

from fastlog import kafka_dist as kd
from fastlog.protocol.errors import ErrorCode

from clients import RawConnection, create_topic, unique_topic

pytestmark = pytest.mark.timeout(300)

SHARE_HEARTBEAT, SHARE_DESCRIBE, SHARE_FETCH, SHARE_ACK = 76, 77, 78, 79
JOIN, SYNC, HEARTBEAT, LEAVE, OFFSET_COMMIT, OFFSET_FETCH, OFFSET_DELETE = 11, 14, 12, 13, 8, 9, 47
DESCRIBE, LIST, CONSUMER_HEARTBEAT, CONSUMER_DESCRIBE, SHARE_OFFSETS = 15, 16, 68, 69, 90


@pytest.fixture(scope="module")
def kafka():
    broker = kd.KafkaBroker().start()
    yield broker
    broker.stop()
    broker.cleanup()


def member() -> str:
    return uuid.uuid4().hex[:22]


def share_heartbeat(c: RawConnection, group: str, member_id: str, epoch: int, topics=None) -> dict:
    return c.call(SHARE_HEARTBEAT, 1, {"group_id": group, "member_id": member_id, "member_epoch": epoch,
                                       "rack_id": None, "subscribed_topic_names": topics})


def consumer_heartbeat(c: RawConnection, group: str, member_id: str, topic: str) -> dict:
    return c.call(CONSUMER_HEARTBEAT, 1, {
        "group_id": group, "member_id": member_id, "member_epoch": 0, "instance_id": None, "rack_id": None,
        "rebalance_timeout_ms": 30000, "subscribed_topic_names": [topic], "subscribed_topic_regex": None,
        "server_assignor": None, "topic_partitions": []})


def join(c: RawConnection, group: str, member_id: str) -> dict:
    return c.call(JOIN, 5, {"group_id": group, "session_timeout_ms": 30000, "rebalance_timeout_ms": 30000,
                            "member_id": member_id, "group_instance_id": None, "protocol_type": "consumer",
                            "protocols": [{"name": "range", "metadata": b""}]})


def share_fetch(c: RawConnection, group: str, member_id: str, epoch: int, topic_id: bytes, wait_ms: int = 0
                ) -> dict:
    return c.call(SHARE_FETCH, 1, {
        "group_id": group, "member_id": member_id, "share_session_epoch": epoch, "max_wait_ms": wait_ms,
        "min_bytes": 1, "max_bytes": 1 << 20, "max_records": 100, "batch_size": 100, "forgotten_topics_data": [],
        "topics": [{"topic_id": topic_id, "partitions": [
            {"partition_index": 0, "acknowledgement_batches": []}]}]})


def share_ack(c: RawConnection, group: str, member_id: str, epoch: int, topic_id: bytes) -> dict:
    return c.call(SHARE_ACK, 1, {"group_id": group, "member_id": member_id, "share_session_epoch": epoch,
                                 "topics": [{"topic_id": topic_id, "partitions": [{"partition_index": 0,
                                             "acknowledgement_batches": [{"first_offset": 0, "last_offset": 0,
                                                                          "acknowledge_types": [1]}]}]}]})


def wait_for_coordinator(c: RawConnection, group_ids: list[str]) -> None:
    """Until the group coordinator serves these ids: Kafka creates `__consumer_offsets` at the first
    FindCoordinator and loads its partitions a moment later (NOT_COORDINATOR until then)."""
    deadline = time.monotonic() + 60
    while True:
        c.call(10, 4, {"key_type": 0, "coordinator_keys": group_ids})
        described = c.call(DESCRIBE, 5, {"groups": group_ids, "include_authorized_operations": False})["groups"]
        if all(g["error_code"] == 0 for g in described):
            return
        assert time.monotonic() < deadline, f"no group coordinator: {described}"
        time.sleep(0.2)


def scenario(bootstrap: str) -> list:
    """What each step got: (step, error code(s), message or other observable)."""
    out: list = []
    suffix = uuid.uuid4().hex[:6]
    classic, consumer, share, empty_classic = (f"{kind}-{suffix}" for kind in ("classic", "consumer", "share",
                                                                               "committed"))
    topic = unique_topic("share-vs")
    create_topic(bootstrap, topic, 1)
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for value in (b"a", b"b", b"c"):   # a batch each: a fetch may take one record
        producer.produce(topic, value=value)
        producer.flush(30)

    def step(name: str, answer: dict, *keys: str) -> dict:
        out.append((name, *(answer.get(k) for k in keys)))
        return answer

    def share_step(name: str, answer: dict, detail: bool = True) -> dict:
        """A ShareFetch or ShareAcknowledge: its error, and each partition's errors and acquired
        ranges (without detail: only whether anything was acquired; Kafka answers a partition it
        cannot initialize in the first fetch or a later one, depending on timing)."""
        parts = [(p["error_code"], p.get("acknowledge_error_code"),
                  [(a["first_offset"], a["last_offset"]) for a in p.get("acquired_records") or []])
                 for t in answer["responses"] for p in t["partitions"]]
        got = parts if detail else any(acquired for *_, acquired in parts)
        out.append((name, answer["error_code"], answer["error_message"] or None, got))
        return answer

    with RawConnection(bootstrap, timeout=30, client_id="share-vs") as c:
        wait_for_coordinator(c, [classic, consumer, share, empty_classic, f"nope-{suffix}"])
        topic_id = bytes(c.call(3, 12, {"topics": [{"topic_id": bytes(16), "name": topic}],
                                        "allow_auto_topic_creation": False,
                                        "include_topic_authorized_operations": False})["topics"][0]["topic_id"])
        configured = c.call(44, 0, {"resources": [{"resource_type": 32, "resource_name": share, "configs": [
            {"name": "share.auto.offset.reset", "config_operation": 0, "value": "earliest"}]}],
            "validate_only": False})
        assert configured["responses"][0]["error_code"] == 0
        # one group of each type
        first = join(c, classic, "")
        joined = join(c, classic, first["member_id"])
        step("classic join", joined, "error_code")
        step("consumer join", consumer_heartbeat(c, consumer, member(), topic), "error_code")
        m1 = member()
        share_epoch = step("share join", share_heartbeat(c, share, m1, 0, [topic]), "error_code")["member_epoch"]
        step("offset commit makes an empty classic group", c.call(OFFSET_COMMIT, 8, {
            "group_id": empty_classic, "generation_id_or_member_epoch": -1, "member_id": "",
            "group_instance_id": None, "topics": [{"name": topic, "partitions": [
                {"partition_index": 0, "committed_offset": 0, "committed_metadata": ""}]}]})["topics"][0], "partitions")

        # share heartbeats for the ids of the other types
        for name, group in (("classic", classic), ("consumer", consumer), ("empty classic", empty_classic)):
            step(f"share join of a {name} group", share_heartbeat(c, group, member(), 0, [topic]),
                 "error_code", "error_message")

        # the classic and consumer protocols on the share group's id
        step("JoinGroup (no member id) on a share group", join(c, share, ""), "error_code")
        step("JoinGroup (member id) on a share group", join(c, share, member()), "error_code")
        step("SyncGroup on a share group", c.call(SYNC, 5, {
            "group_id": share, "generation_id": 1, "member_id": m1, "group_instance_id": None,
            "protocol_type": "consumer", "protocol_name": "range", "assignments": []}), "error_code")
        step("Heartbeat on a share group", c.call(HEARTBEAT, 4, {
            "group_id": share, "generation_id": 1, "member_id": m1, "group_instance_id": None}), "error_code")
        left = c.call(LEAVE, 5, {"group_id": share, "members": [
            {"member_id": m1, "group_instance_id": None, "reason": None}]})
        out.append(("LeaveGroup on a share group", left["error_code"], [m["error_code"] for m in left["members"]]))
        step("ConsumerGroupHeartbeat on a share group", consumer_heartbeat(c, share, member(), topic),
             "error_code", "error_message")
        for name, epoch, member_id in (("simple", -1, ""), ("member", share_epoch, m1)):
            committed = c.call(OFFSET_COMMIT, 9, {
                "group_id": share, "generation_id_or_member_epoch": epoch, "member_id": member_id,
                "group_instance_id": None, "topics": [{"name": topic, "partitions": [
                    {"partition_index": 0, "committed_offset": 0, "committed_metadata": ""}]}]})
            out.append((f"OffsetCommit ({name}) on a share group",
                        [p["error_code"] for t in committed["topics"] for p in t["partitions"]]))
        fetched = c.call(OFFSET_FETCH, 8, {"groups": [{"group_id": share, "topics": None}],
                                           "require_stable": False})["groups"][0]
        out.append(("OffsetFetch of a share group", fetched["error_code"], fetched["topics"]))
        step("OffsetDelete on a share group", c.call(OFFSET_DELETE, 0, {"group_id": share, "topics": [
            {"name": topic, "partitions": [{"partition_index": 0}]}]}), "error_code")

        # describing and listing each type
        # (Kafka answers the groups of a describe in its own order: sorted here)
        for version in (5, 6):
            described = c.call(DESCRIBE, version, {"groups": [share, classic], "include_authorized_operations": False})
            out += sorted(("DescribeGroups", version, g["group_id"], g["error_code"], g["group_state"],
                           g["protocol_type"], g.get("error_message")) for g in described["groups"])
        out += sorted(("ConsumerGroupDescribe", g["group_id"], g["error_code"], g["error_message"])
                      for g in c.call(CONSUMER_DESCRIBE, 1, {"group_ids": [share, classic],
                                                             "include_authorized_operations": False})["groups"])
        out += sorted(("ShareGroupDescribe", g["group_id"], g["error_code"], g["error_message"])
                      for g in c.call(SHARE_DESCRIBE, 1, {"group_ids": [classic, consumer, empty_classic],
                                                          "include_authorized_operations": False})["groups"])
        for g in c.call(SHARE_OFFSETS, 1, {"groups": [
                {"group_id": g, "topics": None} for g in (classic, consumer, f"nope-{suffix}")] + [
                {"group_id": g, "topics": [{"topic_name": topic, "partitions": [0]}]}
                for g in (classic, f"nope-{suffix}")]})["groups"]:
            out.append(("DescribeShareGroupOffsets", g["group_id"], g["error_code"], g["error_message"],
                        [(t["topic_name"], [(p["partition_index"], p["start_offset"], p["lag"], p["error_code"])
                                            for p in t["partitions"]]) for t in g["topics"]]))
        mine = {classic, consumer, share, empty_classic}
        for types in ([], ["classic"], ["consumer"], ["share"]):
            listed = c.call(LIST, 5, {"states_filter": [], "types_filter": types})
            out.append(("ListGroups", types, sorted((g["group_id"], g["group_type"], g["protocol_type"],
                                                     g["group_state"])
                                                    for g in listed["groups"] if g["group_id"] in mine)))

        # ShareFetch and ShareAcknowledge membership
        stranger = member()
        # (Kafka initializes the share-partition in the background: the long poll waits for it)
        share_step("ShareFetch by a member not in the group", share_fetch(c, share, stranger, 0, topic_id, 10_000))
        share_step("ShareFetch in a group that does not exist",
                   share_fetch(c, f"nope-{suffix}", stranger, 0, topic_id), detail=False)
        share_step("ShareFetch in a consumer group", share_fetch(c, consumer, stranger, 0, topic_id), detail=False)
        share_step("ShareFetch epoch 1 by a member not in the group", share_fetch(c, share, member(), 1, topic_id))
        share_step("ShareAcknowledge by a member not in the group", share_ack(c, share, stranger, 1, topic_id))
        # An incremental fetch with nothing to report: the partition is left out of the answer.
        share_step("incremental ShareFetch with nothing new", c.call(SHARE_FETCH, 1, {
            "group_id": share, "member_id": stranger, "share_session_epoch": 2, "max_wait_ms": 0, "min_bytes": 1,
            "max_bytes": 1 << 20, "max_records": 100, "batch_size": 100, "forgotten_topics_data": [], "topics": []}))
        share_step("ShareFetch by the member opens its session", share_fetch(c, share, m1, 0, topic_id))
        step("the member leaves", share_heartbeat(c, share, m1, -1), "error_code")
        share_step("ShareFetch by the member that left", share_fetch(c, share, m1, 1, topic_id),
                   detail=False)
        share_step("ShareAcknowledge by the member that left", share_ack(c, share, m1, 1, topic_id))
        share_step("ShareFetch epoch 0 by the member that left", share_fetch(c, share, m1, 0, topic_id))
    return _without(out, {f"-{suffix}": "", topic: "TOPIC"})


def _without(value, names: dict[str, str]):
    """`value` with the random parts of group ids and the topic name replaced (in every string)."""
    if isinstance(value, str):
        for old, new in names.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_without(v, names) for v in value)
    return value


def share_state_starting(rows: list) -> bool:
    """Whether Kafka answered a share partition UNKNOWN_SERVER_ERROR: its share-group state
    (`__share_group_state` and the share coordinator) was still starting when the first share
    fetch of the run came (seen once in CI, on a Kafka started minutes before); a second run
    of the scenario meets it started."""
    return any(row[0].startswith("Share") and isinstance(row[-1], list)
               and any(part[0] == ErrorCode.UNKNOWN_SERVER_ERROR for part in row[-1]) for row in rows)


def test_group_types_and_share_sessions_answer_as_kafka(broker, kafka):
    ours, theirs = scenario(broker.bootstrap), scenario(kafka.bootstrap)
    assert not share_state_starting(ours)
    if share_state_starting(theirs):
        theirs = scenario(kafka.bootstrap)
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine == reference


if __name__ == "__main__":   # print the scenario against a running broker: python ... host:port
    import sys
    for row in scenario(sys.argv[1]):
        print(row)
