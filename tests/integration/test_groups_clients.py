"""Consumer groups with real clients: confluent-kafka, kafka-python and aiokafka members in one
group over a 6-partition topic while a producer writes; members join, leave and get killed.

Each member is a child process running this file (`python test_groups_clients.py member ...`),
so a member can be SIGKILLed like a crashed application. A member writes a journal, one line per
event, flushed at once (so it survives SIGKILL):

    C <partition> <offset>     the record was processed
    P <partition> <next>       a synchronous commit of <next> for the partition is being sent
    K <partition> <next>       a synchronous commit of <next> for the partition succeeded
    F <partition>              a synchronous commit for the partition failed (e.g. a rebalance)
    R <partition>              the partition was revoked or lost (rebalance callback)
    A <partition>              the partition was assigned (rebalance callback)

Exact accounting: a processing of a record is *covered* when the same journal later shows a
successful commit beyond it for that partition before the partition is assigned to this member
again (a commit right after a revocation, still in the old generation, does count: Kafka accepts
commits while the group prepares a rebalance, and the next owner starts there). Then every record
produced must have exactly one covered processing; any other processing of it (a duplicate) is
by construction one whose commit failed or never happened before the partition moved (or the
member was killed), i.e. inside a rebalance window. Nothing is skipped, nothing committed is read
twice. The one outcome a journal cannot know is the commit a member had in flight when it was
SIGKILLed (P without K/F): the broker may have stored it or not. Records of that commit may have
no covered processing (it landed: nobody reads them again) but never two.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections import defaultdict

PARTITIONS = 6


# =============================================================================================
# The member program (runs in a child process)
# =============================================================================================
class Journal:
    def __init__(self, path: str) -> None:
        self.f = open(path, "a", buffering=1, encoding="utf-8")

    def consumed(self, batch: list[tuple[int, int]]) -> None:
        self.f.write("".join(f"C {p} {o}\n" for p, o in batch))
        self.f.flush()

    def revoked(self, partitions) -> None:
        self.f.write("".join(f"R {p}\n" for p in partitions))
        self.f.flush()

    def assigned(self, partitions) -> None:
        self.f.write("".join(f"A {p}\n" for p in partitions))
        self.f.flush()

    def committing(self, positions: dict[int, int]) -> dict[int, int]:
        self.f.write("".join(f"P {p} {n}\n" for p, n in positions.items()))
        self.f.flush()
        return positions

    def committed(self, positions: dict[int, int], ok: bool) -> None:
        self.f.write("".join(f"K {p} {n}\n" if ok else f"F {p}\n" for p, n in positions.items()))
        self.f.flush()


def _positions(batch: list[tuple[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for p, o in batch:
        out[p] = max(out.get(p, 0), o + 1)
    return out


def consume_and_commit(consumer, topic: str, journal: Journal, stop: threading.Event) -> None:
    """A confluent-kafka member's work until `stop`: consume, journal, commit synchronously, and
    journal whether the commit went through; then close (leaving the group)."""
    import confluent_kafka as ck
    while not stop.is_set():
        msgs = consumer.consume(num_messages=500, timeout=0.2)
        batch = [(m.partition(), m.offset()) for m in msgs if m.error() is None]
        if not batch:
            continue
        journal.consumed(batch)
        positions = journal.committing(_positions(batch))
        try:
            consumer.commit(offsets=[ck.TopicPartition(topic, p, n) for p, n in positions.items()],
                            asynchronous=False)
            journal.committed(positions, True)
        except ck.KafkaException:
            journal.committed(positions, False)
    consumer.close()


# The exit code of a kafka-python member that lost a rebalance in its client (StuckJoinWatchdog).
CLIENT_STUCK_EXIT = 75


class StuckJoinWatchdog:
    """kafka-python 3.0.12 can lose a rebalance it completed. When consumer.poll()'s timeout
    expires while its JoinGroup/SyncGroup task is in flight, the task is left to finish on its own
    (kafka/coordinator/base.py, join_group_async); if need_rejoin() is already false at the next
    poll (a leader's rejoin asked for by its metadata snapshot, which its own assignment then
    updates), that poll skips the loop whose end completes the join: no assignment, no rebalance
    callback, no heartbeat, and the broker expires the member. Seen here with kafka-python's debug
    log (the broker answered the leader's SyncGroup in 7 ms with its partitions, then the client
    logged only `need_rejoin: False`). The state is exact: `rejoining` still set while
    need_rejoin() is false, which otherwise lasts microseconds. Held for STUCK_S, the member
    prints it and exits with CLIENT_STUCK_EXIT, which the test tells from a crash (and may replace
    the member: test_assignors_split_partitions). The members' 3 s poll timeout (not shorter)
    keeps a typical join inside one poll, which makes the race rare."""

    STUCK_S = 10.0

    def __init__(self, consumer, stop: threading.Event) -> None:
        self.coordinator = consumer._coordinator
        self.stop = stop
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        stuck_since = None
        while not self.stop.wait(0.5):
            if not (self.coordinator.rejoining and not self.coordinator.need_rejoin()):
                stuck_since = None
            elif stuck_since is None:
                stuck_since = time.monotonic()
            elif time.monotonic() - stuck_since > self.STUCK_S:
                sys.stderr.write(f"client stuck: kafka-python's join completed {self.STUCK_S:.0f}s ago and was "
                                 "never applied (rejoining set, need_rejoin() false)\n")
                sys.stderr.flush()
                os._exit(CLIENT_STUCK_EXIT)


def member_main(lib: str, bootstrap: str, topic: str, group: str, journal_path: str, strategy: str,
                session_ms: int, instance_id: str = "") -> None:
    journal = Journal(journal_path)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    heartbeat_ms = max(session_ms // 6, 100)
    if lib == "confluent":
        import confluent_kafka as ck
        consumer = ck.Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": heartbeat_ms, "partition.assignment.strategy": strategy,
            "client.id": f"confluent-{os.getpid()}",
            **({"group.instance.id": instance_id} if instance_id else {}),
        })
        consumer.subscribe([topic], on_assign=lambda c, tps: journal.assigned(tp.partition for tp in tps),
                            on_revoke=lambda c, tps: journal.revoked(tp.partition for tp in tps),
                            on_lost=lambda c, tps: journal.revoked(tp.partition for tp in tps))
        consume_and_commit(consumer, topic, journal, stop)
    elif lib == "kafka-python":
        import logging

        from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
        from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
        from kafka.coordinator.assignors.range import RangePartitionAssignor
        from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
        from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
        from kafka.errors import KafkaError
        from kafka.structs import OffsetAndMetadata
        assignors = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
                     "sticky": StickyPartitionAssignor, "cooperative-sticky": CooperativeStickyAssignor}
        # Its coordinator's story (join, sync, heartbeat errors) on stderr, for a failure's message.
        logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s %(message)s")
        logging.getLogger("kafka.coordinator").setLevel(logging.INFO)
        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked):
                journal.revoked(tp.partition for tp in revoked)

            def on_partitions_assigned(self, assigned):
                journal.assigned(tp.partition for tp in assigned)

        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=session_ms, heartbeat_interval_ms=heartbeat_ms,
            partition_assignment_strategy=[assignors[strategy]], client_id=f"kafka-python-{os.getpid()}")
        consumer.subscribe([topic], listener=Listener())
        StuckJoinWatchdog(consumer, stop)
        while not stop.is_set():
            polled = consumer.poll(timeout_ms=3000, max_records=500)
            batch = [(tp.partition, r.offset) for tp, records in polled.items() for r in records]
            if not batch:
                continue
            journal.consumed(batch)
            positions = journal.committing(_positions(batch))
            try:
                consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(n, "", -1) for p, n in positions.items()})
                journal.committed(positions, True)
            except KafkaError:
                journal.committed(positions, False)
        consumer.close(autocommit=False)
    elif lib == "aiokafka":
        import asyncio

        from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
        from aiokafka.coordinator.assignors.range import RangePartitionAssignor
        from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
        from aiokafka.errors import KafkaError as AioKafkaError

        async def run() -> None:
            strategies = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}
            class Listener(ConsumerRebalanceListener):
                def on_partitions_revoked(self, revoked):
                    journal.revoked(tp.partition for tp in revoked)

                def on_partitions_assigned(self, assigned):
                    journal.assigned(tp.partition for tp in assigned)

            consumer = AIOKafkaConsumer(
                bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                auto_offset_reset="earliest", session_timeout_ms=session_ms,
                heartbeat_interval_ms=heartbeat_ms, partition_assignment_strategy=(strategies[strategy],),
                client_id=f"aiokafka-{os.getpid()}")
            consumer.subscribe([topic], listener=Listener())
            await consumer.start()
            try:
                while not stop.is_set():
                    polled = await consumer.getmany(timeout_ms=200, max_records=500)
                    batch = [(tp.partition, r.offset) for tp, records in polled.items() for r in records]
                    if not batch:
                        continue
                    journal.consumed(batch)
                    positions = journal.committing(_positions(batch))
                    try:
                        await consumer.commit({TopicPartition(topic, p): n for p, n in positions.items()})
                        journal.committed(positions, True)
                    except (AioKafkaError, AssertionError):
                        journal.committed(positions, False)
            finally:
                await consumer.stop()

        asyncio.run(run())
    else:
        raise SystemExit(f"unknown client library {lib}")


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "member":
    a = sys.argv[2:]
    member_main(a[0], a[1], a[2], a[3], a[4], a[5], int(a[6]), *a[7:8])
    sys.exit(0)


# =============================================================================================
# The tests
# =============================================================================================
import confluent_kafka  # noqa: E402
import pytest  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

SESSION_MS = 6000  # the broker's default group.min.session.timeout.ms



class MemberProcess:
    """A group member in a child process that writes the journal above, so that it can be left
    (SIGTERM: it closes its consumer) or killed; the consumer-protocol tests use it too."""

    def __init__(self, name: str, tmp_path, label: str = "") -> None:
        self.name, self.label = name, label or name
        self.killed = False
        self.journal = str(tmp_path / f"{name}.journal")
        self.stderr = open(tmp_path / f"{name}.stderr", "w")

    def start(self, argv: list[str]) -> None:
        """Run `python argv...`; the argv names self.journal where the member should write."""
        self.proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=self.stderr)

    def lines(self) -> list[list[str]]:
        try:
            with open(self.journal, encoding="utf-8") as f:
                return [line.split() for line in f.read().splitlines() if line]
        except FileNotFoundError:
            return []

    def consumed(self) -> list[tuple[int, int]]:
        if not self.killed and self.proc.poll() not in (None, 0):
            raise AssertionError(f"member {self.label} died: {self.stderr_tail()}")
        return [(int(x[1]), int(x[2])) for x in self.lines() if x[0] == "C"]

    def leave(self) -> None:
        """SIGTERM: the member closes its consumer (LeaveGroup) and exits."""
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(30) == 0, self.stderr_tail()

    def kill(self) -> None:
        self.killed = True
        self.proc.kill()
        self.proc.wait()

    def stderr_tail(self) -> str:
        self.stderr.flush()
        with open(self.stderr.name, encoding="utf-8", errors="replace") as f:
            return f.read()[-3000:]

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


class Member(MemberProcess):
    """A classic-protocol member of one of the client libraries (`lib`), run by this file."""

    def __init__(self, name: str, lib: str, bootstrap: str, topic: str, group: str, tmp_path,
                 strategy: str = "roundrobin", session_ms: int = SESSION_MS, instance_id: str = "") -> None:
        super().__init__(name, tmp_path, f"{name} ({lib})")
        self.lib = lib
        self.start([__file__, "member", lib, bootstrap, topic, group, self.journal, strategy, str(session_ms),
                    instance_id])


class Producer(threading.Thread):
    """Writes records round-robin over the partitions until stopped; remembers every
    acknowledged (partition, offset)."""

    def __init__(self, bootstrap: str, topic: str, rate: float = 400.0) -> None:
        super().__init__(daemon=True)
        self.topic, self.rate = topic, rate
        self.producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self.acked: set[tuple[int, int]] = set()
        self.errors: list[str] = []
        self.stop_event = threading.Event()

    def _report(self, err, msg) -> None:
        if err is not None:
            self.errors.append(str(err))
        else:
            self.acked.add((msg.partition(), msg.offset()))

    def run(self) -> None:
        i = 0
        start = time.monotonic()
        while not self.stop_event.is_set():
            while i < (time.monotonic() - start) * self.rate:
                self.producer.produce(self.topic, value=f"v{i}".encode(), partition=i % PARTITIONS,
                                      on_delivery=self._report)
                i += 1
            self.producer.poll(0.01)
        self.producer.flush(30)

    def finish(self) -> None:
        self.stop_event.set()
        self.join(60)


def wait_until(predicate, timeout: float, what: str, explain=None) -> None:
    """`explain()`: what the failure message adds, to see on a CI log where the time went."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f"\n{explain()}" if explain else ""))


def explain_group(broker, members: list[MemberProcess]):
    """For wait_until: each member's rebalance events and consumption so far and its stderr's
    tail (kafka-python members log their coordinator there), and the broker's group log."""
    def explain() -> str:
        out = []
        for m in members:
            lines = m.lines()
            events = " ".join(f"{x[0]}{x[1]}" for x in lines if x[0] in "AR")
            consumed = sum(1 for x in lines if x[0] == "C")
            out.append(f"--- {m.label} (exit {m.proc.poll()}): {events or 'no assignment'}; {consumed} consumed\n"
                       f"{m.stderr_tail()[-2000:]}")
        groups = [line for line in broker.log_tail(200_000).splitlines() if "fastlog.groups" in line]
        out.append("--- broker's group log:\n" + "\n".join(groups[-40:]))
        return "\n".join(out)
    return explain


def create_topic(bootstrap: str, topic: str, partitions: int = PARTITIONS) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(30)


def check_accounting(members: list[Member], acked: set[tuple[int, int]]) -> dict:
    """The exact rule of the module docstring. Returns counts for the report."""
    covered: dict[tuple[int, int], int] = defaultdict(int)
    in_flight: dict[tuple[int, int], int] = defaultdict(int)
    total: dict[tuple[int, int], int] = defaultdict(int)
    for m in members:
        lines = m.lines()
        # Walk backwards: for each partition, the highest offset committed later in this journal
        # before the partition is next assigned to this member (-1 across an assignment).
        best_later: dict[int, int] = {}
        unresolved: dict[int, int] = {}     # a trailing P (killed with the commit in flight)
        resolved: set[int] = set()
        for line in reversed(lines):
            kind, p = line[0], int(line[1])
            if kind in "KF":
                resolved.add(p)
                if kind == "K":
                    best_later[p] = max(best_later.get(p, -1), int(line[2]))
            elif kind == "P" and p not in resolved:
                unresolved[p] = max(unresolved.get(p, -1), int(line[2]))
            elif kind == "A":
                best_later[p] = -1
                unresolved[p] = -1
            elif kind == "C":
                o = int(line[2])
                total[(p, o)] += 1
                if best_later.get(p, -1) > o:
                    covered[(p, o)] += 1
                elif unresolved.get(p, -1) > o:
                    in_flight[(p, o)] += 1
    missing = sorted(acked - set(total))
    assert not missing, f"{len(missing)} acknowledged records never consumed, e.g. {missing[:5]}"
    not_once = {r: covered[r] for r in acked if covered[r] > 1 or covered[r] + in_flight[r] == 0}
    assert not not_once, f"records without exactly one committed processing: {list(not_once.items())[:10]}"
    unexpected = sorted(set(total) - acked)
    assert not unexpected, f"consumed offsets that were never acknowledged: {unexpected[:5]}"
    duplicates = sum(n - 1 for n in total.values())
    landed_in_flight = sum(1 for r in acked if covered[r] == 0)
    return {"records": len(acked), "duplicates_in_rebalance_windows": duplicates,
            "committed_by_a_commit_in_flight_at_the_kill": landed_in_flight}


def committed_offsets(bootstrap: str, topic: str, group: str) -> dict[int, int]:
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        parts = consumer.committed([confluent_kafka.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
        return {tp.partition: tp.offset for tp in parts}
    finally:
        consumer.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_mixed_clients_join_leave_kill(broker, tmp_path):
    """3 confluent-kafka members; kafka-python and aiokafka join; one leaves; one is killed and
    its partitions move only after the session timeout; every record processed, exactly."""
    topic, group = f"grp-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(broker.bootstrap, topic)
    producer = Producer(broker.bootstrap, topic)
    producer.start()
    members: list[Member] = []
    try:
        def start(name, lib):
            m = Member(name, lib, broker.bootstrap, topic, group, tmp_path)
            members.append(m)
            return m

        def consuming(ms, since=0.0):
            """Every member in ms has processed a record after `since` (journal grew)."""
            return all(m.consumed() for m in ms)

        c1, c2, c3 = start("c1", "confluent"), start("c2", "confluent"), start("c3", "confluent")
        wait_until(lambda: consuming([c1, c2, c3]), 60, "three confluent members consuming",
                   explain_group(broker, members))
        kp, aio = start("kp", "kafka-python"), start("aio", "aiokafka")
        wait_until(lambda: consuming([kp, aio]), 60, "kafka-python and aiokafka members consuming",
                   explain_group(broker, members))
        c2.leave()
        time.sleep(3)  # let the rebalance after the leave settle

        # Kill c3: note the partitions it holds now and when the others start reading them.
        holding: dict[str, set[int]] = {}
        wait_until(lambda: bool(holding.update(_assignments(broker.bootstrap, group)) or
                                holding.get(f"confluent-{c3.proc.pid}")), 30, "c3's assignment")
        c3_parts = holding[f"confluent-{c3.proc.pid}"]
        c3_len_before = len(c3.consumed())
        killed_at = time.monotonic()
        c3.kill()
        others = [c1, kp, aio]
        seen = {m.name: len(m.consumed()) for m in others}

        def moved() -> bool:
            for m in others:
                if any(p in c3_parts for p, _ in m.consumed()[seen[m.name]:]):
                    return True
            return False

        wait_until(moved, 40, "c3's partitions to move")
        moved_after = time.monotonic() - killed_at
        # Nobody takes the partitions before the session timeout expired (minus the tick and
        # heartbeat slack); they move soon after it.
        assert moved_after >= SESSION_MS / 1000 - 1.5, f"moved after {moved_after:.1f}s"
        assert moved_after < SESSION_MS / 1000 + 15, f"moved after {moved_after:.1f}s"
        assert len(c3.consumed()) == c3_len_before

        time.sleep(1)
        producer.finish()
        assert not producer.errors, producer.errors[:3]
        acked = set(producer.acked)
        wait_for_commits(broker.bootstrap, topic, group, acked)
        for m in others:
            m.leave()
        stats = check_accounting(members, acked)
        print(f"\nmixed group: {stats}, c3's partitions moved after {moved_after:.1f}s")
    finally:
        producer.stop_event.set()
        for m in members:
            m.cleanup()


def wait_for_commits(bootstrap: str, topic: str, group: str, acked: set[tuple[int, int]]) -> None:
    """Until the group's committed offsets are the end of every partition's acked records."""
    ends: dict[int, int] = defaultdict(int)
    for p, o in acked:
        ends[p] = max(ends[p], o + 1)
    wait_until(lambda: committed_offsets(bootstrap, topic, group) == dict(ends), 60, "the group to commit every record")


def _assignments(bootstrap: str, group: str) -> dict[str, set[int]]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    desc = admin.describe_consumer_groups([group])[group].result(30)
    if str(desc.state).upper().endswith("STABLE") is False:
        return {}
    return {m.client_id: {tp.partition for tp in m.assignment.topic_partitions} for m in desc.members}


@pytest.mark.timeout(120)
def test_cooperative_sticky_is_incremental(broker, tmp_path):
    """With cooperative-sticky a joining member only takes partitions away from the others:
    the first member keeps the ones it still owns and is never stopped from consuming them."""
    topic, group = f"coop-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(broker.bootstrap, topic)
    producer = Producer(broker.bootstrap, topic, rate=200)
    producer.start()
    members: list[Member] = []
    try:
        first = Member("first", "confluent", broker.bootstrap, topic, group, tmp_path, "cooperative-sticky")
        members.append(first)
        wait_until(lambda: len(_assignments(broker.bootstrap, group).get(f"confluent-{first.proc.pid}", ())) == 6,
                   60, "the first member to own all 6 partitions")
        second = Member("second", "confluent", broker.bootstrap, topic, group, tmp_path, "cooperative-sticky")
        members.append(second)

        def split() -> bool:
            a = _assignments(broker.bootstrap, group)
            return len(a.get(f"confluent-{second.proc.pid}", ())) == 3 and \
                len(a.get(f"confluent-{first.proc.pid}", ())) == 3
        wait_until(split, 60, "the partitions to be split 3/3")
        kept = _assignments(broker.bootstrap, group)[f"confluent-{first.proc.pid}"]
        assert kept <= set(range(6))
        # Incremental: the journal of `first` shows it kept consuming the partitions it kept
        # through the rebalance; those partitions were never handed to `second`.
        time.sleep(2)
        assert not {p for p, _ in second.consumed()} & kept
        producer.finish()
        acked = set(producer.acked)
        wait_for_commits(broker.bootstrap, topic, group, acked)
        for m in members:
            m.leave()
        check_accounting(members, acked)
        # Incremental, from the client's own callbacks: before leaving, `first` had only the
        # partitions that moved to `second` revoked, never the ones it kept.
        lines = first.lines()
        revoked_before_leave = {int(x[1]) for x in lines[:max(i for i, x in enumerate(lines) if x[0] == "C")]
                                if x[0] == "R"}
        assert revoked_before_leave and not revoked_before_leave & kept, (revoked_before_leave, kept)
    finally:
        producer.stop_event.set()
        for m in members:
            m.cleanup()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("lib,strategy", [
    ("confluent", "range"), ("confluent", "roundrobin"), ("kafka-python", "range"),
    ("kafka-python", "sticky"), ("kafka-python", "cooperative-sticky"), ("aiokafka", "roundrobin"),
])
def test_assignors_split_partitions(broker, tmp_path, lib, strategy):
    """Two members of one library and assignor share the 6 partitions, disjointly and fully;
    the assignor's metadata and assignments pass through the broker untouched."""
    topic, group = f"asg-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(broker.bootstrap, topic)
    producer = Producer(broker.bootstrap, topic, rate=300)
    producer.start()
    members = [Member(f"{lib}-{i}", lib, broker.bootstrap, topic, group, tmp_path, strategy) for i in range(2)]
    everyone = list(members)  # and the members that replaced stuck ones (StuckJoinWatchdog), for the accounting

    def both_consuming() -> bool:
        for i, m in enumerate(members):
            if m.proc.poll() == CLIENT_STUCK_EXIT:  # the client's fault, not the broker's: StuckJoinWatchdog
                m.killed = True  # its journal is accounted as a killed member's
                # Shown in the run's warnings summary, so a replacement is never silent.
                warnings.warn(f"{m.label} lost a rebalance in its client and was replaced:\n{m.stderr_tail()[-1500:]}")
                members[i] = Member(f"{lib}-{i}-{len(everyone)}", lib, broker.bootstrap, topic, group, tmp_path,
                                    strategy)
                everyone.append(members[i])
        return all(len({p for p, _ in m.consumed()}) >= 1 for m in members)
    try:
        wait_until(both_consuming, 90, "both members consuming", explain_group(broker, everyone))
        seen: dict[str, set[int]] = {}

        def two_members() -> bool:
            seen.clear()
            seen.update(_assignments(broker.bootstrap, group))
            return len(seen) == 2 and sum(len(v) for v in seen.values()) == 6
        wait_until(two_members, 60, "a stable 2-member assignment", explain_group(broker, members))
        parts = list(seen.values())
        assert parts[0] | parts[1] == set(range(6)) and not parts[0] & parts[1]
        producer.finish()
        acked = set(producer.acked)
        wait_for_commits(broker.bootstrap, topic, group, acked)
        for m in members:
            m.leave()
        check_accounting(everyone, acked)
    finally:
        producer.stop_event.set()
        for m in everyone:
            m.cleanup()


@pytest.mark.timeout(120)
def test_static_member_restart_without_rebalance(broker, tmp_path):
    """group.instance.id (KIP-345): a static member that restarts within its session comes back
    to the same partitions, and the other member is never revoked (no rebalance)."""
    topic, group = f"st-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(broker.bootstrap, topic)
    producer = Producer(broker.bootstrap, topic, rate=200)
    producer.start()

    def static(name, instance):
        return Member(name, "confluent", broker.bootstrap, topic, group, tmp_path, "range",
                      session_ms=30000, instance_id=instance)

    members = [static("s1", "inst-1"), static("s2", "inst-2")]
    try:
        s1, s2 = members
        seen: dict[str, set[int]] = {}

        def split() -> bool:
            seen.clear()
            seen.update(_assignments(broker.bootstrap, group))
            return len(seen) == 2 and sum(len(v) for v in seen.values()) == 6
        wait_until(split, 60, "two static members sharing the partitions", explain_group(broker, members))
        first_parts = seen[f"confluent-{s1.proc.pid}"]
        s2_lines_before = len(s2.lines())
        s1.leave()  # librdkafka does not send LeaveGroup for a static member: it stays in the group
        again = static("s1-again", "inst-1")
        members.append(again)
        wait_until(lambda: {p for p, _ in again.consumed()} == first_parts, 60,
                   "the restarted static member consuming its old partitions")
        later = s2.lines()[s2_lines_before:]
        assert not [x for x in later if x[0] in "RA"], "the other member went through a rebalance"
        producer.finish()
        acked = set(producer.acked)
        wait_for_commits(broker.bootstrap, topic, group, acked)
        for m in (s2, again):
            m.leave()
        check_accounting(members, acked)
    finally:
        producer.stop_event.set()
        for m in members:
            m.cleanup()
