"""KIP-848 consumer groups (`group.protocol=consumer`) with real clients: confluent-kafka
(librdkafka) members joining, leaving and killed while a producer writes, with the exact
accounting of test_groups_clients.py; regex subscriptions; static members; a restart; the Java
consumer and kafka-consumer-groups; classic and consumer groups side by side.

Members run as child processes of this file (`python test_consumer_protocol.py member ...`) so
they can be SIGKILLed; each writes the journal test_groups_clients.py defines.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_groups_clients import PARTITIONS, Journal, MemberProcess, Producer, _positions, check_accounting  # noqa: E402


def member_main(bootstrap: str, topic: str, group: str, journal_path: str, instance_id: str = "") -> None:
    """A confluent-kafka consumer of the consumer protocol; `topic` starting with ^ is a regex."""
    import confluent_kafka as ck
    journal = Journal(journal_path)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    consumer = ck.Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer",
        "enable.auto.commit": False, "auto.offset.reset": "earliest", "client.id": f"kip848-{os.getpid()}",
        "topic.metadata.refresh.interval.ms": 1000,
        **({"group.instance.id": instance_id} if instance_id else {}),
    })
    consumer.subscribe([topic], on_assign=lambda c, tps: journal.assigned(tp.partition for tp in tps),
                       on_revoke=lambda c, tps: journal.revoked(tp.partition for tp in tps),
                       on_lost=lambda c, tps: journal.revoked(tp.partition for tp in tps))
    while not stop.is_set():
        msgs = consumer.consume(num_messages=500, timeout=0.2)
        got = [m for m in msgs if m.error() is None]
        if not got:
            continue
        # One topic per journal: the accounting keys by partition.
        batch = [(m.partition(), m.offset()) for m in got]
        journal.consumed(batch)
        positions = journal.committing(_positions(batch))
        try:
            consumer.commit(offsets=[ck.TopicPartition(got[0].topic(), p, n) for p, n in positions.items()],
                            asynchronous=False)
            journal.committed(positions, True)
        except ck.KafkaException:
            journal.committed(positions, False)
    consumer.close()


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "member":
    member_main(*sys.argv[2:])
    sys.exit(0)


import confluent_kafka as ck  # noqa: E402
import pytest  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from fastlog import kafka_dist as kd  # noqa: E402

SESSION_MS = 6000
# Short sessions and heartbeats so that a killed member is noticed within seconds.
FAST = {"group.consumer.min.session.timeout.ms": 3000, "group.consumer.session.timeout.ms": SESSION_MS,
        "group.consumer.min.heartbeat.interval.ms": 500, "group.consumer.heartbeat.interval.ms": 500}


class Member(MemberProcess):
    """A confluent-kafka member of the consumer protocol, run by this file (member_main)."""

    def __init__(self, name: str, bootstrap: str, topic: str, group: str, tmp_path, instance_id: str = "") -> None:
        super().__init__(name, tmp_path)
        self.start([__file__, "member", bootstrap, topic, group, self.journal, instance_id])


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def create_topic(bootstrap: str, topic: str, partitions: int = PARTITIONS) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(30)


def describe(bootstrap: str, group: str):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    return admin.describe_consumer_groups([group])[group].result(30)


def assignments(bootstrap: str, group: str) -> dict[str, set[int]]:
    """client id -> partitions, from ConsumerGroupDescribe (the admin client's first choice)."""
    d = describe(bootstrap, group)
    return {m.client_id: {tp.partition for tp in m.assignment.topic_partitions} for m in d.members}


def committed_offsets(bootstrap: str, topic: str, group: str, partitions: int = PARTITIONS) -> dict[int, int]:
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        parts = consumer.committed([ck.TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in parts}
    finally:
        consumer.close()


def finish_and_check(bootstrap: str, topic: str, group: str, producer: Producer, members: list[Member],
                     alive: list[Member]) -> dict:
    producer.finish()
    assert not producer.errors, producer.errors[:3]
    acked = set(producer.acked)
    ends: dict[int, int] = defaultdict(int)
    for p, o in acked:
        ends[p] = max(ends[p], o + 1)
    wait_until(lambda: committed_offsets(bootstrap, topic, group) == dict(ends), 90,
               "the group to commit every record")
    for m in alive:
        m.leave()
    return check_accounting(members, acked)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_confluent_members_join_leave_and_kill(broker_factory, tmp_path):
    """4 consumer-protocol members come and go while a producer writes; one leaves, one is
    SIGKILLed (its partitions move after the session timeout). Every record is processed; a
    record is processed twice only in the window of a revocation or the kill."""
    broker = broker_factory(FAST)
    topic, group = f"k848-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(broker.bootstrap, topic)
    producer = Producer(broker.bootstrap, topic)
    producer.start()
    members: list[Member] = []
    try:
        def start(name):
            m = Member(name, broker.bootstrap, topic, group, tmp_path)
            members.append(m)
            return m

        m1, m2, m3 = start("m1"), start("m2"), start("m3")
        wait_until(lambda: all(m.consumed() for m in (m1, m2, m3)), 60, "three members consuming")
        wait_until(lambda: sorted(len(p) for p in assignments(broker.bootstrap, group).values()) == [2, 2, 2], 30,
                   "the uniform assignor to give each of three members two partitions")
        m4 = start("m4")
        wait_until(lambda: bool(m4.consumed()), 60, "the fourth member consuming")
        m2.leave()
        wait_until(lambda: sorted(len(p) for p in assignments(broker.bootstrap, group).values()) == [2, 2, 2], 30,
                   "three members again after one left")
        held = assignments(broker.bootstrap, group)[f"kip848-{m3.proc.pid}"]
        killed_at = time.monotonic()
        m3.kill()
        others = [m1, m4]
        seen = {m.name: len(m.consumed()) for m in others}
        wait_until(lambda: any(p in held for m in others for p, _ in m.consumed()[seen[m.name]:]), 60,
                   "the killed member's partitions to move")
        moved_after = time.monotonic() - killed_at
        assert moved_after >= SESSION_MS / 1000 - 1.5, f"moved after {moved_after:.1f}s, before the session ended"
        time.sleep(1)
        stats = finish_and_check(broker.bootstrap, topic, group, producer, members, others)
        print(f"\nconsumer protocol churn: {stats}, killed member's partitions moved after {moved_after:.1f}s")
    finally:
        producer.stop_event.set()
        for m in members:
            m.cleanup()


@pytest.mark.timeout(180)
def test_regex_subscription_picks_up_a_topic_created_later(broker_factory, tmp_path):
    broker = broker_factory(FAST)
    prefix = f"rx{uuid.uuid4().hex[:6]}"
    create_topic(broker.bootstrap, f"{prefix}-a", 2)
    create_topic(broker.bootstrap, f"other{prefix}", 2)  # does not match ^prefix-.*
    group = f"g-{uuid.uuid4().hex[:8]}"
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "group.protocol": "consumer",
                            "auto.offset.reset": "earliest", "topic.metadata.refresh.interval.ms": 1000})
    try:
        consumer.subscribe([f"^{prefix}-.*"])
        producer = ck.Producer({"bootstrap.servers": broker.bootstrap})
        for t in (f"{prefix}-a", f"other{prefix}"):
            producer.produce(t, value=t.encode())
        producer.flush(30)
        seen: set[str] = set()

        def poll_until(topic: str) -> bool:
            for m in consumer.consume(50, 0.5):
                if m.error() is None:
                    seen.add(m.topic())
            return topic in seen

        wait_until(lambda: poll_until(f"{prefix}-a"), 60, "the first matching topic")
        create_topic(broker.bootstrap, f"{prefix}-b", 3)
        producer.produce(f"{prefix}-b", value=b"late")
        producer.flush(30)
        wait_until(lambda: poll_until(f"{prefix}-b"), 60, "the topic created later")
        assert f"other{prefix}" not in seen
        d = describe(broker.bootstrap, group)
        assigned = {(tp.topic, tp.partition) for m in d.members for tp in m.assignment.topic_partitions}
        assert assigned == {(f"{prefix}-a", 0), (f"{prefix}-a", 1), (f"{prefix}-b", 0), (f"{prefix}-b", 1),
                            (f"{prefix}-b", 2)}
    finally:
        consumer.close()


def test_broker_side_regex_matches_internal_topics(broker_factory):
    """Kafka's coordinator resolves a member's regex against every topic, internal ones
    included (franz-go's Test848RegexBrokerResolves relies on it): the client decides whether
    to consume them, so a regex naming __consumer_offsets gets its partitions assigned."""
    broker = broker_factory(FAST)
    create_topic(broker.bootstrap, f"x{uuid.uuid4().hex[:6]}", 1)   # a regular topic the regex leaves out
    group = f"g-{uuid.uuid4().hex[:8]}"
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "group.protocol": "consumer",
                            "auto.offset.reset": "earliest", "topic.metadata.refresh.interval.ms": 1000})
    try:
        consumer.subscribe(["^__consumer_offs.*"])
        # The group's coordinator lookup creates the offsets topic.
        def offsets_partitions() -> int:
            consumer.poll(0.2)
            md = consumer.list_topics(timeout=10).topics.get("__consumer_offsets")
            return len(md.partitions) if md is not None and md.error is None else 0
        wait_until(lambda: offsets_partitions() > 0, 30, "__consumer_offsets")
        partitions = offsets_partitions()

        def assigned() -> set[tuple[str, int]]:
            consumer.poll(0.2)
            d = describe(broker.bootstrap, group)
            return {(tp.topic, tp.partition) for m in d.members for tp in m.assignment.topic_partitions}
        wait_until(lambda: assigned() == {("__consumer_offsets", p) for p in range(partitions)}, 60,
                   "every __consumer_offsets partition assigned by the broker-side regex")
    finally:
        consumer.close()


@pytest.mark.timeout(180)
def test_static_member_rejoins_without_reassignment_and_restart_keeps_the_group(broker_factory, tmp_path):
    """Two static members; one closes (a static leave) and a new process with its instance id
    joins within the session: it gets the same partitions back and the other member's
    assignment never moves. Then the broker restarts:
    the group (epochs, members, assignment) and its offsets come back from __consumer_offsets."""
    broker = broker_factory({**FAST, "group.consumer.session.timeout.ms": 20000})
    topic, group = f"st-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(broker.bootstrap, topic)
    producer = Producer(broker.bootstrap, topic, rate=100)
    producer.start()
    members: list[Member] = []
    try:
        a = Member("a", broker.bootstrap, topic, group, tmp_path, instance_id="inst-a")
        b = Member("b", broker.bootstrap, topic, group, tmp_path, instance_id="inst-b")
        members += [a, b]
        wait_until(lambda: sorted(len(p) for p in assignments(broker.bootstrap, group).values()) == [3, 3], 60,
                   "two static members with three partitions each")
        before = describe(broker.bootstrap, group)
        by_instance = {m.group_instance_id: {tp.partition for tp in m.assignment.topic_partitions}
                       for m in before.members}
        b_lines = len(b.lines())
        a.leave()  # close(): a static member's leave (epoch -2) keeps its place
        a2 = Member("a2", broker.bootstrap, topic, group, tmp_path, instance_id="inst-a")
        members.append(a2)
        wait_until(lambda: bool(a2.consumed()), 60, "the restarted static member consuming")
        after = describe(broker.bootstrap, group)
        assert {m.group_instance_id: {tp.partition for tp in m.assignment.topic_partitions}
                for m in after.members} == by_instance
        assert len(after.members) == 2
        # b never lost or gained a partition while a was away.
        assert not [x for x in b.lines()[b_lines:] if x[0] in "AR"]
        stats = finish_and_check(broker.bootstrap, topic, group, producer, members, [])
        print(f"\nstatic members: {stats}")
        group_before = describe(broker.bootstrap, group)
        offsets_before = committed_offsets(broker.bootstrap, topic, group)
        broker.restart()
        group_after = describe(broker.bootstrap, group)
        assert str(group_after.type) == str(group_before.type) and "CONSUMER" in str(group_after.type)
        assert {(m.member_id, frozenset((tp.partition for tp in m.assignment.topic_partitions)))
                for m in group_after.members} == \
            {(m.member_id, frozenset((tp.partition for tp in m.assignment.topic_partitions)))
             for m in group_before.members}
        assert committed_offsets(broker.bootstrap, topic, group) == offsets_before
        # The members are still alive (they heartbeat through the restart) and leave cleanly.
        for m in (a2, b):
            m.leave()
    finally:
        producer.stop_event.set()
        for m in members:
            m.cleanup()


def groups_tool(bootstrap: str, *args: str) -> str:
    proc = kd.run_class(kd.CONSUMER_GROUP_COMMAND, ["--bootstrap-server", bootstrap, *args], timeout=90)
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.mark.timeout(300)
def test_java_consumer_and_tool_beside_a_classic_group(broker_factory):
    """The Java console consumer with group.protocol=consumer reads a topic and commits;
    a classic confluent group on the same broker; kafka-consumer-groups lists both with their
    types and describes both."""
    broker = broker_factory(FAST)
    bootstrap = broker.bootstrap
    topic = f"j-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, 3)
    producer = ck.Producer({"bootstrap.servers": bootstrap})
    for i in range(300):
        producer.produce(topic, value=b"%d" % i, partition=i % 3)
    assert producer.flush(30) == 0
    java_group, classic_group = f"java-{uuid.uuid4().hex[:6]}", f"classic-{uuid.uuid4().hex[:6]}"
    proc = kd.run_class(kd.CONSOLE_CONSUMER, [
        "--bootstrap-server", bootstrap, "--topic", topic, "--group", java_group, "--from-beginning",
        "--max-messages", "300", "--timeout-ms", "60000",
        "--command-property", "group.protocol=consumer"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(int(v) for v in proc.stdout.split()) == list(range(300))
    assert committed_offsets(bootstrap, topic, java_group, 3) == {0: 100, 1: 100, 2: 100}

    classic = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": classic_group,
                           "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        classic.subscribe([topic])
        got = 0
        deadline = time.monotonic() + 60
        while got < 300 and time.monotonic() < deadline:
            got += sum(1 for m in classic.consume(100, 0.5) if m.error() is None)
        assert got == 300
        classic.commit(asynchronous=False)
        listing = groups_tool(bootstrap, "--list", "--type")
        types = {line.split()[0]: line.split()[1].lower() for line in listing.splitlines()[1:] if line.split()}
        assert types.get(java_group) == "consumer" and types.get(classic_group) == "classic", listing
        out = groups_tool(bootstrap, "--describe", "--group", java_group)
        rows = [line.split() for line in out.splitlines() if line.split()[:1] == [java_group]]
        assert sorted((int(r[2]), int(r[3]), int(r[5])) for r in rows) == [(0, 100, 0), (1, 100, 0), (2, 100, 0)], out
        out = groups_tool(bootstrap, "--describe", "--group", classic_group, "--members")
        assert classic_group in out and "rdkafka" in out, out
        out = groups_tool(bootstrap, "--describe", "--group", java_group, "--state")
        assert "Empty" in out, out
    finally:
        classic.close()


@pytest.mark.timeout(180)
def test_empty_group_converts_between_classic_and_consumer(broker_factory):
    """group.consumer.migration.policy=bidirectional (the default): an empty classic group with
    committed offsets becomes a consumer group when a consumer-protocol member joins (it resumes
    from the committed offsets), and an empty consumer group becomes classic again. A classic
    member joins a consumer group that has members as a classic member."""
    broker = broker_factory(FAST)
    bootstrap = broker.bootstrap
    topic, group = f"mig-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, 2)
    producer = ck.Producer({"bootstrap.servers": bootstrap})
    for i in range(40):
        producer.produce(topic, value=b"%d" % i, partition=i % 2)
    assert producer.flush(30) == 0

    consumers: list[ck.Consumer] = []

    def consume(protocol: str, want: int) -> tuple[ck.Consumer, list[int]]:
        c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": protocol,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumers.append(c)
        c.subscribe([topic])
        values: list[int] = []
        deadline = time.monotonic() + 60
        while len(values) < want and time.monotonic() < deadline:
            values += [int(m.value()) for m in c.consume(50, 0.5) if m.error() is None]
        return c, values

    try:
        classic, _ = consume("classic", 40)
        # Record i is at offset i // 2 of partition i % 2: commit records 0-19 only.
        classic.commit(offsets=[ck.TopicPartition(topic, p, 10) for p in (0, 1)], asynchronous=False)
        classic.close()
        assert str(describe(bootstrap, group).type).endswith("CLASSIC")

        modern, second = consume("consumer", 20)
        assert sorted(second) == list(range(20, 40)), "resumed from the classic group's commits"
        assert str(describe(bootstrap, group).type).endswith("CONSUMER")
        modern.commit(asynchronous=False)
        # A classic member joins the consumer group as a classic member (online migration:
        # test_group_migration.py); the group stays a consumer group.
        errors: list = []
        joined = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                              "enable.auto.commit": False, "error_cb": errors.append})
        consumers.append(joined)
        joined.subscribe([topic])

        def both_members() -> bool:
            joined.consume(10, 0.5)
            return len(describe(bootstrap, group).members) == 2
        wait_until(both_members, 30, "the classic member to join the consumer group")
        assert str(describe(bootstrap, group).type).endswith("CONSUMER")
        assert not [e for e in errors if e.code() == ck.KafkaError.INCONSISTENT_GROUP_PROTOCOL], errors
        joined.close()
        modern.close()

        for i in range(10):
            producer.produce(topic, value=b"%d" % (40 + i), partition=i % 2)
        assert producer.flush(30) == 0
        back, third = consume("classic", 10)
        back.close()
        assert sorted(third) == list(range(40, 50)), "classic again, from the consumer group's commits"
        assert str(describe(bootstrap, group).type).endswith("CLASSIC")
    finally:
        for c in consumers:
            try:
                c.close()
            except RuntimeError:  # already closed
                pass


class JavaMember:
    """Kafka's console consumer (the Java KafkaConsumer) with group.protocol=consumer, printing
    partition and offset of each record; auto-commit every 200 ms."""

    def __init__(self, name: str, bootstrap: str, topic: str, group: str, tmp_path) -> None:
        self.name = name
        self.out_path = tmp_path / f"{name}.out"
        self.out = open(self.out_path, "w")
        self.err = open(tmp_path / f"{name}.err", "w")
        cmd = kd.java_command(kd.CONSOLE_CONSUMER, [
            "--bootstrap-server", bootstrap, "--topic", topic, "--group", group,
            "--command-property", "group.protocol=consumer",
            "--command-property", "auto.offset.reset=earliest",
            "--command-property", "auto.commit.interval.ms=200",
            "--command-property", f"client.id={name}",
            "--formatter-property", "print.partition=true", "--formatter-property", "print.offset=true",
            "--formatter-property", "print.value=false"], kd.FAST_START_OPTS)
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)

    def consumed(self) -> list[tuple[int, int]]:
        out = []
        with open(self.out_path, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # the consumer is still writing this line
                fields = dict(part.split(":", 1) for part in line.split() if ":" in part)
                if "Partition" in fields and "Offset" in fields:
                    out.append((int(fields["Partition"]), int(fields["Offset"])))
        return out

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_java_consumers_with_confluent_member_and_a_kill(broker_factory, tmp_path):
    """Two Java consumers and a confluent-kafka member share a consumer-protocol group while a
    producer writes; one Java consumer is SIGKILLed, the other leaves (close: its last commit).
    Every acknowledged record is consumed by someone, the group's committed offsets reach the
    end, and a record is consumed twice only if the killed member had it after its last commit."""
    broker = broker_factory(FAST)
    topic, group = f"jk-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(broker.bootstrap, topic)
    producer = Producer(broker.bootstrap, topic, rate=200)
    producer.start()
    java: list[JavaMember] = []
    members: list[Member] = []
    try:
        j1 = JavaMember("java1", broker.bootstrap, topic, group, tmp_path)
        j2 = JavaMember("java2", broker.bootstrap, topic, group, tmp_path)
        java += [j1, j2]
        wait_until(lambda: bool(j1.consumed()) and bool(j2.consumed()), 90, "both Java consumers consuming")
        m1 = Member("m1", broker.bootstrap, topic, group, tmp_path)
        members.append(m1)
        wait_until(lambda: bool(m1.consumed()), 60, "the confluent member consuming beside them")
        wait_until(lambda: len(assignments(broker.bootstrap, group)) == 3 and
                   sorted(len(p) for p in assignments(broker.bootstrap, group).values()) == [2, 2, 2], 60,
                   "three members with two partitions each")
        j1.proc.kill()
        j1.proc.wait()
        time.sleep(SESSION_MS / 1000 + 3)  # its session ends; the others take its partitions
        j2.proc.send_signal(signal.SIGTERM)
        assert j2.proc.wait(60) in (0, 130, 143), j2.proc.returncode
        producer.finish()
        assert not producer.errors, producer.errors[:3]
        acked = set(producer.acked)
        ends: dict[int, int] = defaultdict(int)
        for p, o in acked:
            ends[p] = max(ends[p], o + 1)
        wait_until(lambda: committed_offsets(broker.bootstrap, topic, group) == dict(ends), 90,
                   "the confluent member to commit every record")
        m1.leave()
        seen: dict[tuple[int, int], int] = defaultdict(int)
        for r in j1.consumed() + j2.consumed() + m1.consumed():
            seen[r] += 1
        missing = sorted(acked - set(seen))
        assert not missing, f"{len(missing)} records never consumed, e.g. {missing[:5]}"
        killed = set(j1.consumed())
        twice = [r for r, n in seen.items() if n > 1]
        assert all(r in killed for r in twice), "a duplicate not caused by the killed member"
        print(f"\nJava + confluent: {len(acked)} records, {len(twice)} read twice (all after the kill)")
    finally:
        producer.stop_event.set()
        for j in java:
            j.cleanup()
        for m in members:
            m.cleanup()


@pytest.mark.timeout(180)
def test_transactional_offsets_of_a_consumer_protocol_member(broker):
    """A consume-transform-produce loop with a `group.protocol=consumer` member: the producer
    sends the member's offsets in its transaction (TxnOffsetCommit with the member's id and
    epoch, checked against the consumer group); they are the group's once it commits, and an
    aborted transaction's offsets never are."""
    topic, group = "ctp848-" + uuid.uuid4().hex[:6], "ctp848-" + uuid.uuid4().hex[:6]
    create_topic(broker.bootstrap, topic, 2)
    plain = ck.Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(20):
        plain.produce(topic, value=b"v%d" % i, partition=i % 2)
    plain.flush(30)
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "group.protocol": "consumer",
                            "enable.auto.commit": False, "auto.offset.reset": "earliest",
                            "isolation.level": "read_committed"})
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": "t848-" + group})
    producer.init_transactions(30)
    try:
        consumer.subscribe([topic])
        seen = 0
        deadline = time.monotonic() + 60
        while seen < 20:
            assert time.monotonic() < deadline, f"read {seen} of 20"
            for msg in consumer.consume(num_messages=100, timeout=0.5):
                assert msg.error() is None, msg.error()
                seen += 1
        positions = consumer.position([ck.TopicPartition(topic, p) for p in range(2)])
        assert [tp.offset for tp in positions] == [10, 10]
        # Aborted: the group keeps no offsets.
        producer.begin_transaction()
        producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
        producer.abort_transaction(30)
        assert committed_offsets(broker.bootstrap, topic, group, 2) == {0: ck.OFFSET_INVALID, 1: ck.OFFSET_INVALID}
        # Committed: the member's positions are the group's committed offsets.
        producer.begin_transaction()
        producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
        producer.commit_transaction(30)
        assert committed_offsets(broker.bootstrap, topic, group, 2) == {0: 10, 1: 10}
        assert [tp.offset for tp in consumer.committed(positions, timeout=10)] == [10, 10]
    finally:
        consumer.close()
