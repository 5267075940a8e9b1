"""The group coordinator without sockets: a real Config and LogManager (real partition logs in a
tmp dir), the coordinator's coroutines called directly, Kafka's answers asserted."""
from __future__ import annotations

import asyncio
import struct
import time

import pytest

from fastlog.config import Config
from fastlog.coordinator.group_state import CommitRequest, GroupState, JoinRequest, OffsetToCommit, SyncRequest
from fastlog.coordinator.groups import GroupCoordinator
from fastlog.coordinator.offsets_log import TOPIC
from fastlog.protocol.errors import ErrorCode as E
from fastlog.storage.log_manager import LogManager

pytestmark = pytest.mark.timeout(60)


class Node:
    """What the coordinator is built from: config and logs (no listener)."""

    def __init__(self, path, **overrides) -> None:
        values = {"log.dirs": str(path), "group.min.session.timeout.ms": "50",
                  "offsets.topic.num.partitions": "3"}
        values.update({k: str(v) for k, v in overrides.items()})
        self.config = Config(values)
        self.logs = LogManager(self.config)
        self.logs.open()
        self.node_id, self.host, self.port = 1, "127.0.0.1", 9092

    def close(self) -> None:
        self.logs.close()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def subscription(*topics: str) -> bytes:
    """ConsumerProtocolSubscription v0: version, [topics], user data (null)."""
    out = struct.pack(">hi", 0, len(topics))
    for t in topics:
        out += struct.pack(">h", len(t)) + t.encode()
    return out + struct.pack(">i", -1)


PROTOS = [("range", subscription("t")), ("roundrobin", subscription("t"))]


async def started(node: Node, **kw) -> GroupCoordinator:
    gc = GroupCoordinator(node.logs, node.config, **kw)
    await gc.start()
    return gc


async def join(gc, group="g", member="", protocols=PROTOS, instance=None, session=6000, rebalance=3000,
               protocol_type="consumer", version=9):
    return await gc.join_group(JoinRequest(group, member, instance, "client", "/127.0.0.1", session, rebalance,
                                           protocol_type, protocols, version))


async def sync_group(gc, group, generation, member, instance, protocol_type, protocol_name, assignments):
    return await gc.sync_group(SyncRequest(group, generation, member, instance, protocol_type, protocol_name,
                                           assignments))


async def commit(gc, group, generation, member, instance, retention_ms, offsets, version):
    """offsets: (topic, partition) -> (offset, leader epoch, metadata)."""
    return await gc.commit_offsets(CommitRequest(
        group, generation, member, instance, retention_ms,
        {tp: OffsetToCommit(*value) for tp, value in offsets.items()}, version))


async def join_new(gc, group="g", **kw):
    """A dynamic member's two-step join (MEMBER_ID_REQUIRED, then with the id): as a task."""
    first = await join(gc, group, **kw)
    assert first.error == E.MEMBER_ID_REQUIRED and first.member_id
    return asyncio.create_task(join(gc, group, member=first.member_id, **kw))


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    yield n
    n.close()


def test_single_member_join_sync_heartbeat(node):
    async def go():
        gc = await started(node)
        first = await join(gc)
        assert first.error == E.MEMBER_ID_REQUIRED and first.member_id.startswith("client-")
        res = await join(gc, member=first.member_id)
        assert res.error == E.NONE and res.generation_id == 1
        assert res.leader == res.member_id == first.member_id
        assert res.protocol_name == "range" and res.protocol_type == "consumer"
        assert [m[0] for m in res.members] == [res.member_id]
        sync = await sync_group(gc, "g", 1, res.member_id, None, "consumer", "range", {res.member_id: b"A"})
        assert (sync.error, sync.assignment) == (E.NONE, b"A")
        assert gc.groups["g"].state is GroupState.STABLE
        assert await gc.heartbeat("g", 1, res.member_id, None) == E.NONE
        # Bad input: unknown member, stale generation, unknown group.
        assert await gc.heartbeat("g", 1, "nobody", None) == E.UNKNOWN_MEMBER_ID
        assert await gc.heartbeat("g", 0, res.member_id, None) == E.ILLEGAL_GENERATION
        assert await gc.heartbeat("other", 1, res.member_id, None) == E.UNKNOWN_MEMBER_ID
        assert (await sync_group(gc, "g", 7, res.member_id, None, None, None, {})).error == E.ILLEGAL_GENERATION
        assert (await sync_group(gc, "g", 1, res.member_id, None, "connect", None, {})).error \
            == E.INCONSISTENT_GROUP_PROTOCOL
        assert (await join(gc, member="made-up")).error == E.UNKNOWN_MEMBER_ID
        assert (await join(gc, group="")).error == E.INVALID_GROUP_ID
        assert (await join(gc, session=10)).error == E.INVALID_SESSION_TIMEOUT
        await gc.stop()
    run(go())


def test_old_join_version_gets_member_id_at_once(node):
    async def go():
        gc = await started(node)
        res = await join(gc, version=3)
        assert res.error == E.NONE and res.generation_id == 1 and res.member_id
        await gc.stop()
    run(go())


def test_second_member_triggers_rebalance_and_protocol_vote(node):
    async def go():
        gc = await started(node)
        a = await (await join_new(gc, protocols=[("range", b"a"), ("roundrobin", b"a2")]))
        await sync_group(gc, "g", 1, a.member_id, None, None, None, {a.member_id: b"all"})
        b_task = await join_new(gc, protocols=[("roundrobin", b"b")])
        await asyncio.sleep(0.05)
        assert gc.groups["g"].state is GroupState.PREPARING_REBALANCE
        assert await gc.heartbeat("g", 1, a.member_id, None) == E.REBALANCE_IN_PROGRESS
        # Commits of the old generation are still accepted while preparing (revocation commits).
        node.logs.create_topic("t", 2)
        errs = await commit(gc, "g", 1, a.member_id, None, -1, {("t", 0): (5, -1, "")}, 9)
        assert errs == {("t", 0): E.NONE}
        a2 = await join(gc, member=a.member_id, protocols=[("range", b"a"), ("roundrobin", b"a2")])
        b = await b_task
        assert a2.generation_id == b.generation_id == 2
        # Only roundrobin is common: it wins although the leader prefers range.
        assert a2.protocol_name == b.protocol_name == "roundrobin"
        assert a2.leader == a.member_id and b.leader == a.member_id
        assert sorted(a2.members) == sorted([(a.member_id, None, b"a2"), (b.member_id, None, b"b")])
        assert b.members == []
        # A commit between join and sync: REBALANCE_IN_PROGRESS.
        errs = await commit(gc, "g", 2, b.member_id, None, -1, {("t", 0): (6, -1, "")}, 9)
        assert errs == {("t", 0): E.REBALANCE_IN_PROGRESS}
        follower = asyncio.create_task(sync_group(gc, "g", 2, b.member_id, None, None, None, {}))
        await asyncio.sleep(0.05)
        assert not follower.done()  # parked until the leader syncs
        leader = await sync_group(gc, "g", 2, a.member_id, None, None, None, {b.member_id: b"B", a.member_id: b"A"})
        assert (leader.error, leader.assignment) == (E.NONE, b"A")
        assert (await follower).assignment == b"B"
        # Old generation is now stale.
        assert await gc.heartbeat("g", 1, a.member_id, None) == E.ILLEGAL_GENERATION
        await gc.stop()
    run(go())


def test_inconsistent_protocols(node):
    async def go():
        gc = await started(node)
        a = await (await join_new(gc, protocols=[("range", b"")]))
        assert a.error == E.NONE
        assert (await join(gc, protocols=[("sticky", b"")])).error == E.INCONSISTENT_GROUP_PROTOCOL
        assert (await join(gc, protocol_type="connect")).error == E.INCONSISTENT_GROUP_PROTOCOL
        assert (await join(gc, member=a.member_id, protocol_type="connect")).error == E.INCONSISTENT_GROUP_PROTOCOL
        await gc.stop()
    run(go())


def test_session_timeout_removes_member_and_rebalances(node):
    async def go():
        gc = await started(node)
        a = await (await join_new(gc, session=300, rebalance=2000))
        await sync_group(gc, "g", 1, a.member_id, None, None, None, {})
        b_task = await join_new(gc, session=300, rebalance=2000)
        await asyncio.sleep(0.01)
        # a never rejoins nor heartbeats: the rebalance completes without it after the
        # rebalance timeout (2 s), and b becomes the leader of generation 2.
        b = await asyncio.wait_for(b_task, 5)
        assert b.error == E.NONE and b.generation_id == 2 and b.leader == b.member_id
        assert list(gc.groups["g"].members) == [b.member_id]
        await sync_group(gc, "g", 2, b.member_id, None, None, None, {})
        # b stops heartbeating: expired after its 300 ms session, the group becomes Empty.
        await asyncio.sleep(0.8)
        group = gc.groups["g"]
        assert group.state is GroupState.EMPTY and not group.members and group.generation_id == 3
        await gc.stop()
    run(go())


async def until(moment: float) -> None:
    """Sleep until time.monotonic() reaches moment (asyncio may wake a hair early)."""
    while time.monotonic() < moment:
        await asyncio.sleep(max(moment - time.monotonic(), 0))


def test_session_expires_exactly_at_its_deadline(node):
    """librdkafka's 0081 closes a static member and sends DeleteGroups right at its session
    timeout: Kafka has expired it by then, so the group is Empty and deleted (no 100 ms tick)."""
    async def go():
        gc = await started(node)
        joined = await join(gc, instance="i1", session=1000)
        assert joined.error == E.NONE
        # 0.4 s between the join and the sync: the window in which the first timer has fired
        # and the re-armed one has not is wide enough to look into on a loaded machine.
        await asyncio.sleep(0.4)
        await sync_group(gc, "g", 1, joined.member_id, "i1", None, None, {})
        group = gc.groups["g"]
        deadline = group.members[joined.member_id].last_heartbeat + 1.0
        # The timer was set at the join; SyncGroup moved the deadline later, so it fires early,
        # finds the member alive and re-arms at the member's deadline.
        first_due = group.expiry_due
        assert first_due is not None and first_due < deadline
        while group.expiry_due in (first_due, None) and time.monotonic() < deadline:   # fired, re-armed
            await asyncio.sleep(0.005)
        if time.monotonic() < deadline:   # a stalled loop may only wake after the expiry
            assert group.expiry_due == deadline and list(group.members) == [joined.member_id]
        await until(deadline)
        assert await gc.delete_groups(["g"]) == {"g": E.NONE}
        assert "g" not in gc.groups
        await gc.stop()
    run(go())


def test_pending_member_id_expires(node):
    async def go():
        gc = await started(node)
        first = await join(gc, session=100)
        assert first.error == E.MEMBER_ID_REQUIRED
        assert first.member_id in gc.groups["g"].pending_members
        await asyncio.sleep(0.4)
        assert first.member_id not in gc.groups["g"].pending_members
        await gc.stop()
    run(go())


def test_leave_group_batch_and_unknown(node):
    async def go():
        gc = await started(node)
        a = await (await join_new(gc))
        await sync_group(gc, "g", 1, a.member_id, None, None, None, {})
        err, per = await gc.leave_group("g", [(a.member_id, None), ("ghost", None)])
        assert err == E.NONE and per == [E.NONE, E.UNKNOWN_MEMBER_ID]
        assert gc.groups["g"].state is GroupState.EMPTY
        err, per = await gc.leave_group("nosuch", [("x", None)])
        assert (err, per) == (E.NONE, [E.UNKNOWN_MEMBER_ID])
        await gc.stop()
    run(go())


def test_static_member_rejoin_keeps_assignment_and_fences_old_id(node):
    async def go():
        gc = await started(node)
        a = await join(gc, instance="i-1")  # static members skip MEMBER_ID_REQUIRED
        assert a.error == E.NONE and a.member_id.startswith("i-1-")
        await sync_group(gc, "g", 1, a.member_id, "i-1", None, None, {a.member_id: b"P"})
        again = await join(gc, instance="i-1")
        assert again.error == E.NONE and again.member_id != a.member_id
        assert again.generation_id == 1 and again.skip_assignment  # no rebalance, leader skips
        assert gc.groups["g"].state is GroupState.STABLE
        assert (await sync_group(gc, "g", 1, again.member_id, "i-1", None, None, {})).assignment == b"P"
        assert await gc.heartbeat("g", 1, a.member_id, "i-1") == E.FENCED_INSTANCE_ID
        errs = await commit(gc, "g", 1, a.member_id, "i-1", -1, {}, 9)
        assert errs == {}
        err, per = await gc.leave_group("g", [("", "i-1")])
        assert per == [E.NONE] and gc.groups["g"].state is GroupState.EMPTY
        await gc.stop()
    run(go())


def test_commits_simple_group_and_errors(node):
    async def go():
        node.logs.create_topic("t", 2)
        gc = await started(node)
        errs = await commit(gc, "simple", -1, "", None, -1,
                                       {("t", 0): (10, 3, "meta"), ("t", 9): (1, -1, ""),
                                        ("nope", 0): (1, -1, "")}, 8)
        assert errs == {("t", 0): E.NONE, ("t", 9): E.UNKNOWN_TOPIC_OR_PARTITION,
                        ("nope", 0): E.UNKNOWN_TOPIC_OR_PARTITION}
        err, rows = gc.fetch_offsets("simple", [("t", 0), ("t", 1)])
        assert err == E.NONE
        assert (rows[0][2].offset, rows[0][2].leader_epoch, rows[0][2].metadata) == (10, 3, "meta")
        assert rows[1][2] is None
        assert [r[:2] for r in gc.fetch_offsets("simple", None)[1]] == [("t", 0)]
        # A generation for a group that does not exist.
        assert await commit(gc, "gone", 3, "m", None, -1, {("t", 0): (1, -1, "")}, 8) \
            == {("t", 0): E.ILLEGAL_GENERATION}
        assert await commit(gc, "gone", 3, "m", None, -1, {("t", 0): (1, -1, "")}, 9) \
            == {("t", 0): E.GROUP_ID_NOT_FOUND}
        assert await commit(gc, "simple", -1, "", None, -1, {("t", 1): (1, -1, "x" * 5000)}, 9) \
            == {("t", 1): E.OFFSET_METADATA_TOO_LARGE}
        # Group with members: generation -1 from an outsider is refused.
        m = await (await join_new(gc, group="live"))
        assert await commit(gc, "live", -1, "", None, -1, {("t", 0): (1, -1, "")}, 9) \
            == {("t", 0): E.UNKNOWN_MEMBER_ID}
        assert await commit(gc, "live", m.generation_id + 1, m.member_id, None, -1,
                                       {("t", 0): (1, -1, "")}, 9) == {("t", 0): E.ILLEGAL_GENERATION}
        await gc.stop()
    run(go())


def test_describe_list_delete(node):
    async def go():
        node.logs.create_topic("t", 1)
        gc = await started(node)
        a = await (await join_new(gc, group="busy"))
        await sync_group(gc, "busy", 1, a.member_id, None, None, None, {a.member_id: b"x"})
        await commit(gc, "idle", -1, "", None, -1, {("t", 0): (1, -1, "")}, 9)
        err, groups = gc.list_groups()
        assert err == E.NONE and {g.group_id for g in groups} == {"busy", "idle"}
        assert [g.group_id for g in gc.list_groups(states=["stable"])[1]] == ["busy"]
        assert [g.group_id for g in gc.list_groups(states=["Empty"])[1]] == ["idle"]
        assert gc.list_groups(types=["consumer"])[1] == []
        assert gc.describe_group("nosuch") == (E.NONE, None)
        res = await gc.delete_groups(["busy", "idle", "nosuch"])
        assert res == {"busy": E.NON_EMPTY_GROUP, "idle": E.NONE, "nosuch": E.GROUP_ID_NOT_FOUND}
        assert gc.fetch_offsets("idle", [("t", 0)])[1][0][2] is None
        await gc.stop()
    run(go())


def test_offset_delete_rules(node):
    async def go():
        node.logs.create_topic("t", 1)
        node.logs.create_topic("u", 1)
        gc = await started(node)
        a = await (await join_new(gc))  # subscribes to "t"
        await sync_group(gc, "g", 1, a.member_id, None, None, None, {})
        await commit(gc, "g", 1, a.member_id, None, -1, {("t", 0): (1, -1, ""), ("u", 0): (2, -1, "")}, 9)
        err, per = await gc.delete_offsets("g", [("t", 0), ("u", 0)])
        assert err == E.NONE and per == {("t", 0): E.GROUP_SUBSCRIBED_TO_TOPIC, ("u", 0): E.NONE}
        assert gc.fetch_offsets("g", [("u", 0)])[1][0][2] is None
        assert (await gc.delete_offsets("nosuch", [("t", 0)]))[0] == E.GROUP_ID_NOT_FOUND
        await gc.stop()
    run(go())


def test_state_survives_restart(tmp_path):
    async def first():
        node = Node(tmp_path)
        node.logs.create_topic("t", 2)
        gc = await started(node)
        a = await (await join_new(gc))
        await sync_group(gc, "g", 1, a.member_id, None, None, None, {a.member_id: b"assigned"})
        await commit(gc, "g", 1, a.member_id, None, -1, {("t", 0): (42, 7, "m")}, 9)
        await commit(gc, "g", 1, a.member_id, None, -1, {("t", 0): (43, 7, "m2")}, 9)
        await commit(gc, "s", -1, "", None, -1, {("t", 1): (5, -1, "")}, 9)
        await commit(gc, "gone", -1, "", None, -1, {("t", 1): (5, -1, "")}, 9)
        assert (await gc.delete_groups(["gone"])) == {"gone": E.NONE}
        await gc.stop()
        node.close()
        return a.member_id

    async def second(member_id):
        node = Node(tmp_path)
        gc = await started(node)
        assert set(gc.groups) == {"g", "s"}
        group = gc.groups["g"]
        assert group.state is GroupState.STABLE and group.generation_id == 1
        assert group.members[member_id].assignment == b"assigned"
        assert group.protocol_name == "range" and group.leader_id == member_id
        committed = gc.fetch_offsets("g", [("t", 0)])[1][0][2]
        assert (committed.offset, committed.leader_epoch, committed.metadata) == (43, 7, "m2")
        assert gc.fetch_offsets("s", [("t", 1)])[1][0][2].offset == 5
        # The restored member keeps heartbeating in its generation without a rebalance.
        assert await gc.heartbeat("g", 1, member_id, None) == E.NONE
        await gc.stop()
        node.close()

    member_id = run(first())
    run(second(member_id))


def test_expiry_and_deleted_topics(node):
    async def go():
        node.logs.create_topic("t", 1)
        node.logs.create_topic("doomed", 1)
        gc = await started(node)
        await commit(gc, "old", -1, "", None, -1, {("t", 0): (1, -1, "")}, 9)
        await commit(gc, "keep", -1, "", None, -1, {("doomed", 0): (1, -1, ""), ("t", 0): (2, -1, "")}, 9)
        node.logs.delete_topic("doomed")
        assert await gc.cleanup() == 1  # only the deleted topic's offset
        assert [r[:2] for r in gc.fetch_offsets("keep", None)[1]] == [("t", 0)]
        # A week later every simple group's offsets expired and the groups are gone.
        later = gc.groups["old"].offsets[("t", 0)].commit_timestamp + 10080 * 60_000 + 1000
        assert await gc.cleanup(now_ms=later) == 2
        assert gc.groups == {}
        await gc.stop()
    run(go())


def test_offsets_log_is_compacted_by_the_cleaner_and_replays_the_same(tmp_path):
    settings = {"offsets.topic.num.partitions": "1", "offsets.topic.segment.bytes": "2048"}

    async def go():
        node = Node(tmp_path, **settings)
        node.logs.create_topic("t", 4)
        gc = await started(node)
        for i in range(400):
            errs = await commit(gc, "g", -1, "", None, -1, {("t", i % 4): (i, -1, "")}, 9)
            assert set(errs.values()) == {E.NONE}
        topic = node.logs.get(TOPIC)
        assert topic.config("cleanup.policy", node.config) == ["compact"]
        stats = node.logs.cleaner.clean(topic, 0)  # one pass, as a cleaner thread runs it
        assert stats is not None and stats.records_removed > 300
        plog = topic.partitions[0]
        assert len(list(plog.records(plog.log_start_offset))) < 60, "the cleaner kept superseded commits"
        await gc.stop()
        node.close()
        node = Node(tmp_path, **settings)
        gc = await started(node)
        got = {(t, p): o.offset for t, p, o in gc.fetch_offsets("g", None)[1]}
        assert got == {("t", 0): 396, ("t", 1): 397, ("t", 2): 398, ("t", 3): 399}
        await gc.stop()
        node.close()
    run(go())


def test_rebalance_timeout_drops_members_that_did_not_rejoin(tmp_path):
    node = Node(tmp_path, **{"group.initial.rebalance.delay.ms": 300})

    async def go():
        gc = await started(node)
        # Three members with long sessions (heartbeats keep them alive) but a short rebalance timeout.
        ids = []
        for _ in range(3):
            task = await join_new(gc, session=10000, rebalance=400)
            await asyncio.sleep(0.02)
            ids.append(task)
        results = [await t for t in ids]
        gen = max(r.generation_id for r in results)
        members = list(gc.groups["g"].members)
        assert len(members) == 3 and gc.groups["g"].state is GroupState.COMPLETING_REBALANCE
        leader = gc.groups["g"].leader_id
        await sync_group(gc, "g", gen, leader, None, None, None, {})
        for mid in members:
            if mid != leader:
                await sync_group(gc, "g", gen, mid, None, None, None, {})
        # A fourth member joins; only it and the leader rejoin; the two others keep heartbeating
        # the old generation (REBALANCE_IN_PROGRESS) but never rejoin.
        newcomer = await join_new(gc, session=10000, rebalance=400)
        leader_rejoin = asyncio.create_task(join(gc, member=leader, session=10000, rebalance=400))
        others = [m for m in members if m != leader]
        await asyncio.sleep(0.02)
        for _ in range(6):
            for mid in others:
                assert await gc.heartbeat("g", gen, mid, None) in (E.REBALANCE_IN_PROGRESS, E.UNKNOWN_MEMBER_ID)
            await asyncio.sleep(0.1)
        a, b = await newcomer, await leader_rejoin
        assert a.error == b.error == E.NONE and a.generation_id == b.generation_id == gen + 1
        group = gc.groups["g"]
        assert sorted(group.members) == sorted([a.member_id, leader])
        assert group.state is GroupState.COMPLETING_REBALANCE and group.generation_id == gen + 1
        for mid in others:
            assert await gc.heartbeat("g", gen, mid, None) == E.UNKNOWN_MEMBER_ID
        await gc.stop()
    run(go())
    node.close()


def test_a_failed_offsets_log_write_answers_kafkas_codes_and_changes_nothing(node):
    """A closed partition log makes every write fail with StorageError(KAFKA_STORAGE_ERROR): the
    coordinator answers COORDINATOR_NOT_AVAILABLE (commit, SyncGroup, DeleteGroups) and keeps its
    state as it was; nothing is reported as UNKNOWN_SERVER_ERROR."""
    async def go():
        node.logs.create_topic("t", 1)
        gc = await started(node)
        assert await commit(gc, "simple", -1, "", None, -1, {("t", 0): (3, -1, "")}, 9) == {("t", 0): E.NONE}
        a = await (await join_new(gc, group="g"))
        for plog in node.logs.get(TOPIC).partitions:
            plog.close()
        errs = await commit(gc, "simple", -1, "", None, -1, {("t", 0): (9, -1, "")}, 9)
        assert errs == {("t", 0): E.COORDINATOR_NOT_AVAILABLE}
        _, fetched = gc.fetch_offsets("simple", [("t", 0)])
        assert fetched[0][2].offset == 3
        sync = await sync_group(gc, "g", 1, a.member_id, None, None, None, {a.member_id: b"A"})
        assert sync.error == E.COORDINATOR_NOT_AVAILABLE
        assert gc.groups["g"].state is not GroupState.STABLE
        assert await gc.delete_groups(["simple"]) == {"simple": E.COORDINATOR_NOT_AVAILABLE}
        assert "simple" in gc.groups
        await gc.stop()
    run(go())
