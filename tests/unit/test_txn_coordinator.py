"""The transaction coordinator without sockets: a real Config and LogManager (real partition logs,
markers written by the storage engine) in a tmp dir, its coroutines called directly, Kafka's
answers asserted. The clock is a variable, so timeouts and expiry need no sleeping."""
from __future__ import annotations

import asyncio
import struct

import pytest

from fastlog.config import Config
from fastlog.coordinator.producer_ids import ProducerIdManager
from fastlog.coordinator.transactions import TransactionCoordinator, TxnMetadata, TxnState
from fastlog.coordinator.txn_log import TOPIC, StoredTxn, decode_txn_key, decode_txn_value, txn_key, txn_value
from fastlog.protocol.errors import ErrorCode as E
from fastlog.storage.log_manager import LogManager

pytestmark = pytest.mark.timeout(60)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000_000

    def __call__(self) -> int:
        return self.now


class Node:
    def __init__(self, path, **overrides) -> None:
        values = {"log.dirs": str(path), "transaction.state.log.num.partitions": "3",
                  "transaction.max.timeout.ms": "60000"}
        values.update({k: str(v) for k, v in overrides.items()})
        self.config = Config(values)
        self.logs = LogManager(self.config)
        self.logs.open()
        self.logs.create_topic("t", 2)
        self.clock = Clock()

    async def coordinator(self) -> TransactionCoordinator:
        tc = TransactionCoordinator(self.logs, self.config, ProducerIdManager(self.config.data_dir), now_ms=self.clock)
        await tc.start()
        return tc

    def close(self) -> None:
        self.logs.close()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    yield n
    n.close()


def v0_value(t: StoredTxn) -> bytes:
    """TransactionLogValue v0 (int16-length strings, int32-count arrays), as fastlog wrote it
    before transaction.version 2."""
    by_topic: dict[str, list[int]] = {}
    for topic, part in sorted(t.partitions):
        by_topic.setdefault(topic, []).append(part)
    out = struct.pack(">hqhib", 0, t.producer_id, t.producer_epoch, t.timeout_ms, t.status)
    out += struct.pack(">i", len(by_topic) if by_topic else -1)
    for topic, parts in by_topic.items():
        out += struct.pack(">h", len(topic)) + topic.encode() + struct.pack(f">i{len(parts)}i", len(parts), *parts)
    return out + struct.pack(">qq", t.last_update_ms, t.start_ms)


def test_record_layout_round_trips_and_is_kafkas():
    stored = StoredTxn(7, 3, 60000, TxnState.ONGOING, [("a", 1), ("a", 0), ("b", 2)], 1000, 900)
    value = txn_value(stored)
    # version 1, pid, epoch, timeout, status, 2 topics (compact: 2 + 1): "a" [0, 1], "b" [2], timestamps
    assert value[:17] == bytes.fromhex("0001" "0000000000000007" "0003" "0000ea60" "01")
    assert value[17:30] == b"\x03" + b"\x02a" + b"\x03" + (0).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"\x00"
    assert value.endswith(b"\x00")  # no tagged fields: all at their defaults
    back = decode_txn_value(value)
    assert back == StoredTxn(7, 3, 60000, TxnState.ONGOING, [("a", 0), ("a", 1), ("b", 2)], 1000, 900)
    assert txn_key("tx") == b"\x00\x00\x00\x02tx" and decode_txn_key(txn_key("tx")) == "tx"
    empty = decode_txn_value(txn_value(StoredTxn(1, 0, 5, TxnState.EMPTY, [], 1, -1)))
    assert empty.partitions == []
    with pytest.raises(ValueError):
        decode_txn_value(value[:20])
    # the tagged fields of transaction.version 2: previous id, next id, client version
    rotating = StoredTxn(8, 32767, 5, TxnState.PREPARE_COMMIT, [("a", 0)], 2, 1, previous_producer_id=6,
                         next_producer_id=9, client_transaction_version=2)
    encoded = txn_value(rotating)
    assert encoded.endswith(b"\x03" + b"\x00\x08" + (6).to_bytes(8, "big") + b"\x01\x08" + (9).to_bytes(8, "big")
                            + b"\x02\x02\x00\x02")
    assert decode_txn_value(encoded) == rotating
    # v0, as fastlog wrote it before transaction.version 2, still reads
    assert decode_txn_value(v0_value(stored)) == back


def test_records_of_a_v0_log_replay(node):
    """A `__transaction_state` written before transaction.version 2 (value v0) replays."""
    async def body():
        tc = await node.coordinator()
        _, pid, epoch = await tc.init_producer_id("app", 10000)
        tc.add_partitions("app", pid, epoch, [("t", 0)])
        tc.store.write("app", v0_value(tc.txns["app"].stored()))
        await tc.stop()
        tc2 = await node.coordinator()
        meta = tc2.txns["app"]
        assert (meta.producer_id, meta.producer_epoch, meta.state, meta.partitions) == (
            pid, epoch, TxnState.ONGOING, {("t", 0)})
        await tc2.stop()
    run(body())


def test_init_producer_id_bumps_the_epoch_and_fences_the_old_instance(node):
    async def body():
        tc = await node.coordinator()
        err, pid, epoch = await tc.init_producer_id("app", 10000)
        assert (err, epoch) == (E.NONE, 0)
        err, pid2, epoch2 = await tc.init_producer_id("app", 10000)
        assert (err, pid2, epoch2) == (E.NONE, pid, 1)
        # The first instance's epoch is fenced everywhere.
        assert tc.add_partitions("app", pid, 0, [("t", 0)]) == {("t", 0): E.PRODUCER_FENCED}
        assert tc.add_partitions("app", pid + 100, 1, [("t", 0)]) == {("t", 0): E.INVALID_PRODUCER_ID_MAPPING}
        assert tc.add_partitions("nope", pid, 1, [("t", 0)]) == {("t", 0): E.INVALID_PRODUCER_ID_MAPPING}
        assert tc.add_partitions("app", pid, 1, [("t", 0), ("t", 9)]) == {
            ("t", 0): E.OPERATION_NOT_ATTEMPTED, ("t", 9): E.UNKNOWN_TOPIC_OR_PARTITION}
        assert tc.add_partitions("app", pid, 1, [("t", 0)]) == {("t", 0): E.NONE}
        meta = tc.txns["app"]
        assert meta.state == TxnState.ONGOING and meta.partitions == {("t", 0)} and meta.start_ms == node.clock.now
        # KIP-360: the producer names its id and current epoch: bumped; a wrong id is fenced.
        assert (await tc.init_producer_id("app", 10000, pid + 5, 1))[0] == E.PRODUCER_FENCED
        await tc.stop()
    run(body())


def test_init_producer_id_refuses_bad_timeouts_and_empty_ids(node):
    async def body():
        tc = await node.coordinator()
        assert (await tc.init_producer_id("app", 60001))[0] == E.INVALID_TRANSACTION_TIMEOUT
        assert (await tc.init_producer_id("app", 0))[0] == E.INVALID_TRANSACTION_TIMEOUT
        assert (await tc.init_producer_id("", 1000))[0] == E.INVALID_REQUEST
        assert "app" not in tc.txns
        await tc.stop()
    run(body())


def test_exhausted_epoch_gets_a_new_producer_id(node):
    async def body():
        tc = await node.coordinator()
        _, pid, _ = await tc.init_producer_id("app", 1000)
        tc.txns["app"].producer_epoch = 32766
        err, pid2, epoch2 = await tc.init_producer_id("app", 1000)
        assert err == E.NONE and pid2 != pid and epoch2 == 0
        # A retry of that InitProducerId with the old id and exhausted epoch gets the same answer.
        assert await tc.init_producer_id("app", 1000, pid, 32766) == (E.NONE, pid2, 0)
        await tc.stop()
    run(body())


def test_state_survives_a_restart_through_the_transaction_log(node):
    async def body():
        tc = await node.coordinator()
        _, pid, _ = await tc.init_producer_id("a", 5000)
        assert tc.add_partitions("a", pid, 0, [("t", 0), ("t", 1)]) == {("t", 0): E.NONE, ("t", 1): E.NONE}
        _, pid_b, _ = await tc.init_producer_id("b", 7000)
        await tc.stop()
        assert node.logs.get(TOPIC) is not None and node.logs.get(TOPIC).internal
        tc2 = await node.coordinator()
        a, b = tc2.txns["a"], tc2.txns["b"]
        assert (a.producer_id, a.producer_epoch, a.state, a.partitions, a.timeout_ms) == (
            pid, 0, TxnState.ONGOING, {("t", 0), ("t", 1)}, 5000)
        assert (b.producer_id, b.state, b.timeout_ms) == (pid_b, TxnState.EMPTY, 7000)
        # New ids never reuse an old one (the producer id block is persisted).
        _, pid_c, _ = await tc2.init_producer_id("c", 1000)
        assert pid_c not in (pid, pid_b)
        await tc2.stop()
    run(body())


def test_list_and_describe_filters(node):
    async def body():
        tc = await node.coordinator()
        _, pid_a, _ = await tc.init_producer_id("a", 5000)
        _, pid_b, _ = await tc.init_producer_id("b", 5000)
        tc.add_partitions("a", pid_a, 0, [("t", 0)])
        node.clock.now += 3000
        err, unknown, found = tc.list(["Ongoing", "Bogus"], [])
        assert err == E.NONE and unknown == ["Bogus"] and [m.transactional_id for m in found] == ["a"]
        assert [m.transactional_id for m in tc.list([], [pid_b])[2]] == ["b"]
        # Kafka's duration filter: running longer than it since the start (-1 for Empty: always).
        assert sorted(m.transactional_id for m in tc.list([], [], 2000)[2]) == ["a", "b"]
        assert [m.transactional_id for m in tc.list([], [], 3000)[2]] == ["b"]
        assert sorted(m.transactional_id for m in tc.list([], [], -1, "[ab]")[2]) == ["a", "b"]
        assert tc.describe("a")[1].state.kafka_name == "Ongoing"
        assert tc.describe("zzz") == (E.TRANSACTIONAL_ID_NOT_FOUND, None)
        await tc.stop()
    run(body())


def test_idle_transactional_ids_expire(tmp_path):
    node = Node(tmp_path, **{"transactional.id.expiration.ms": 1000})

    async def body():
        tc = await node.coordinator()
        await tc.init_producer_id("idle", 500)
        _, pid, _ = await tc.init_producer_id("busy", 500)
        tc.add_partitions("busy", pid, 0, [("t", 0)])
        node.clock.now += 1000
        assert await tc.expire_ids() == 1
        assert "idle" not in tc.txns and "busy" in tc.txns
        await tc.stop()
        tc2 = await node.coordinator()  # the tombstone is in the log
        assert "idle" not in tc2.txns
        await tc2.stop()
    try:
        run(body())
    finally:
        node.close()


# -- with markers (the storage engine writes them) ---------------------------------------------
def read_markers(node: Node, topic: str, partition: int) -> list[tuple[int, bool]]:
    """(producer id, commit?) of every control record of a partition, in log order."""
    plog = node.logs.get(topic).partitions[partition]
    return [(r.producer_id, r.key[2:4] == b"\x00\x01") for r in plog.records(0) if r.is_control]


def transactional_batch(pid: int, epoch: int, seq: int, value: bytes) -> bytes:
    from fastlog import _native
    return _native.build_batch([(None, value, [], 1)], producer_id=pid, producer_epoch=epoch, base_sequence=seq,
                               transactional=True)


def test_end_txn_writes_markers_and_answers_retries_as_kafka(node):
    async def body():
        tc = await node.coordinator()
        _, pid, epoch = await tc.init_producer_id("app", 10000)
        assert (await tc.end_txn("app", pid, epoch, True))[0] == E.INVALID_TXN_STATE  # Empty: nothing to end
        tc.add_partitions("app", pid, epoch, [("t", 0), ("t", 1)])
        node.logs.append(node.logs.get("t"), 0, transactional_batch(pid, epoch, 0, b"x"), 1)
        assert (await tc.end_txn("app", pid, epoch, True))[0] == E.NONE
        assert tc.txns["app"].state == TxnState.COMPLETE_COMMIT and tc.txns["app"].partitions == set()
        assert read_markers(node, "t", 0) == [(pid, True)] and read_markers(node, "t", 1) == [(pid, True)]
        assert (await tc.end_txn("app", pid, epoch, True))[0] == E.NONE             # a retry
        assert (await tc.end_txn("app", pid, epoch, False))[0] == E.INVALID_TXN_STATE
        assert (await tc.end_txn("app", pid, epoch + 1, False))[0] == E.PRODUCER_FENCED
        tc.add_partitions("app", pid, epoch, [("t", 1)])
        assert (await tc.end_txn("app", pid, epoch, False))[0] == E.NONE
        assert read_markers(node, "t", 1) == [(pid, True), (pid, False)]
        await tc.stop()
    run(body())


def test_prepare_commit_left_by_a_crash_completes_on_restart(node):
    async def body():
        tc = await node.coordinator()
        _, pid, epoch = await tc.init_producer_id("app", 10000)
        tc.add_partitions("app", pid, epoch, [("t", 0)])
        # What a crash between logging PrepareCommit and writing the markers leaves behind.
        meta = tc.txns["app"]
        meta.state = TxnState.PREPARE_COMMIT
        tc._persist(meta)
        await tc.stop()
        assert read_markers(node, "t", 0) == []
        tc2 = await node.coordinator()
        assert tc2.txns["app"].state == TxnState.COMPLETE_COMMIT
        assert read_markers(node, "t", 0) == [(pid, True)]
        await tc2.stop()
    run(body())


def test_timed_out_transaction_is_aborted_with_a_fencing_epoch_bump(node):
    async def body():
        tc = await node.coordinator()
        _, pid, epoch = await tc.init_producer_id("app", 5000)
        tc.add_partitions("app", pid, epoch, [("t", 0)])
        node.clock.now += 4999
        assert await tc.abort_timed_out() == 0
        node.clock.now += 1
        assert await tc.abort_timed_out() == 1
        meta = tc.txns["app"]
        assert (meta.state, meta.producer_epoch) == (TxnState.COMPLETE_ABORT, epoch + 1)
        assert read_markers(node, "t", 0) == [(pid, False)]
        assert (await tc.end_txn("app", pid, epoch, True))[0] == E.PRODUCER_FENCED
        assert tc.add_partitions("app", pid, epoch, [("t", 0)]) == {("t", 0): E.PRODUCER_FENCED}
        await tc.stop()
    run(body())


def test_new_instance_aborts_the_open_transaction_of_the_old_one(node):
    async def body():
        tc = await node.coordinator()
        _, pid, epoch = await tc.init_producer_id("app", 5000)
        tc.add_partitions("app", pid, epoch, [("t", 1)])
        # +1 fences the abort, answered CONCURRENT_TRANSACTIONS as Kafka does; the retry bumps again
        assert await tc.init_producer_id("app", 5000) == (E.CONCURRENT_TRANSACTIONS, -1, -1)
        assert (tc.txns["app"].state, tc.txns["app"].producer_epoch) == (TxnState.COMPLETE_ABORT, epoch + 1)
        assert await tc.init_producer_id("app", 5000) == (E.NONE, pid, epoch + 2)
        assert tc.txns["app"].state == TxnState.EMPTY
        assert read_markers(node, "t", 1) == [(pid, False)]
        await tc.stop()
    run(body())


def test_a_marker_the_log_refuses_is_skipped_not_retried_forever(node):
    async def body():
        tc = await node.coordinator()
        _, pid, epoch = await tc.init_producer_id("app", 10000)
        tc.add_partitions("app", pid, epoch, [("t", 0), ("t", 1)])
        # Someone (WriteTxnMarkers) already wrote a marker with a newer epoch in t-0.
        node.logs.write_txn_marker(node.logs.get("t"), 0, pid, epoch + 3, False, 0)
        assert (await tc.end_txn("app", pid, epoch, True))[0] == E.NONE
        assert tc.txns["app"].state == TxnState.COMPLETE_COMMIT
        assert read_markers(node, "t", 0) == [(pid, False)] and read_markers(node, "t", 1) == [(pid, True)]
        await tc.stop()
    run(body())


def read_marker_epochs(node: Node, topic: str, partition: int) -> list[tuple[int, int, bool]]:
    """(producer id, producer epoch, commit?) of every control record of a partition."""
    plog = node.logs.get(topic).partitions[partition]
    return [(r.producer_id, r.producer_epoch, r.key[2:4] == b"\x00\x01") for r in plog.records(0) if r.is_control]


def test_transaction_version_2_bumps_the_epoch_with_every_end(node):
    """EndTxn v5 (client_tv 2): the markers and the answer carry epoch + 1; a retry with the old
    epoch gets the same answer; an abort of no transaction bumps too; a v4 end does not bump."""
    async def body():
        tc = await node.coordinator()
        _, pid, e = await tc.init_producer_id("app", 10000)
        assert tc.add_partitions("app", pid, e, [("t", 0)], client_tv=2) == {("t", 0): E.NONE}
        assert tc.txns["app"].client_tv == 2
        node.logs.append(node.logs.get("t"), 0, transactional_batch(pid, e, 0, b"x"), 1)
        assert await tc.end_txn("app", pid, e, True, client_tv=2) == (E.NONE, pid, e + 1)
        assert read_marker_epochs(node, "t", 0) == [(pid, e + 1, True)]
        assert await tc.end_txn("app", pid, e, True, client_tv=2) == (E.NONE, pid, e + 1)       # retry
        assert await tc.end_txn("app", pid, e, False, client_tv=2) == (E.INVALID_TXN_STATE, -1, -1)
        assert await tc.end_txn("app", pid, e + 1, True, client_tv=2) == (E.INVALID_TXN_STATE, -1, -1)
        assert await tc.end_txn("app", pid, e + 1, False, client_tv=2) == (E.NONE, pid, e + 2)  # no txn: bump
        assert tc.txns["app"].state == TxnState.COMPLETE_ABORT
        assert await tc.end_txn("app", pid, e + 1, False, client_tv=2) == (E.NONE, pid, e + 2)  # retry
        assert await tc.end_txn("app", pid, e, False, client_tv=2) == (E.PRODUCER_FENCED, -1, -1)
        assert await tc.end_txn("app", pid + 1, e + 2, False, client_tv=2) == (E.INVALID_PRODUCER_ID_MAPPING, -1, -1)
        # the next transaction at the new epoch; the partition's state takes sequence 0 again
        assert tc.add_partitions("app", pid, e + 2, [("t", 0)], client_tv=2) == {("t", 0): E.NONE}
        node.logs.append(node.logs.get("t"), 0, transactional_batch(pid, e + 2, 0, b"y"), 1)
        assert await tc.end_txn("app", pid, e + 2, True) == (E.NONE, -1, -1)   # EndTxn v4: no bump
        assert tc.txns["app"].producer_epoch == e + 2
        assert read_marker_epochs(node, "t", 0)[-1] == (pid, e + 2, True)
        await tc.stop()
        # the state is durable: a restart reads the same
        tc2 = await node.coordinator()
        meta = tc2.txns["app"]
        assert (meta.state, meta.producer_id, meta.producer_epoch, meta.client_tv) == (
            TxnState.COMPLETE_COMMIT, pid, e + 2, 0)
        await tc2.stop()
    run(body())


async def transaction_at_last_epoch(tc: TransactionCoordinator, tp: tuple[str, int]) -> tuple[int, TxnMetadata]:
    """Transactional id "app" at epoch 32766 (the last a client may use) with `tp` in a
    transaction.version 2 transaction: (producer id, its metadata)."""
    _, pid, _ = await tc.init_producer_id("app", 10000)
    meta = tc.txns["app"]
    tc._transition(meta, producer_epoch=32766)
    tc.add_partitions("app", pid, 32766, [tp], client_tv=2)
    return pid, meta


def test_transaction_version_2_end_that_uses_up_the_epochs_moves_to_a_new_producer_id(node):
    """At epoch MAX - 1 the bump reaches MAX for the markers, and the producer goes on with a new
    id at epoch 0; a retry of that EndTxn with the old id gets the same answer."""
    async def body():
        tc = await node.coordinator()
        pid, meta = await transaction_at_last_epoch(tc, ("t", 1))
        error, new_pid, new_epoch = await tc.end_txn("app", pid, 32766, False, client_tv=2)
        assert (error, new_epoch) == (E.NONE, 0) and new_pid not in (pid, -1)
        assert read_marker_epochs(node, "t", 1) == [(pid, 32767, False)]
        assert (meta.producer_id, meta.producer_epoch, meta.last_producer_id, meta.next_producer_id) == (
            new_pid, 0, pid, -1)
        assert await tc.end_txn("app", pid, 32766, False, client_tv=2) == (E.NONE, new_pid, 0)
        await tc.stop()
        tc2 = await node.coordinator()
        assert (tc2.txns["app"].producer_id, tc2.txns["app"].last_producer_id) == (new_pid, pid)
        await tc2.stop()
    run(body())


def test_transaction_version_2_prepare_left_by_a_crash_completes_with_the_bumped_epoch(node):
    async def body():
        tc = await node.coordinator()
        pid, meta = await transaction_at_last_epoch(tc, ("t", 0))
        # What a crash between logging PrepareCommit and writing the markers leaves behind.
        tc._transition(meta, state=TxnState.PREPARE_COMMIT, producer_epoch=32767, next_producer_id=77)
        await tc.stop()
        tc2 = await node.coordinator()
        meta2 = tc2.txns["app"]
        assert (meta2.state, meta2.producer_id, meta2.producer_epoch) == (TxnState.COMPLETE_COMMIT, 77, 0)
        assert read_marker_epochs(node, "t", 0) == [(pid, 32767, True)]
        await tc2.stop()
    run(body())


def test_txn_offset_commit_check_by_version(node):
    """v5 adds the group's partition itself; v4 answers TRANSACTION_ABORTABLE, older versions
    INVALID_TXN_STATE, when AddOffsetsToTxn did not add it."""
    async def body():
        node.logs.create_topic("__consumer_offsets", 2)
        tc = await node.coordinator()
        _, pid, e = await tc.init_producer_id("app", 10000)
        assert tc.check_offsets_producer("app", pid, e, 1, 3) == E.INVALID_TXN_STATE
        assert tc.check_offsets_producer("app", pid, e, 1, 4) == E.TRANSACTION_ABORTABLE
        assert tc.check_offsets_producer("app", pid, e, 1, 5) == E.NONE
        assert tc.txns["app"].partitions == {("__consumer_offsets", 1)}
        assert tc.check_offsets_producer("app", pid, e, 1, 4) == E.NONE
        assert tc.check_offsets_producer("app", pid, e + 1, 1, 5) == E.PRODUCER_FENCED
        await tc.stop()
    run(body())
