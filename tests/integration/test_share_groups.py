"""Share groups (KIP-932) with Kafka 4.4's Java KafkaShareConsumer (tests/integration/java/
ShareConsumers.java, compiled here against the kafka-clients jar from Maven Central), plus raw
protocol checks of the error answers.

Records are produced one batch each: a share-partition acquires whole batches, so single-record
batches let several consumers take records of one partition.
"""
from __future__ import annotations

import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import confluent_kafka
import pytest

from fastlog import kafka_dist as kd
from fastlog.protocol.errors import ErrorCode

from clients import RawConnection, create_topic, unique_topic

pytestmark = pytest.mark.timeout(400)

JAVA_DIR = Path(__file__).parent / "java"
# Short locks for the lock-timeout test (Kafka's bounds allow 1 s at the least).
SHORT_LOCKS = {"group.share.min.record.lock.duration.ms": "1000", "group.share.record.lock.duration.ms": "2000"}


@pytest.fixture(scope="module")
def share_program(tmp_path_factory) -> str:
    """The classpath that runs ShareConsumers (compiled once per module)."""
    classpath = kd.classpath()
    out = tmp_path_factory.mktemp("share-java")
    subprocess.run(["javac", "-d", str(out), "-cp", classpath, str(JAVA_DIR / "ShareConsumers.java")],
                   check=True, capture_output=True, timeout=180)
    return f"{out}:{classpath}"


def produce_one_per_batch(bootstrap: str, topic: str, values: list[str], partitions: int = 1) -> None:
    """Each value in its own batch, round-robin over the partitions."""
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for i, value in enumerate(values):
        producer.produce(topic, value=value.encode(), partition=i % partitions)
        producer.flush(30)
    assert len(producer) == 0


def run(program: str, bootstrap: str, topic: str, group: str, *args: object) -> list[tuple[int, int, str, int, str]]:
    """Run one mode of ShareConsumers -> its records (consumer, offset, value, delivery count, action)."""
    proc = subprocess.run(["java", *kd.FAST_START_OPTS, "-cp", program, "ShareConsumers", bootstrap, topic, group,
                           *map(str, args)], capture_output=True, text=True, timeout=240)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and lines and lines[-1] == "done", \
        f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    out = []
    for line in lines:
        if line.startswith("rec "):
            _, who, offset, value, count, action = line.split()
            out.append((int(who), int(offset), value, int(count), action))
    return out


def new_group() -> str:
    return "share-" + uuid.uuid4().hex[:8]


def test_consumers_share_one_partition(broker, share_program):
    topic = unique_topic("share")
    create_topic(broker.bootstrap, topic, 1)
    values = [f"v{i}" for i in range(40)]
    produce_one_per_batch(broker.bootstrap, topic, values)
    got = run(share_program, broker.bootstrap, topic, new_group(), "share", 3, len(values))
    # Each consumer held its first records locked until all three had some: all took part.
    assert {who for who, *_ in got} == {0, 1, 2}
    delivered = Counter(value for _, _, value, _, _ in got)
    assert sorted(delivered) == sorted(values) and set(delivered.values()) == {1}, delivered
    assert {count for *_, count, _ in got} == {1}


def test_consumers_split_the_partitions_of_a_topic(broker, share_program):
    topic = unique_topic("share-parts")
    create_topic(broker.bootstrap, topic, 3)
    values = [f"p{i}" for i in range(30)]
    produce_one_per_batch(broker.bootstrap, topic, values, partitions=3)
    got = run(share_program, broker.bootstrap, topic, new_group(), "share", 2, len(values))
    assert {who for who, *_ in got} == {0, 1}
    delivered = Counter(value for _, _, value, _, _ in got)
    assert sorted(delivered) == sorted(values) and set(delivered.values()) == {1}, delivered


def test_released_record_is_redelivered_with_a_higher_count(broker, share_program):
    topic = unique_topic("share-release")
    create_topic(broker.bootstrap, topic, 1)
    produce_one_per_batch(broker.bootstrap, topic, ["a", "b", "c"])
    got = run(share_program, broker.bootstrap, topic, new_group(), "release", 3)
    assert sorted((value, count, action) for _, _, value, count, action in got) == [
        ("a", 1, "release"), ("a", 2, "accept"), ("b", 1, "release"), ("b", 2, "accept"),
        ("c", 1, "release"), ("c", 2, "accept")]


def test_lock_timeout_redelivers_to_another_consumer(broker_factory, share_program):
    broker = broker_factory(SHORT_LOCKS)
    topic = unique_topic("share-lock")
    create_topic(broker.bootstrap, topic, 1)
    produce_one_per_batch(broker.bootstrap, topic, ["x", "y"])
    got = run(share_program, broker.bootstrap, topic, new_group(), "locktimeout", 2)
    held = {(value, count) for who, _, value, count, action in got if action == "hold"}
    accepted = {(value, count) for who, _, value, count, action in got if who == 1}
    assert held and all(count == 1 for _, count in held)
    # What consumer 0 held came back to consumer 1 once its locks timed out, one delivery later.
    assert {value for value, _ in accepted} == {"x", "y"}
    assert {(value, count + 1) for value, count in held} <= accepted


def test_delivery_count_limit_archives_a_poison_record(broker_factory, share_program):
    broker = broker_factory({"group.share.delivery.count.limit": "3"})
    topic = unique_topic("share-poison")
    create_topic(broker.bootstrap, topic, 1)
    produce_one_per_batch(broker.bootstrap, topic, ["poison", "good"])
    got = run(share_program, broker.bootstrap, topic, new_group(), "poison", 3)
    # Three deliveries, then archived: "end" (produced after the third) comes without a fourth.
    assert [count for _, _, value, count, _ in got if value == "poison"] == [1, 2, 3]
    assert [value for _, _, value, _, action in got if action == "accept"] == ["good", "end"]


def test_rejected_record_is_not_redelivered(broker, share_program):
    topic = unique_topic("share-reject")
    create_topic(broker.bootstrap, topic, 1)
    produce_one_per_batch(broker.bootstrap, topic, ["ok1", "bad", "ok2"])
    group = new_group()
    got = run(share_program, broker.bootstrap, topic, group, "reject", 3)
    assert sorted((value, action) for _, _, value, _, action in got) == [
        ("bad", "reject"), ("ok1", "accept"), ("ok2", "accept")]
    produce_one_per_batch(broker.bootstrap, topic, ["ok3"])
    assert [value for _, _, value, _, _ in run(share_program, broker.bootstrap, topic, group, "drain", 1)] == ["ok3"]


def test_share_partition_state_survives_a_restart(broker, share_program):
    topic = unique_topic("share-restart")
    create_topic(broker.bootstrap, topic, 1)
    values = [f"r{i}" for i in range(8)]
    produce_one_per_batch(broker.bootstrap, topic, values)
    group = new_group()
    first = run(share_program, broker.bootstrap, topic, group, "some", 3)
    accepted = {value for _, _, value, _, action in first if action == "accept"}
    released = {value for _, _, value, _, action in first if action == "release"}
    assert len(accepted) == 3
    broker.restart()
    with RawConnection(broker.bootstrap) as conn:
        listed = conn.call(16, 5, {"states_filter": [], "types_filter": ["share"]})["groups"]
    assert [(g["group_id"], g["group_state"]) for g in listed] == [(group, "Empty")]
    rest = run(share_program, broker.bootstrap, topic, group, "drain", len(values) - 3)
    # Exactly the records not accepted before the restart; those delivered before count on.
    assert sorted(value for _, _, value, _, _ in rest) == sorted(set(values) - accepted)
    assert all(count >= 2 for _, _, value, count, _ in rest if value in released)


# -- raw protocol -----------------------------------------------------------------------------------

def heartbeat(conn: RawConnection, group: str, member: str, epoch: int, topics=None) -> dict:
    return conn.call(76, 1, {"group_id": group, "member_id": member, "member_epoch": epoch, "rack_id": None,
                             "subscribed_topic_names": topics})


def share_fetch(conn: RawConnection, group: str, member: str, epoch: int, topics: list, version: int = 1) -> dict:
    return conn.call(78, version, {"group_id": group, "member_id": member, "share_session_epoch": epoch,
                                   "max_wait_ms": 0, "min_bytes": 1, "max_bytes": 1 << 20, "max_records": 100,
                                   "batch_size": 100, "topics": topics, "forgotten_topics_data": []})


def topic_id_of(conn: RawConnection, topic: str) -> bytes:
    answer = conn.call(3, 12, {"topics": [{"topic_id": bytes(16), "name": topic}],
                               "allow_auto_topic_creation": False, "include_topic_authorized_operations": False})
    return bytes(answer["topics"][0]["topic_id"])


def test_heartbeat_errors_and_describe(broker):
    topic = unique_topic("share-raw")
    create_topic(broker.bootstrap, topic, 2)
    group = new_group()
    with RawConnection(broker.bootstrap) as conn:
        assert heartbeat(conn, group, "m1", 0)["error_code"] == ErrorCode.INVALID_REQUEST   # no topics on join
        assert heartbeat(conn, group, "", 0, [topic])["error_code"] == ErrorCode.INVALID_REQUEST
        assert heartbeat(conn, group, "m1", 3, [topic])["error_code"] == ErrorCode.UNKNOWN_MEMBER_ID
        joined = heartbeat(conn, group, "m1", 0, [topic])
        assert joined["error_code"] == 0 and joined["member_epoch"] == 1
        assert joined["heartbeat_interval_ms"] == 5000
        tid = topic_id_of(conn, topic)
        assert joined["assignment"]["topic_partitions"] == [{"topic_id": tid, "partitions": [0, 1]}]
        assert heartbeat(conn, group, "m1", 7)["error_code"] == ErrorCode.FENCED_MEMBER_EPOCH
        second = heartbeat(conn, group, "m2", 0, [topic])
        assert second["member_epoch"] == 2
        # m1 moves to the new epoch and gives a partition to m2
        again = heartbeat(conn, group, "m1", 1)
        assert again["member_epoch"] == 2
        assert again["assignment"]["topic_partitions"] == [{"topic_id": tid, "partitions": [0]}]
        described = conn.call(77, 1, {"group_ids": [group, "no-such-group"], "include_authorized_operations": False})
        ours, missing = described["groups"]
        assert (ours["error_code"], ours["group_state"], ours["group_epoch"], ours["assignor_name"]) == \
            (0, "Stable", 2, "simple")
        assert sorted(m["member_id"] for m in ours["members"]) == ["m1", "m2"]
        assert missing["error_code"] == ErrorCode.GROUP_ID_NOT_FOUND
        listed = conn.call(16, 5, {"states_filter": [], "types_filter": ["share"]})
        assert [(g["group_id"], g["group_type"], g["group_state"]) for g in listed["groups"]] == \
            [(group, "share", "Stable")]
        left = heartbeat(conn, group, "m2", 2)
        assert left["error_code"] == 0
        assert heartbeat(conn, group, "m2", -1)["member_epoch"] == -1


def describe_share_group(conn: RawConnection, group: str) -> dict:
    return conn.call(77, 1, {"group_ids": [group], "include_authorized_operations": False})["groups"][0]


@pytest.mark.parametrize("clean", [True, False], ids=["sigterm", "sigkill"])
def test_share_group_members_survive_a_restart(broker, clean):
    """Members are kept in `__consumer_offsets` (as in Kafka 4.4): after a restart, clean or
    kill -9, they are back with their epochs and go on heartbeating without a rejoin."""
    topic = unique_topic("share-members-restart")
    create_topic(broker.bootstrap, topic, 2)
    group = new_group()
    with RawConnection(broker.bootstrap) as conn:
        tid = topic_id_of(conn, topic)
        assert heartbeat(conn, group, "m1", 0, [topic])["member_epoch"] == 1
        assert heartbeat(conn, group, "m2", 0, [topic])["member_epoch"] == 2
        assert heartbeat(conn, group, "m1", 1)["member_epoch"] == 2
        assert heartbeat(conn, group, "gone", 0, [topic])["member_epoch"] == 3
        assert heartbeat(conn, group, "gone", -1)["error_code"] == 0   # left: tombstoned, epoch 4
        before = describe_share_group(conn, group)
    broker.restart(clean=clean)
    with RawConnection(broker.bootstrap) as conn:
        after = describe_share_group(conn, group)
        assert (after["error_code"], after["group_state"], after["group_epoch"], after["assignment_epoch"]) == \
            (0, "Stable", 4, 4)
        def summary(described: dict) -> list:
            return sorted((m["member_id"], m["member_epoch"], m["client_id"], tuple(m["subscribed_topic_names"]))
                          for m in described["members"])
        assert summary(after) == summary(before) == [(m, 2, "fastlog-raw", (topic,)) for m in ("m1", "m2")]
        # Their old epochs are still good: no UNKNOWN_MEMBER_ID, no rejoin; they move to epoch 4
        # and each gets one of the two partitions.
        assert heartbeat(conn, group, "m2", 1)["error_code"] == ErrorCode.FENCED_MEMBER_EPOCH
        answers = [heartbeat(conn, group, m, 2) for m in ("m1", "m2")]
        assert [(a["error_code"], a["member_epoch"]) for a in answers] == [(0, 4), (0, 4)]
        assert sorted(p for a in answers for t in a["assignment"]["topic_partitions"] for p in t["partitions"]
                      if t["topic_id"] == tid) == [0, 1]
        assert describe_share_group(conn, group)["group_epoch"] == 4
    members = rows(share_tool(broker.bootstrap, "--describe", "--group", group, "--members"))
    assert sorted(r[1] for r in members) == ["m1", "m2"]
    with RawConnection(broker.bootstrap) as conn:
        for m in ("m1", "m2"):
            assert heartbeat(conn, group, m, -1)["error_code"] == 0
    broker.restart(clean=clean)
    with RawConnection(broker.bootstrap) as conn:
        after = describe_share_group(conn, group)
        assert (after["group_state"], after["group_epoch"], after["members"]) == ("Empty", 6, [])
    share_tool(broker.bootstrap, "--delete", "--group", group)
    broker.restart(clean=clean)
    assert group not in share_tool(broker.bootstrap, "--list").split()


def share_start_offset(conn: RawConnection, group: str, topic: str) -> int:
    answer = conn.call(90, 1, {"groups": [{"group_id": group, "topics": [{"topic_name": topic, "partitions": [0]}]}]})
    return answer["groups"][0]["topics"][0]["partitions"][0]["start_offset"]


@pytest.mark.parametrize("clean", [True, False], ids=["sigterm", "sigkill"])
def test_java_share_consumer_keeps_its_membership_across_a_restart(broker, share_program, clean):
    """A KafkaShareConsumer polling through a broker restart goes on as the same member: the
    restored member answers its heartbeats, so it never rejoins (a rejoin would move the group
    epoch), and the records produced after the restart reach it."""
    topic = unique_topic("share-java-restart")
    create_topic(broker.bootstrap, topic, 1)
    group = new_group()
    set_earliest(broker.bootstrap, group)
    produce_one_per_batch(broker.bootstrap, topic, [f"a{i}" for i in range(5)])
    proc = subprocess.Popen(["java", *kd.FAST_START_OPTS, "-cp", share_program, "ShareConsumers", broker.bootstrap,
                             topic, group, "drain", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        seen = [proc.stdout.readline().split()[3] for _ in range(5)]
        assert sorted(seen) == [f"a{i}" for i in range(5)]
        with RawConnection(broker.bootstrap) as conn:
            deadline = time.monotonic() + 60   # the consumer's commitSync of the five
            while share_start_offset(conn, group, topic) != 5 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert share_start_offset(conn, group, topic) == 5
            before = describe_share_group(conn, group)
        assert len(before["members"]) == 1
        broker.restart(clean=clean)
        with RawConnection(broker.bootstrap) as conn:
            restored = describe_share_group(conn, group)
        assert [(m["member_id"], m["member_epoch"]) for m in restored["members"]] == \
            [(m["member_id"], m["member_epoch"]) for m in before["members"]]
        produce_one_per_batch(broker.bootstrap, topic, [f"b{i}" for i in range(5)])
        out, err = proc.communicate(timeout=200)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = out.splitlines()
    assert proc.returncode == 0 and lines[-1] == "done", f"{out[-3000:]}\n{err[-5000:]}"
    assert sorted(line.split()[3] for line in lines if line.startswith("rec ")) == [f"b{i}" for i in range(5)]
    with RawConnection(broker.bootstrap) as conn:
        after = describe_share_group(conn, group)
    # One epoch more than before the restart: the member's leave at close, no rejoin.
    assert (after["group_state"], after["group_epoch"]) == ("Empty", before["group_epoch"] + 1)


def test_incremental_share_fetch_lists_only_partitions_with_something_to_say(broker):
    """As Kafka's share session: the first answer lists every partition; later ones only those with
    records, an error or an acknowledgement result, and partitions just added to the session."""
    topic = unique_topic("share-incremental")
    create_topic(broker.bootstrap, topic, 3)
    group = new_group()
    set_earliest(broker.bootstrap, group)
    produce_one_per_batch(broker.bootstrap, topic, ["p0"])
    with RawConnection(broker.bootstrap) as conn:
        tid = topic_id_of(conn, topic)
        assert heartbeat(conn, group, "m1", 0, [topic])["error_code"] == 0

        def listed(answer: dict) -> list:
            assert answer["error_code"] == 0
            return [(p["partition_index"], len(p["acquired_records"]), p["error_code"], p["acknowledge_error_code"])
                    for t in answer["responses"] for p in t["partitions"]]

        def parts(*indexes: int, acks: bool = False) -> list:
            batches = [{"first_offset": 0, "last_offset": 0, "acknowledge_types": [1]}] if acks else []
            return [{"topic_id": tid, "partitions": [{"partition_index": i, "acknowledgement_batches": batches}
                                                     for i in indexes]}]
        assert listed(share_fetch(conn, group, "m1", 0, parts(0, 1))) == [(0, 1, 0, 0), (1, 0, 0, 0)]
        assert listed(share_fetch(conn, group, "m1", 1, [])) == []          # nothing new
        producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
        producer.produce(topic, value=b"p1", partition=1)
        producer.flush(30)
        assert listed(share_fetch(conn, group, "m1", 2, [])) == [(1, 1, 0, 0)]
        assert listed(share_fetch(conn, group, "m1", 3, parts(2))) == [(2, 0, 0, 0)]   # new to the session
        assert listed(share_fetch(conn, group, "m1", 4, parts(0, acks=True))) == [(0, 0, 0, 0)]  # its ack
        unknown = [{"topic_id": b"\x07" * 16, "partitions": [{"partition_index": 0, "acknowledgement_batches": []}]}]
        for epoch in (5, 6):   # an error is listed every time
            answer = share_fetch(conn, group, "m1", epoch, unknown if epoch == 5 else [])
            assert [p["error_code"] for t in answer["responses"] for p in t["partitions"]] == \
                [ErrorCode.UNKNOWN_TOPIC_ID]


def test_restored_member_that_never_returns_is_expired(broker_factory):
    broker = broker_factory({"group.share.min.session.timeout.ms": "6000", "group.share.session.timeout.ms": "6000"})
    topic = unique_topic("share-expire")
    create_topic(broker.bootstrap, topic, 1)
    group = new_group()
    with RawConnection(broker.bootstrap) as conn:
        assert heartbeat(conn, group, "silent", 0, [topic])["member_epoch"] == 1
    broker.restart(clean=False)
    with RawConnection(broker.bootstrap) as conn:
        restored = describe_share_group(conn, group)
        assert [m["member_id"] for m in restored["members"]] == ["silent"]
        deadline = time.monotonic() + 120
        while describe_share_group(conn, group)["members"] and time.monotonic() < deadline:
            time.sleep(0.5)
        expired = describe_share_group(conn, group)
        assert (expired["group_state"], expired["group_epoch"], expired["members"]) == ("Empty", 2, [])
        assert heartbeat(conn, group, "silent", 1)["error_code"] == ErrorCode.UNKNOWN_MEMBER_ID
    broker.restart(clean=False)
    with RawConnection(broker.bootstrap) as conn:
        assert describe_share_group(conn, group)["members"] == []


def test_share_fetch_sessions_and_acknowledgements(broker_factory):
    broker = broker_factory({"group.share.max.share.sessions": "2"})
    topic = unique_topic("share-raw-fetch")
    create_topic(broker.bootstrap, topic, 1)
    produce_one_per_batch(broker.bootstrap, topic, ["a", "b"])
    group = new_group()
    with RawConnection(broker.bootstrap) as conn:
        tid = topic_id_of(conn, topic)
        set_earliest(broker.bootstrap, group)
        part = [{"topic_id": tid, "partitions": [{"partition_index": 0, "acknowledgement_batches": []}]}]
        # Records are served only in a share group (any member id may fetch in it, as in Kafka).
        assert share_fetch(conn, group, "m1", 0, part)["responses"][0]["partitions"][0]["error_code"] == \
            ErrorCode.UNKNOWN_SERVER_ERROR
        assert heartbeat(conn, group, "m1", 0, [topic])["error_code"] == 0
        assert share_fetch(conn, group, "m1", 5, part)["error_code"] == ErrorCode.INVALID_SHARE_SESSION_EPOCH
        assert share_fetch(conn, group, "m9", 5, part)["error_code"] == ErrorCode.SHARE_SESSION_NOT_FOUND
        first = share_fetch(conn, group, "m1", 0, part)
        assert first["error_code"] == 0 and first["acquisition_lock_timeout_ms"] == 30000
        acquired = first["responses"][0]["partitions"][0]["acquired_records"]
        assert acquired == [{"first_offset": 0, "last_offset": 1, "delivery_count": 1}]
        assert share_fetch(conn, group, "m1", 7, [])["error_code"] == ErrorCode.INVALID_SHARE_SESSION_EPOCH
        # Another member cannot acknowledge m1's records.
        share_fetch(conn, group, "m2", 0, part)
        ack = conn.call(79, 1, {"group_id": group, "member_id": "m2", "share_session_epoch": 1, "topics": [
            {"topic_id": tid, "partitions": [{"partition_index": 0, "acknowledgement_batches": [
                {"first_offset": 0, "last_offset": 0, "acknowledge_types": [1]}]}]}]})
        assert ack["responses"][0]["partitions"][0]["error_code"] == ErrorCode.INVALID_RECORD_STATE
        # m1 accepts offset 0 and releases 1 in its next fetch, and gets 1 again at count 2.
        acks = [{"topic_id": tid, "partitions": [{"partition_index": 0, "acknowledgement_batches": [
            {"first_offset": 0, "last_offset": 1, "acknowledge_types": [1, 2]}]}]}]
        second = share_fetch(conn, group, "m1", 1, acks)
        data = second["responses"][0]["partitions"][0]
        assert data["acknowledge_error_code"] == 0
        assert data["acquired_records"] == [{"first_offset": 1, "last_offset": 1, "delivery_count": 2}]
        assert conn.call(79, 1, {"group_id": group, "member_id": "m1", "share_session_epoch": 0,
                                 "topics": []})["error_code"] == ErrorCode.INVALID_SHARE_SESSION_EPOCH
        unknown = share_fetch(conn, group, "m1", 2, [{"topic_id": b"\x07" * 16, "partitions": [
            {"partition_index": 0, "acknowledgement_batches": []}]}])
        assert unknown["responses"][0]["partitions"][0]["error_code"] == ErrorCode.UNKNOWN_TOPIC_ID
        # group.share.max.share.sessions is 2: m1 and m2 have theirs, a third member is refused
        assert share_fetch(conn, group, "m3", 0, part)["error_code"] == ErrorCode.SHARE_SESSION_LIMIT_REACHED


def set_earliest(bootstrap: str, group: str, **more: str) -> None:
    """The group's configs: share.auto.offset.reset=earliest and `more` (dots as underscores)."""
    configs = {"share.auto.offset.reset": "earliest", **{k.replace("_", "."): v for k, v in more.items()}}
    with RawConnection(bootstrap) as conn:
        answer = conn.call(44, 0, {"resources": [{"resource_type": 32, "resource_name": group, "configs": [
            {"name": name, "config_operation": 0, "value": value} for name, value in configs.items()]}],
            "validate_only": False})
    assert answer["responses"][0]["error_code"] == 0


def test_confluent_kafka_share_consumer(broker):
    topic = unique_topic("share-librdkafka")
    create_topic(broker.bootstrap, topic, 1)
    produce_one_per_batch(broker.bootstrap, topic, ["p", "q", "r"])
    group = new_group()
    set_earliest(broker.bootstrap, group)
    consumer = confluent_kafka.ShareConsumer({"bootstrap.servers": broker.bootstrap, "group.id": group,
                                              "share.acknowledgement.mode": "explicit"})
    seen: list[tuple[str, int]] = []
    accepted: set[str] = set()
    try:
        consumer.subscribe([topic])
        for _ in range(300):
            if len(accepted) == 3:
                break
            for msg in consumer.poll(0.5):
                assert msg.error() is None, msg.error()
                value, count = msg.value().decode(), msg.delivery_count()
                seen.append((value, count))
                release = value == "q" and count == 1
                consumer.acknowledge(msg, confluent_kafka.AcknowledgeType.RELEASE if release
                                     else confluent_kafka.AcknowledgeType.ACCEPT)
                if not release:
                    accepted.add(value)
            consumer.commit_sync()
    finally:
        consumer.close()
    assert sorted(seen) == [("p", 1), ("q", 1), ("q", 2), ("r", 1)]


SHARE_GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ShareGroupCommand"


def share_tool(bootstrap: str, *args: str, expect_rc: int = 0) -> str:
    proc = kd.run_class(SHARE_GROUP_COMMAND, ["--bootstrap-server", bootstrap, *args], timeout=120)
    assert proc.returncode == expect_rc, f"{args}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout if expect_rc == 0 else proc.stdout + proc.stderr


def rows(output: str) -> list[list[str]]:
    """The table rows of a tool's output (no blank lines, no GROUP ... header)."""
    return [line.split() for line in output.splitlines() if line.strip() and not line.startswith("GROUP ")]


def test_kafka_share_groups_tool(broker):
    topic = unique_topic("share-tool")
    create_topic(broker.bootstrap, topic, 1)
    produce_one_per_batch(broker.bootstrap, topic, ["a", "b", "c"])
    group = new_group()
    set_earliest(broker.bootstrap, group)
    with RawConnection(broker.bootstrap) as conn:
        tid = bytes(heartbeat(conn, group, "m1", 0, [topic])["assignment"]["topic_partitions"][0]["topic_id"])
        part = [{"topic_id": tid, "partitions": [{"partition_index": 0, "acknowledgement_batches": []}]}]
        assert share_fetch(conn, group, "m1", 0, part)["responses"][0]["partitions"][0]["acquired_records"]
        conn.call(79, 1, {"group_id": group, "member_id": "m1", "share_session_epoch": 1, "topics": [
            {"topic_id": tid, "partitions": [{"partition_index": 0, "acknowledgement_batches": [
                {"first_offset": 0, "last_offset": 0, "acknowledge_types": [1]}]}]}]})
        assert group in share_tool(broker.bootstrap, "--list").split()
        members = rows(share_tool(broker.bootstrap, "--describe", "--group", group, "--members"))
        assert [(r[0], r[1], r[-1]) for r in members] == [(group, "m1", f"{topic}:0")]
        # SPSO 1 (offset 0 accepted), lag 2 (offsets 1 and 2 are not done)
        assert rows(share_tool(broker.bootstrap, "--describe", "--group", group)) == [[group, topic, "0", "1", "2"]]
        assert "not empty" in share_tool(broker.bootstrap, "--reset-offsets", "--group", group, "--topic", topic,
                                         "--to-latest", "--execute", expect_rc=1)
        assert heartbeat(conn, group, "m1", 1)["error_code"] == 0
        assert heartbeat(conn, group, "m1", -1)["member_epoch"] == -1
    share_tool(broker.bootstrap, "--reset-offsets", "--group", group, "--topic", topic, "--to-latest", "--execute")
    assert rows(share_tool(broker.bootstrap, "--describe", "--group", group)) == [[group, topic, "0", "3", "0"]]
    share_tool(broker.bootstrap, "--delete-offsets", "--group", group, "--topic", topic)
    assert topic not in share_tool(broker.bootstrap, "--describe", "--group", group)
    share_tool(broker.bootstrap, "--delete", "--group", group)
    assert group not in share_tool(broker.bootstrap, "--list").split()


def test_read_committed_share_group_skips_aborted_and_open_transactions(broker):
    topic = unique_topic("share-txn")
    create_topic(broker.bootstrap, topic, 1)
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": new_group()})
    producer.init_transactions(30)
    for values, commit in ((["x1", "x2"], False), (["y1"], True)):
        producer.begin_transaction()
        for value in values:
            producer.produce(topic, value=value.encode(), partition=0)
        producer.flush(30)
        producer.commit_transaction(30) if commit else producer.abort_transaction(30)
    # log: x1 x2 (aborted) | abort marker 2 | y1 3 | commit marker 4
    committed, uncommitted = new_group(), new_group()
    set_earliest(broker.bootstrap, committed, share_isolation_level="read_committed")
    set_earliest(broker.bootstrap, uncommitted)
    with RawConnection(broker.bootstrap) as conn:
        tid = topic_id_of(conn, topic)
        part = [{"topic_id": tid, "partitions": [{"partition_index": 0, "acknowledgement_batches": []}]}]

        def acquired(group: str, member: str, epoch: int) -> list[tuple[int, int]]:
            answer = share_fetch(conn, group, member, epoch, part if epoch == 0 else [])
            return [(a["first_offset"], a["last_offset"]) for t in answer["responses"]
                    for p in t["partitions"] for a in p["acquired_records"]]

        assert heartbeat(conn, uncommitted, "u", 0, [topic])["error_code"] == 0
        assert heartbeat(conn, committed, "c", 0, [topic])["error_code"] == 0
        assert acquired(uncommitted, "u", 0) == [(0, 1), (3, 3)]
        assert acquired(committed, "c", 0) == [(3, 3)]
        producer.begin_transaction()
        producer.produce(topic, value=b"z", partition=0)
        producer.flush(30)
        assert acquired(committed, "c", 1) == []      # z (offset 5) is above the last stable offset
        producer.commit_transaction(30)
        assert acquired(committed, "c", 2) == [(5, 5)]
