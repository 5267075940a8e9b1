"""Committed offsets and group metadata survive a broker restart, clean (SIGTERM) and crash
(SIGKILL): consumers resume exactly at the committed offsets, and a member that stays up through
the crash keeps its generation and assignment (no rebalance needed)."""
from __future__ import annotations

import time
import uuid

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 6
PER_PARTITION = 100



def setup_topic(bootstrap: str) -> str:
    topic = f"rs-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, PARTITIONS, 1)]).values():
        f.result(30)
    produce(bootstrap, topic, 0)
    return topic


def produce(bootstrap: str, topic: str, start: int) -> None:
    p = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(start, start + PARTITIONS * PER_PARTITION):
        p.produce(topic, value=str(i).encode(), partition=i % PARTITIONS)
    assert p.flush(30) == 0


def consumer(bootstrap: str, group: str) -> ck.Consumer:
    return ck.Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
        # Reconnect quickly to the restarted broker.
        "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500,
    })


def consume(c: ck.Consumer, until, timeout: float = 60) -> list[tuple[int, int]]:
    """Poll, process, commit each batch synchronously; until(consumed) says when to stop."""
    got: list[tuple[int, int]] = []
    deadline = time.monotonic() + timeout
    while not until(got):
        assert time.monotonic() < deadline, f"consumed only {len(got)} records"
        msgs = [m for m in c.consume(num_messages=50, timeout=0.5) if m.error() is None]
        if msgs:
            got += [(m.partition(), m.offset()) for m in msgs]
            c.commit(asynchronous=False)
    return got


def committed(bootstrap: str, topic: str, group: str) -> dict[int, int]:
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        return {tp.partition: tp.offset for tp in
                c.committed([ck.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=15)}
    finally:
        c.close()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("clean", [True, False], ids=["sigterm", "sigkill"])
def test_consumers_resume_from_committed_offsets(broker, clean):
    topic, group = setup_topic(broker.bootstrap), f"g-{uuid.uuid4().hex[:8]}"
    a = consumer(broker.bootstrap, group)
    a.subscribe([topic])
    first = consume(a, lambda got: len(got) >= 250)
    a.close()
    before = committed(broker.bootstrap, topic, group)
    expected = {p: max((o + 1 for q, o in first if q == p), default=-1001) for p in range(PARTITIONS)}
    assert before == expected

    broker.restart(clean=clean)
    assert committed(broker.bootstrap, topic, group) == before

    b = consumer(broker.bootstrap, group)
    b.subscribe([topic])
    rest = consume(b, lambda got: len(first) + len(got) >= PARTITIONS * PER_PARTITION)
    b.close()
    # Resumed exactly at the committed offsets: nothing read twice, nothing skipped.
    firsts = {}
    for p, o in rest:
        firsts.setdefault(p, o)
    for p, o in firsts.items():
        assert o == (before[p] if before[p] >= 0 else 0), (p, o, before[p])
    assert sorted(first + rest) == sorted((p, o) for p in range(PARTITIONS) for o in range(PER_PARTITION))


@pytest.mark.timeout(180)
def test_live_member_keeps_generation_through_a_crash(broker):
    """The coordinator rebuilds the Stable group from the log: a member that lives through a
    kill -9 of the broker just goes on heartbeating and committing in its generation."""
    topic, group = setup_topic(broker.bootstrap), f"g-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    a = consumer(broker.bootstrap, group)
    a.subscribe([topic])
    first = consume(a, lambda got: len(got) >= PARTITIONS * PER_PARTITION)
    described = admin.describe_consumer_groups([group])[group].result(30)
    member_id = described.members[0].member_id

    broker.restart(clean=False)
    produce(broker.bootstrap, topic, PARTITIONS * PER_PARTITION)
    rest = consume(a, lambda got: len(got) >= PARTITIONS * PER_PARTITION, timeout=90)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    after = admin.describe_consumer_groups([group])[group].result(30)
    assert [m.member_id for m in after.members] == [member_id]
    assert str(after.state).upper().endswith("STABLE")
    a.close()
    everything = sorted((p, o) for p in range(PARTITIONS) for o in range(2 * PER_PARTITION))
    assert sorted(first + rest) == everything
