"""Fetch sessions (KIP-227) against a real broker process.

Raw protocol (fastlog's codec over a socket, so every field is visible): a session's life from a
full fetch through incremental ones that add, update and forget partitions, the answers carrying
only what changed, the session errors Kafka gives, long polls on a session, and the cache bound.
Real clients read a many-partition topic while it is being written, every record exactly once and
in order; for the clients that use sessions by default (kafka-python, Kafka's Java consumer) the
broker's debug log shows their fetches were incremental and answered partly. librdkafka has no
fetch sessions (it always sends epoch -1), so it covers the sessionless path.
"""
from __future__ import annotations

import re
import threading
import time
from collections import defaultdict

import confluent_kafka
import confluent_kafka.admin
import pytest

from fastlog.testing import BrokerProcess

from clients import (
    RawConnection,
    confluent_producer_config,
    create_topic,
    unique_topic,
    wait_until,
    wait_until_fetchable,
)

FETCH = 1
NONE = 0
FETCH_SESSION_ID_NOT_FOUND = 70
INVALID_FETCH_SESSION_EPOCH = 71
FETCH_SESSION_TOPIC_ID_ERROR = 106
UNKNOWN_TOPIC_OR_PARTITION = 3


def fetch(conn: RawConnection, version: int, topic, partitions: list[tuple[int, int]], session_id: int = 0,
          epoch: int = 0, forgotten: list[int] = (), max_wait_ms: int = 0, min_bytes: int = 0) -> dict:
    """One Fetch; `topic` is the name (v<13) or the id (v13+); partitions are (index, fetch_offset)."""
    body = fetch_body(version, topic, partitions, session_id, epoch, forgotten, max_wait_ms, min_bytes)
    return conn.call(FETCH, version, body)


def fetch_body(version: int, topic, partitions: list[tuple[int, int]], session_id: int = 0, epoch: int = 0,
               forgotten: list[int] = (), max_wait_ms: int = 0, min_bytes: int = 0) -> dict:
    key = "topic_id" if version >= 13 else "topic"
    body = {
        "replica_id": -1, "max_wait_ms": max_wait_ms, "min_bytes": min_bytes, "max_bytes": 1 << 20,
        "isolation_level": 0, "session_id": session_id, "session_epoch": epoch,
        "topics": [{key: topic, "partitions": [
            {"partition": p, "current_leader_epoch": -1, "fetch_offset": o, "last_fetched_epoch": -1,
             "log_start_offset": -1, "partition_max_bytes": 1 << 16} for p, o in partitions]}] if partitions else [],
        "forgotten_topics_data": [{key: topic, "partitions": list(forgotten)}] if forgotten else [],
        "rack_id": "",
    }
    return body


def answered(response: dict) -> dict[int, dict]:
    """partition -> its answer, over all topic entries of a Fetch response."""
    return {p["partition_index"]: p for t in response["responses"] for p in t["partitions"]}


def records_of(part: dict) -> bytes:
    records = part["records"]
    return bytes(records) if records is not None else b""


def produce_to(bootstrap: str, topic: str, partition: int, count: int = 1) -> None:
    producer = confluent_kafka.Producer(confluent_producer_config(bootstrap))
    for n in range(count):
        producer.produce(topic, value=b"v%d" % n, partition=partition)
    assert producer.flush(30) == 0


def topic_id(conn: RawConnection, topic: str) -> bytes:
    meta = conn.call(3, 12, {"topics": [{"topic_id": bytes(16), "name": topic}],
                             "allow_auto_topic_creation": False, "include_topic_authorized_operations": False})
    return meta["topics"][0]["topic_id"]


@pytest.mark.parametrize("version", [12, 13])
def test_session_life_answers_only_what_changed(broker, version):
    name = unique_topic("sess")
    create_topic(broker.bootstrap, name, 3)
    produce_to(broker.bootstrap, name, 0, 2)
    with RawConnection(broker.bootstrap, timeout=30) as conn:
        topic = topic_id(conn, name) if version >= 13 else name
        # full fetch, epoch 0: a new session; every partition answered; partition 0 from its end
        full = fetch(conn, version, topic, [(0, 2), (1, 0), (2, 0)])
        sid = full["session_id"]
        assert full["error_code"] == NONE and sid != 0
        assert sorted(answered(full)) == [0, 1, 2] and answered(full)[0]["high_watermark"] == 2
        # nothing new: an empty incremental answer, with the session's id
        inc = fetch(conn, version, topic, [], sid, 1)
        assert inc["error_code"] == NONE and inc["session_id"] == sid and answered(inc) == {}
        # a record on partition 1: only partition 1 comes back, with it
        produce_to(broker.bootstrap, name, 1)
        inc = fetch(conn, version, topic, [], sid, 2)
        assert sorted(answered(inc)) == [1] and b"v0" in records_of(answered(inc)[1])
        assert answered(inc)[1]["high_watermark"] == 1
        # the client moves partition 1's position past it: nothing new to tell
        inc = fetch(conn, version, topic, [(1, 1)], sid, 3)
        assert answered(inc) == {}
        # session errors: a wrong epoch, an unknown id; neither moves the session's epoch
        bad = fetch(conn, version, topic, [], sid, 7)
        assert (bad["error_code"], bad["session_id"], bad["responses"]) == (INVALID_FETCH_SESSION_EPOCH, 0, [])
        bad = fetch(conn, version, topic, [], sid ^ 0x5A5A, 4)
        assert (bad["error_code"], bad["session_id"]) == (FETCH_SESSION_ID_NOT_FOUND, 0)
        # forget partition 0; records on 0 and 2: only 2 is answered
        inc = fetch(conn, version, topic, [], sid, 4, forgotten=[0])
        assert inc["error_code"] == NONE and answered(inc) == {}
        produce_to(broker.bootstrap, name, 0)
        produce_to(broker.bootstrap, name, 2)
        inc = fetch(conn, version, topic, [], sid, 5)
        assert sorted(answered(inc)) == [2]
        # re-adding partition 0 answers it (new to the session), with the record it missed
        inc = fetch(conn, version, topic, [(0, 2), (2, 1)], sid, 6)
        assert sorted(answered(inc)) == [0] and answered(inc)[0]["high_watermark"] == 3
        # the other kind of request (topic names vs topic ids) may not use this session
        other = 13 if version == 12 else 12
        other_topic = name if other == 12 else topic_id(conn, name)
        bad = fetch(conn, other, other_topic, [], sid, 7)
        assert bad["error_code"] == FETCH_SESSION_TOPIC_ID_ERROR
        # FINAL_EPOCH closes it (a sessionless answer, every partition asked)
        last = fetch(conn, version, topic, [(0, 0)], sid, -1)
        assert last["error_code"] == NONE and last["session_id"] == 0 and sorted(answered(last)) == [0]
        gone = fetch(conn, version, topic, [], sid, 7)
        assert gone["error_code"] == FETCH_SESSION_ID_NOT_FOUND


def test_session_tells_moves_without_records_and_errors(broker):
    """Beside records, an incremental answer carries a partition whose log start offset moved
    (DeleteRecords) and, every time, one with an error (its topic deleted); the session's idle
    partitions stay out."""
    name = unique_topic("sess-moves")
    create_topic(broker.bootstrap, name, 3)
    for partition in range(3):
        produce_to(broker.bootstrap, name, partition, 3)
    with RawConnection(broker.bootstrap, timeout=30) as conn:
        sid = fetch(conn, 12, name, [(p, 3) for p in range(3)])["session_id"]
        assert sid != 0 and answered(fetch(conn, 12, name, [], sid, 1)) == {}
        deleted = conn.call(21, 2, {"topics": [{"name": name, "partitions": [{"partition_index": 1, "offset": 2}]}],
                                    "timeout_ms": 30_000})
        assert deleted["topics"][0]["partitions"][0]["error_code"] == NONE
        moved = answered(fetch(conn, 12, name, [], sid, 2))
        assert sorted(moved) == [1] and moved[1]["log_start_offset"] == 2 and records_of(moved[1]) == b""
        assert answered(fetch(conn, 12, name, [], sid, 3)) == {}
        admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.delete_topics([name])[name].result(30)
        for epoch in (4, 5):  # an error is told every time
            gone = answered(fetch(conn, 12, name, [], sid, epoch))
            assert sorted(gone) == [0, 1, 2]
            assert {p["error_code"] for p in gone.values()} == {UNKNOWN_TOPIC_OR_PARTITION}


def _topic_runs(response: dict) -> list[tuple[str, list[int]]]:
    return [(t["topic"], [p["partition_index"] for p in t["partitions"]]) for t in response["responses"]]


@pytest.mark.parametrize("target", ["fastlog", "kafka"])
def test_incremental_answer_groups_topics_as_kafka(request, target):
    """A session ordered a-0, b-0, a-1 (a topic asked twice, apart): when only a's partitions have
    records, the incremental answer has one entry for a with both, as Kafka 4.4.0 answers (an
    answer's consecutive partitions of one topic share an entry)."""
    server = request.getfixturevalue("broker" if target == "fastlog" else "kafka_reference")
    a, b = unique_topic("sess-a"), unique_topic("sess-b")
    create_topic(server.bootstrap, a, 2)
    create_topic(server.bootstrap, b, 1)

    def entry(topic, partition):
        return {"topic": topic, "partitions": [
            {"partition": partition, "current_leader_epoch": -1, "fetch_offset": 0, "last_fetched_epoch": -1,
             "log_start_offset": -1, "partition_max_bytes": 1 << 16}]}
    body = {"replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20, "isolation_level": 0,
            "session_id": 0, "session_epoch": 0, "topics": [entry(a, 0), entry(b, 0), entry(a, 1)],
            "forgotten_topics_data": [], "rack_id": ""}
    wait_until_fetchable(server.bootstrap, a, 2)
    wait_until_fetchable(server.bootstrap, b, 1)
    with RawConnection(server.bootstrap, timeout=30) as conn:
        full = conn.call(FETCH, 12, body)
        sid = full["session_id"]
        assert full["error_code"] == NONE and sid != 0 and _topic_runs(full) == [(a, [0]), (b, [0]), (a, [1])]
        produce_to(server.bootstrap, a, 0)
        produce_to(server.bootstrap, a, 1)
        inc = fetch(conn, 12, a, [], sid, 1)
    assert inc["error_code"] == NONE and _topic_runs(inc) == [(a, [0, 1])]


def test_session_is_not_tied_to_its_connection(broker):
    name = unique_topic("sess-conn")
    create_topic(broker.bootstrap, name, 2)
    with RawConnection(broker.bootstrap, timeout=30) as first:
        sid = fetch(first, 12, name, [(0, 0), (1, 0)])["session_id"]
    assert sid != 0
    produce_to(broker.bootstrap, name, 1)
    with RawConnection(broker.bootstrap, timeout=30, client_id="someone-else") as second:
        inc = fetch(second, 12, name, [], sid, 1)
    assert inc["error_code"] == NONE and inc["session_id"] == sid and sorted(answered(inc)) == [1]


def test_incremental_fetch_with_nothing_new_long_polls(broker):
    name = unique_topic("sess-poll")
    create_topic(broker.bootstrap, name, 4)
    with RawConnection(broker.bootstrap, timeout=60) as conn:
        sid = fetch(conn, 12, name, [(p, 0) for p in range(4)])["session_id"]
        assert sid != 0
        # nothing new and min_bytes 1: the fetch waits until a record arrives on partition 3
        writer = threading.Timer(0.5, produce_to, (broker.bootstrap, name, 3))
        writer.start()
        try:
            inc = fetch(conn, 12, name, [], sid, 1, max_wait_ms=30_000, min_bytes=1)
        finally:
            writer.join()
        assert inc["error_code"] == NONE and sorted(answered(inc)) == [3]
        assert b"v0" in records_of(answered(inc)[3])


def test_fetch_overtaken_while_it_waited_gets_an_epoch_error(broker):
    """A long poll on epoch 1 whose session moved on (epoch 2 from elsewhere, e.g. a client's
    retry) is answered INVALID_FETCH_SESSION_EPOCH with the session's id, as Kafka answers a
    duplicate request."""
    name = unique_topic("sess-dup")
    create_topic(broker.bootstrap, name, 2)
    with RawConnection(broker.bootstrap, timeout=60) as waiting, RawConnection(broker.bootstrap, timeout=60) as other:
        sid = fetch(waiting, 12, name, [(0, 0), (1, 0)])["session_id"]
        assert sid != 0
        parked = waiting.send_dict(FETCH, 12, fetch_body(12, name, [], sid, 1, max_wait_ms=60_000, min_bytes=1))
        # epoch 2 is accepted only once the parked epoch-1 fetch has been taken in
        assert wait_until(lambda: fetch(other, 12, name, [], sid, 2)["error_code"] == NONE, 30)
        produce_to(broker.bootstrap, name, 0)  # ends the long poll
        late = waiting.recv_dict(FETCH, 12, parked)
        assert (late["error_code"], late["session_id"], late["responses"]) == (INVALID_FETCH_SESSION_EPOCH, sid, [])
        # the session goes on at epoch 3, and still has the record to tell
        assert sorted(answered(fetch(other, 12, name, [], sid, 3))) == [0]


def test_cache_slots_bound_the_sessions(broker_factory):
    broker = broker_factory({"max.incremental.fetch.session.cache.slots": 1})
    name = unique_topic("sess-slots")
    create_topic(broker.bootstrap, name, 1)
    with RawConnection(broker.bootstrap, timeout=30) as conn:
        first = fetch(conn, 12, name, [(0, 0)])["session_id"]
        assert first != 0
        # full: the only session is young and in use, so it may not be evicted: no session
        refused = fetch(conn, 12, name, [(0, 0)])
        assert refused["error_code"] == NONE and refused["session_id"] == 0 and sorted(answered(refused)) == [0]
        assert fetch(conn, 12, name, [], first, 1)["error_code"] == NONE
        # a full fetch naming its own session closes it, which frees the slot for the new one
        again = fetch(conn, 12, name, [(0, 0)], first, 0)["session_id"]
        assert again not in (0, first)
        assert fetch(conn, 12, name, [], first, 2)["error_code"] == FETCH_SESSION_ID_NOT_FOUND


# --- real clients --------------------------------------------------------------------------

PARTITIONS = 200
BACKLOG = 3000  # records written before the consumer starts
LIVE = 1000  # records written while it reads, on a few partitions at a time


class DebugBroker(BrokerProcess):
    """A broker logging at DEBUG, so the test can read its fetch session lines."""

    def command(self) -> list[str]:
        return super().command() + ["--log-level", "DEBUG"]


@pytest.fixture
def debug_broker(tmp_path):
    proc = DebugBroker(data_dir=str(tmp_path / "broker")).start()
    yield proc
    if proc.alive():
        proc.stop()
    proc.cleanup()


def write(bootstrap: str, topic: str, start: int, count: int, partitions: list[int]) -> None:
    """Records "partition:seq" with seq counting per partition from `start`, round robin."""
    producer = confluent_kafka.Producer(confluent_producer_config(bootstrap, **{"linger.ms": 2}))
    for n in range(count):
        p = partitions[n % len(partitions)]
        producer.produce(topic, value=b"%d:%d" % (p, start + n // len(partitions)), partition=p)
        if n % 500 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0


def read_confluent(bootstrap: str, topic: str, total: int, out: list, timeout: float = 180) -> None:
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": "sess-" + topic, "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100})
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        deadline = time.monotonic() + timeout
        while len(out) < total and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=5000, timeout=0.5):
                assert msg.error() is None, msg.error()
                out.append((msg.partition(), msg.offset(), msg.value()))
    finally:
        consumer.close()


def read_kafka_python(bootstrap: str, topic: str, total: int, out: list, timeout: float = 180) -> None:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", fetch_max_wait_ms=100)
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout
        while len(out) < total and time.monotonic() < deadline:
            for tp, msgs in consumer.poll(timeout_ms=500, max_records=5000).items():
                out.extend((tp.partition, m.offset, m.value) for m in msgs)
    finally:
        consumer.close()


def assert_exactly_once_in_order(got: list, total: int) -> None:
    assert len(got) == total, f"{len(got)} records, expected {total}"
    by_partition = defaultdict(list)
    for partition, offset, value in got:
        by_partition[partition].append((offset, value))
    for partition, seen in by_partition.items():
        assert [o for o, _ in seen] == list(range(len(seen))), f"partition {partition}: offsets not 0,1,2,..."
        assert [v for _, v in seen] == [b"%d:%d" % (partition, n) for n in range(len(seen))], partition


def session_lines(broker: BrokerProcess) -> list[tuple[int, int]]:
    """(partitions in the session, partitions sent) of every incremental fetch in the log."""
    with open(broker.log_file, encoding="utf-8") as f:
        text = f.read()
    return [(int(a), int(b)) for a, b in re.findall(r"incremental, (\d+) partitions, (\d+) sent", text)]


# librdkafka (confluent-kafka) does not implement KIP-227: its fetches say epoch -1 (no session), so
# for it this is the sessionless path on the same workload.
@pytest.mark.parametrize("reader,uses_sessions", [(read_confluent, False), (read_kafka_python, True)],
                         ids=["confluent", "kafka-python"])
def test_client_reads_many_partitions_exactly_once(debug_broker, reader, uses_sessions):
    topic = unique_topic("sess-many")
    create_topic(debug_broker.bootstrap, topic, PARTITIONS)
    all_partitions = list(range(PARTITIONS))
    write(debug_broker.bootstrap, topic, 0, BACKLOG, all_partitions)
    got: list = []
    thread = threading.Thread(target=reader, args=(debug_broker.bootstrap, topic, BACKLOG + LIVE, got))
    thread.start()
    try:
        assert wait_until(lambda: len(got) >= BACKLOG, 120)
        # while it reads: records to a few partitions at a time (ten disjoint sets), so answers are partial
        for k in range(10):
            write(debug_broker.bootstrap, topic, BACKLOG // PARTITIONS, LIVE // 10, all_partitions[k * 7::37])
    finally:
        thread.join()
    assert_exactly_once_in_order(got, BACKLOG + LIVE)
    lines = session_lines(debug_broker)
    if not uses_sessions:
        assert lines == []
        return
    assert lines, "no incremental fetch reached the broker"
    assert any(size == PARTITIONS and sent < PARTITIONS for size, sent in lines), lines[-20:]


def test_java_consumer_reads_many_partitions_exactly_once_with_sessions(debug_broker):
    from fastlog import kafka_dist as kd

    topic = unique_topic("sess-java")
    create_topic(debug_broker.bootstrap, topic, PARTITIONS)
    all_partitions = list(range(PARTITIONS))
    write(debug_broker.bootstrap, topic, 0, BACKLOG, all_partitions)
    result: list = []

    def console_consumer() -> None:  # a group member (consumer protocol), from the beginning
        result.append(kd.run_class(kd.CONSOLE_CONSUMER, [
            "--bootstrap-server", debug_broker.bootstrap, "--topic", topic, "--group", "sess-" + topic,
            "--from-beginning", "--max-messages", str(BACKLOG + LIVE), "--timeout-ms", "60000",
            "--formatter-property", "print.partition=true", "--formatter-property", "print.offset=true",
            "--consumer-property", "fetch.max.wait.ms=100"], timeout=300))

    thread = threading.Thread(target=console_consumer)
    thread.start()
    try:
        # once its session is in use, write to a few partitions at a time
        assert wait_until(lambda: len(session_lines(debug_broker)) > 0, 120), "no incremental fetch"
        for k in range(10):
            write(debug_broker.bootstrap, topic, BACKLOG // PARTITIONS, LIVE // 10, all_partitions[k * 7::37])
    finally:
        thread.join()
    [proc] = result
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = []
    for line in proc.stdout.splitlines():
        found = re.match(r"Partition:(\d+)\s+Offset:(\d+)\s+(\S+)$", line)
        if found:
            got.append((int(found[1]), int(found[2]), found[3].encode()))
    assert_exactly_once_in_order(got, BACKLOG + LIVE)
    assert any(size == PARTITIONS and sent < PARTITIONS for size, sent in session_lines(debug_broker))
