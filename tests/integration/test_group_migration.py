"""Online migration of a live group between the classic and the consumer protocol (KIP-848's
upgrade and downgrade, docs/groups.md): a rolling restart of confluent-kafka members from
`group.protocol=classic` to `group.protocol=consumer` while a producer writes, and back.

Members run as child processes of this file (`python test_group_migration.py member ...`) and
write the journal of test_groups_clients.py (exact accounting: every record has exactly one
committed processing) plus an ownership log: `A|R <partition> <CLOCK_MONOTONIC ns>` at each
assignment/revocation callback. The clock is the machine's, so the logs of all members merge
into one timeline: no partition may be held by two members at once. (A member logs A after the
broker gave it the partition and R before it gives it back, so a real overlap always shows.)
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_groups_clients import PARTITIONS, Journal, MemberProcess, Producer, consume_and_commit  # noqa: E402


def member_main(protocol: str, bootstrap: str, topic: str, group: str, journal_path: str, own_path: str,
                strategy: str) -> None:
    import confluent_kafka as ck
    journal = Journal(journal_path)
    own = open(own_path, "a", buffering=1, encoding="utf-8")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def log_own(kind: str, tps) -> None:
        now = time.monotonic_ns()
        own.write("".join(f"{kind} {tp.partition} {now}\n" for tp in tps))
        own.flush()

    def on_assign(c, tps):
        log_own("A", tps)
        journal.assigned(tp.partition for tp in tps)

    def on_revoke(c, tps):
        journal.revoked(tp.partition for tp in tps)
        log_own("R", tps)

    settings = {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                "auto.offset.reset": "earliest", "client.id": f"{protocol}-{os.getpid()}",
                "group.protocol": protocol, "topic.metadata.refresh.interval.ms": 1000}
    if protocol == "classic":
        settings.update({"session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                         "partition.assignment.strategy": strategy})
    consumer = ck.Consumer(settings)
    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
    consume_and_commit(consumer, topic, journal, stop)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "member":
    member_main(*sys.argv[2:])
    sys.exit(0)


import uuid  # noqa: E402

import pytest  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402
from test_consumer_protocol import FAST, create_topic, finish_and_check, wait_until  # noqa: E402
from test_consumer_protocol_vs_kafka import _setup, heartbeat  # noqa: E402
from test_group_migration_vs_kafka import DESCRIBE_GROUPS, beat, join, join_new, listed, partitions, sync  # noqa: E402

from fastlog.coordinator.consumer_protocol import encode_assignment  # noqa: E402

from clients import RawConnection  # noqa: E402


class Member(MemberProcess):
    def __init__(self, name: str, protocol: str, bootstrap: str, topic: str, group: str, tmp_path,
                 strategy: str = "range") -> None:
        super().__init__(name, tmp_path, f"{name} ({protocol})")
        self.protocol = protocol
        self.own = str(tmp_path / f"{name}.own")
        self.start([__file__, "member", protocol, bootstrap, topic, group, self.journal, self.own, strategy])

    def ownership(self) -> list[tuple[int, str, int]]:
        """(ns, A|R, partition), from the member's ownership log."""
        try:
            with open(self.own, encoding="utf-8") as f:
                return [(int(t), k, int(p)) for k, p, t in (line.split() for line in f if line.strip())]
        except FileNotFoundError:
            return []

    def holds(self) -> set[int]:
        held: set[int] = set()
        for _, kind, p in sorted(self.ownership()):
            (held.add if kind == "A" else held.discard)(p)
        return held


def check_exclusive_ownership(members: list[Member]) -> int:
    """No partition held by two members at the same moment; returns the number of hand-overs."""
    events = sorted((t, kind, p, m.name) for m in members for t, kind, p in m.ownership())
    holder: dict[int, str] = {}
    handovers = 0
    for t, kind, p, name in events:
        if kind == "A":
            assert p not in holder or holder[p] == name, \
                f"partition {p} assigned to {name} while {holder[p]} still held it (t={t})"
            if p not in holder:
                handovers += 1
            holder[p] = name
        elif holder.get(p) == name:
            del holder[p]
    return handovers


def group_type_and_state(bootstrap: str, group: str) -> tuple[str, str, str]:
    """(type from ListGroups, type from DescribeGroups/ConsumerGroupDescribe, state)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    listed = {g.group_id: g for g in admin.list_consumer_groups().result(30).valid}
    described = admin.describe_consumer_groups([group])[group].result(30)
    return listed[group].type.name, described.type.name, described.state.name


def member_types(bootstrap: str, group: str) -> list[int]:
    """ConsumerGroupDescribe v1's member_type of each member, sorted (0 classic, 1 consumer)."""
    with RawConnection(bootstrap, timeout=30) as c:
        d = c.call(69, 1, {"group_ids": [group], "include_authorized_operations": False})["groups"][0]
    return sorted(m["member_type"] for m in d["members"])


def wait_all_partitions_held(members: list[Member], what: str) -> None:
    def covered() -> bool:
        held = [m.holds() for m in members]
        return set().union(*held) == set(range(PARTITIONS)) and all(held)
    wait_until(covered, 90, what)


def restart(members: list[Member], i: int, protocol: str, bootstrap: str, topic: str, group: str, tmp_path,
            alive: list[Member]) -> Member:
    """Stop member i (it leaves), start its replacement with `protocol`; wait until it consumes."""
    old = alive[i]
    old.leave()
    new = Member(f"{old.name.split('.')[0]}.{len(members)}", protocol, bootstrap, topic, group, tmp_path)
    members.append(new)
    alive[i] = new
    seen = len(new.consumed())
    wait_until(lambda: len(new.consumed()) > seen, 90, f"{new.label} consuming")
    wait_all_partitions_held(alive, f"every partition held after restarting {old.label} as {new.label}")
    return new


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_rolling_upgrade_then_downgrade(broker_factory, tmp_path, strategy):
    """Three classic members (eager `range` or `cooperative-sticky`) restarted one by one with
    group.protocol=consumer while a producer writes: the group turns into a consumer group at
    the first restart and keeps its classic members until they are gone; then restarted back to
    classic one by one: when the last consumer-protocol member leaves, the group is classic again."""
    broker = broker_factory({**FAST, "group.consumer.migration.policy": "bidirectional"})
    topic, group = f"mig-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(broker.bootstrap, topic)
    producer = Producer(broker.bootstrap, topic, rate=200.0)
    producer.start()
    members: list[Member] = []
    try:
        alive = [Member(f"m{i}", "classic", broker.bootstrap, topic, group, tmp_path, strategy) for i in range(3)]
        members += alive
        wait_until(lambda: all(m.consumed() for m in alive), 90, "three classic members consuming")
        wait_all_partitions_held(alive, "the classic group to assign every partition")
        assert group_type_and_state(broker.bootstrap, group)[:2] == ("CLASSIC", "CLASSIC")

        for i in range(3):
            restart(members, i, "consumer", broker.bootstrap, topic, group, tmp_path, alive)
            kinds = group_type_and_state(broker.bootstrap, group)
            assert kinds[:2] == ("CONSUMER", "CONSUMER"), f"after restart {i + 1}: {kinds}"
            # The classic members not restarted yet are still in the group, as classic members.
            assert member_types(broker.bootstrap, group) == [0] * (2 - i) + [1] * (i + 1)
        wait_until(lambda: group_type_and_state(broker.bootstrap, group)[2] == "STABLE", 60,
                   "the consumer group to be Stable")

        for i in range(3):
            restart(members, i, "classic", broker.bootstrap, topic, group, tmp_path, alive)
            expected = "CLASSIC" if i == 2 else "CONSUMER"
            kinds = group_type_and_state(broker.bootstrap, group)
            assert kinds[:2] == (expected, expected), f"after downgrade restart {i + 1}: {kinds}"
            if i < 2:
                assert member_types(broker.bootstrap, group) == [0] * (i + 1) + [1] * (2 - i)
        wait_until(lambda: group_type_and_state(broker.bootstrap, group)[2] == "STABLE", 60,
                   "the classic group to be Stable")

        stats = finish_and_check(broker.bootstrap, topic, group, producer, members, alive)
        handovers = check_exclusive_ownership(members)
        print(f"\nrolling upgrade+downgrade ({strategy}): {stats}, {handovers} partition hand-overs")
    finally:
        producer.stop_event.set()
        for m in members:
            m.cleanup()


@pytest.mark.parametrize("policy,max_size,upgrades,downgrades", [
    ("downgrade", 10, False, True), ("upgrade", 10, True, False), ("bidirectional", 1, False, True),
    ("disabled", 10, False, False)])
def test_policy_and_size_limits(broker_factory, policy, max_size, upgrades, downgrades):
    """Raw requests: `group.consumer.migration.policy` decides which conversions of live groups
    happen, and a classic group larger than `group.consumer.max.size` is not upgraded (Kafka:
    GROUP_ID_NOT_FOUND). A downgrade needs the classic members to fit `group.max.size`."""
    broker = broker_factory({"group.consumer.migration.policy": policy, "group.consumer.max.size": max_size,
                             "group.initial.rebalance.delay.ms": 0})
    group = f"g-{uuid.uuid4().hex[:8]}"
    topic = _setup(broker.bootstrap)
    with RawConnection(broker.bootstrap, timeout=30) as c:
        c1, r = join_new(c, group)
        gen = r["generation_id"]
        assert sync(c, group, c1, gen, {c1: encode_assignment({topic: [0, 1, 2, 3]})})["error_code"] == 0
        if max_size == 1:  # a second classic member: two members do not fit a consumer group of 1
            with RawConnection(broker.bootstrap, timeout=30) as other:
                c2 = join(other, group, "")["member_id"]
                # c2's JoinGroup waits for the rebalance it starts, until c1 rejoins.
                second = threading.Thread(target=join, args=(other, group, c2))
                second.start()
                time.sleep(0.5)
                r = join(c, group, c1)
                second.join(30)
                gen = r["generation_id"]
                assert sync(c, group, c1, gen, {c1: encode_assignment({topic: [0, 1]}),
                                                c2: encode_assignment({topic: [2, 3]})})["error_code"] == 0
        r = heartbeat(c, group, "member-m", 0, subscribed_topic_names=[topic])
        if not upgrades:
            assert r["error_code"] == 69, r  # GROUP_ID_NOT_FOUND
            assert listed(c, group)[0] == "classic"
            assert beat(c, group, c1, gen) == 0
            return
        assert r["error_code"] == 0 and listed(c, group)[0] == "consumer"
        assert beat(c, group, c1, gen) == 27  # REBALANCE_IN_PROGRESS
        r = heartbeat(c, group, "member-m", -1)
        assert r["error_code"] == 0
        assert listed(c, group)[0] == ("classic" if downgrades else "consumer")


def test_migrating_group_survives_restarts(broker_factory):
    """The conversion records replay: a consumer group holding a classic member comes back after a
    crash (SIGKILL) with the member still classic (its generation, session and partitions), and
    the classic group a downgrade wrote comes back classic."""
    broker = broker_factory({"group.initial.rebalance.delay.ms": 0})
    group = f"g-{uuid.uuid4().hex[:8]}"
    topic = _setup(broker.bootstrap)
    with RawConnection(broker.bootstrap, timeout=30) as c:
        c1, r = join_new(c, group)
        assert sync(c, group, c1, r["generation_id"], {c1: encode_assignment({topic: [0, 1, 2, 3]})})["error_code"] == 0
        m = heartbeat(c, group, "member-m", 0, subscribed_topic_names=[topic])
        assert m["error_code"] == 0
        r = join(c, group, c1)
        gen = r["generation_id"]
        assert sync(c, group, c1, gen)["error_code"] == 0
    broker.restart(clean=False)
    with RawConnection(broker.bootstrap, timeout=30) as c:
        assert beat(c, group, c1, gen) == 0
        assert listed(c, group)[0] == "consumer"
        d = c.call(69, 1, {"group_ids": [group], "include_authorized_operations": False})["groups"][0]
        members = {x["member_id"]: x for x in d["members"]}
        assert members[c1]["member_type"] == 0 and members["member-m"]["member_type"] == 1
        assert members[c1]["member_epoch"] == gen
        assert sum(len(t["partitions"]) for t in members[c1]["assignment"]["topic_partitions"]) == 2
        assert heartbeat(c, group, "member-m", -1)["error_code"] == 0
        assert listed(c, group)[0] == "classic"
    broker.restart(clean=False)
    with RawConnection(broker.bootstrap, timeout=30) as c:
        assert listed(c, group)[:2] == ("classic", "consumer")
        d = c.call(DESCRIBE_GROUPS, 5, {"groups": [group], "include_authorized_operations": False})["groups"][0]
        assert [x["member_id"] for x in d["members"]] == [c1]
        assert d["protocol_data"] == "range"
        # Its assignment is what the consumer group's target gave it: the two partitions it kept.
        assert len(partitions(d["members"][0]["member_assignment"])) == 2
