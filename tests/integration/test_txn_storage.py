"""The storage half of transactions over real sockets: transactional batches produced through the
wire, markers written by the broker's LogManager (what the transaction coordinator calls), and
what a consumer sees: the last stable offset (LSO) in every fetch answer, read_committed fetches
that stop at it and carry the aborted transactions of the range, ListOffsets latest = LSO for
read_committed, a long poll woken by a marker; and after kill -9 the same LSO and aborted list,
from the rebuilt producer state and `.txnindex` files.

The in-process broker (a Broker on its own event loop thread, listening on a real port) lets the
test write markers exactly as the coordinator does, between client requests.
"""
from __future__ import annotations

import asyncio
import os
import struct
import threading
import time

import pytest

from fastlog import _native
from fastlog.config import Config
from fastlog.server.broker import Broker
from fastlog.storage.log_manager import log_settings

from clients import RawConnection, parse_batches, unique_topic, wait_until

READ_UNCOMMITTED, READ_COMMITTED = 0, 1
INVALID_TXN_STATE, INVALID_RECORD = 48, 87
P1, P2, P3 = 7001, 7002, 7003


class InProcessBroker:
    """A real broker (sockets, files) whose LogManager the test can call on the broker's loop."""

    def __init__(self, data_dir: str) -> None:
        self.loop = asyncio.new_event_loop()
        # The engine's half alone: batches of made-up producers, no coordinator to verify them with.
        self.broker = Broker(Config({"listeners": "PLAINTEXT://127.0.0.1:0", "log.dirs": data_dir,
                                     "transaction.partition.verification.enable": "false"}))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.run(self.broker.start())
        self.bootstrap = f"127.0.0.1:{self.broker.port}"

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def call(self, fn, *args):
        async def on_loop():
            return fn(*args)
        return self.run(on_loop())

    def stop(self) -> None:
        self.run(self.broker.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


@pytest.fixture
def inproc(tmp_path):
    b = InProcessBroker(str(tmp_path / "logs"))
    yield b
    b.stop()


def txn_batch(pid: int, seq: int, values: list[bytes], transactional: bool = True, epoch: int = 0) -> bytes:
    now = int(time.time() * 1000)
    return _native.build_batch([(b"k", v, [], now) for v in values], producer_id=pid, producer_epoch=epoch,
                               base_sequence=seq, transactional=transactional)


def produce(conn: RawConnection, topic: str, records: bytes) -> dict:
    answer = conn.call(0, 9, {"transactional_id": "storage-test", "acks": -1, "timeout_ms": 5000, "topic_data": [
        {"name": topic, "partition_data": [{"index": 0, "records": records}]}]})
    return answer["responses"][0]["partition_responses"][0]


def fetch_body(topic: str, offset: int, isolation: int, max_wait_ms: int = 0, min_bytes: int = 0) -> dict:
    return {"replica_id": -1, "max_wait_ms": max_wait_ms, "min_bytes": min_bytes, "max_bytes": 1 << 20,
            "isolation_level": isolation, "session_id": 0, "session_epoch": -1,
            "topics": [{"topic": topic, "partitions": [
                {"partition": 0, "fetch_offset": offset, "log_start_offset": -1, "partition_max_bytes": 1 << 20}]}],
            "forgotten_topics_data": [], "rack_id": ""}


def fetch(conn: RawConnection, topic: str, offset: int, isolation: int) -> dict:
    return conn.call(1, 12, fetch_body(topic, offset, isolation))["responses"][0]["partitions"][0]


def offsets_of(part: dict) -> list[int]:
    """Every offset the fetched batches hold (data records and markers)."""
    return [o for b in parse_batches(bytes(part["records"] or b""))
            for o in range(b.base_offset, b.base_offset + b.last_offset_delta + 1)]


def aborted(part: dict) -> list[tuple[int, int]]:
    return [(a["producer_id"], a["first_offset"]) for a in part["aborted_transactions"] or []]


def latest(conn: RawConnection, topic: str, isolation: int) -> int:
    answer = conn.call(2, 7, {"replica_id": -1, "isolation_level": isolation, "topics": [
        {"name": topic, "partitions": [{"partition_index": 0, "timestamp": -1}]}]})
    return answer["topics"][0]["partitions"][0]["offset"]


def test_read_committed_stops_at_the_lso_and_lists_aborted_transactions(inproc):
    topic = unique_topic("txn")
    logs = inproc.broker.logs
    t = inproc.call(logs.create_topic, topic, 1)
    with RawConnection(inproc.bootstrap) as conn:
        assert produce(conn, topic, txn_batch(P1, 0, [b"a0", b"a1"]))["base_offset"] == 0   # P1: 0-1
        assert produce(conn, topic, _native.build_batch([(None, b"plain", [], 0)]))["base_offset"] == 2
        assert produce(conn, topic, txn_batch(P2, 0, [b"b0"]))["base_offset"] == 3           # P2: 3
        # Inside its transaction a producer may not write non-transactional batches (Kafka).
        assert produce(conn, topic, txn_batch(P2, 1, [b"x"], transactional=False))["error_code"] == INVALID_TXN_STATE
        # Only the broker writes markers: a client's control batch is INVALID_RECORD.
        control = _native.build_batch([(b"\0\0\0\1", b"\0\0\0\0\0\0", [], 0)], producer_id=P2, producer_epoch=0,
                                      base_sequence=-1, transactional=True, control=True)
        assert produce(conn, topic, control)["error_code"] == INVALID_RECORD

        part = fetch(conn, topic, 0, READ_UNCOMMITTED)
        assert (part["high_watermark"], part["last_stable_offset"]) == (4, 0)
        assert offsets_of(part) == [0, 1, 2, 3] and part["aborted_transactions"] is None
        part = fetch(conn, topic, 0, READ_COMMITTED)
        assert (part["high_watermark"], part["last_stable_offset"]) == (4, 0)
        assert offsets_of(part) == [] and aborted(part) == []
        assert (latest(conn, topic, READ_UNCOMMITTED), latest(conn, topic, READ_COMMITTED)) == (4, 0)

        # P1 aborts: the LSO moves to P2's first offset; P1's records are listed as aborted.
        assert inproc.call(logs.write_txn_marker, t, 0, P1, 0, False, 5) == 4
        part = fetch(conn, topic, 0, READ_COMMITTED)
        assert part["last_stable_offset"] == 3 and offsets_of(part) == [0, 1, 2]
        assert aborted(part) == [(P1, 0)]
        assert latest(conn, topic, READ_COMMITTED) == 3
        # At or past the LSO: nothing yet, no error.
        part = fetch(conn, topic, 3, READ_COMMITTED)
        assert part["error_code"] == 0 and offsets_of(part) == []

        # P2 commits: everything is stable, markers included.
        assert inproc.call(logs.write_txn_marker, t, 0, P2, 0, True, 5) == 5
        part = fetch(conn, topic, 0, READ_COMMITTED)
        assert part["last_stable_offset"] == 6 == part["high_watermark"]
        assert offsets_of(part) == [0, 1, 2, 3, 4, 5] and aborted(part) == [(P1, 0)]
        # The aborted list covers only transactions overlapping the fetched range.
        assert aborted(fetch(conn, topic, 5, READ_COMMITTED)) == []
        markers = [b for b in parse_batches(bytes(part["records"])) if b.attributes & 0x20]
        assert [(b.base_offset, b.producer_id, b.attributes & 0x30) for b in markers] == [(4, P1, 0x30), (5, P2, 0x30)]
        assert markers[0].records[0][1].key == struct.pack(">hh", 0, 0)       # abort
        assert markers[1].records[0][1].key == struct.pack(">hh", 0, 1)       # commit
        assert markers[1].records[0][1].value == struct.pack(">hi", 0, 5)     # coordinator epoch 5

        # A marker from an older coordinator epoch is fenced; a marker for a producer with nothing
        # ongoing is written and changes nothing.
        with pytest.raises(_native.StorageError) as e:
            inproc.call(logs.write_txn_marker, t, 0, P1, 0, True, 4)
        assert e.value.code == 52
        assert inproc.call(logs.write_txn_marker, t, 0, P3, 0, False, 5) == 6
        assert aborted(fetch(conn, topic, 0, READ_COMMITTED)) == [(P1, 0)]

        states = {s.producer_id: s for s in inproc.call(t.partitions[0].producer_states)}
        assert (states[P1].coordinator_epoch, states[P1].current_txn_start_offset) == (5, -1)
        assert states[P2].last_sequence == 0


def test_long_poll_read_committed_wakes_on_the_marker(inproc):
    topic = unique_topic("txnpoll")
    logs = inproc.broker.logs
    t = inproc.call(logs.create_topic, topic, 1)
    with RawConnection(inproc.bootstrap, timeout=60) as conn:
        assert produce(conn, topic, txn_batch(P1, 0, [b"v"]))["base_offset"] == 0
        max_wait_ms = 30_000
        started = time.monotonic()
        sent = conn.send_dict(1, 12, fetch_body(topic, 0, READ_COMMITTED, max_wait_ms=max_wait_ms, min_bytes=1))
        # The fetch is parked (nothing is stable) when the commit marker arrives.
        # (a wait on every partition of the topic is registered on the topic)
        assert wait_until(lambda: inproc.call(lambda: len(t.topic_waiters) + len(t.waiters[0])) > 0, timeout=10)
        inproc.call(logs.write_txn_marker, t, 0, P1, 0, True, 0)
        part = conn.recv_dict(1, 12, sent)["responses"][0]["partitions"][0]
        assert offsets_of(part) == [0, 1] and part["last_stable_offset"] == 2
        assert time.monotonic() - started < max_wait_ms / 1000, "answered by the timeout, not by the marker"


def test_lso_and_aborted_index_survive_kill_9(broker_factory, tmp_path):
    """Ongoing transactions, markers and the aborted index after kill -9, rebuilt by recovery.
    Small segments, so a transaction spans segments and the index entry lies in a later one."""
    data_dir = tmp_path / "b"
    broker = broker_factory({"log.segment.bytes": 300, "transaction.partition.verification.enable": "false"},
                            data_dir=data_dir)
    topic = unique_topic("txncrash")
    with RawConnection(broker.bootstrap) as conn:
        conn.metadata([topic])  # auto-creates it
        assert produce(conn, topic, txn_batch(P1, 0, [b"a" * 100]))["base_offset"] == 0
        assert produce(conn, topic, txn_batch(P2, 0, [b"b" * 100]))["base_offset"] == 1
        assert produce(conn, topic, txn_batch(P1, 1, [b"a" * 100]))["base_offset"] == 2
        assert produce(conn, topic, txn_batch(P3, 0, [b"c" * 100]))["base_offset"] == 3
    broker.kill()

    # What the coordinator would have written before the crash: P1 aborts, P3 commits; the
    # process dies without closing the log (no clean-shutdown marker).
    path = os.path.join(broker.data_dir, "logs", f"{topic}-0")
    plog = _native.PartitionLog(path, log_settings(Config({"log.segment.bytes": "300"}), {}))
    now = int(time.time() * 1000)
    assert plog.write_txn_marker(P1, 0, False, 1, now) == 4
    assert plog.write_txn_marker(P3, 0, True, 1, now) == 5
    assert plog.aborted_transactions(0, 10) == [(P1, 0)]
    assert plog.last_stable_offset() == 1  # P2 still ongoing
    del plog

    broker.start()
    with RawConnection(broker.bootstrap) as conn:
        assert latest(conn, topic, READ_COMMITTED) == 1
        part = fetch(conn, topic, 0, READ_COMMITTED)
        assert part["last_stable_offset"] == 1 and aborted(part) == [(P1, 0)]
        assert offsets_of(part) == [0]
        # P2's transaction goes on where it was: its next sequence is accepted, in the transaction.
        assert produce(conn, topic, txn_batch(P2, 1, [b"b"]))["base_offset"] == 6
    # The index file of the segment holding P1's abort marker: one 34-byte entry.
    entries = []
    for name in sorted(os.listdir(path)):
        if name.endswith(".txnindex"):
            with open(os.path.join(path, name), "rb") as f:
                data = f.read()
            assert len(data) % 34 == 0
            entries += [struct.unpack_from(">hqqqq", data, i) for i in range(0, len(data), 34)]
    assert entries == [(0, P1, 0, 4, 1)]

    # Lose every .txnindex and crash again (kill -9 of the broker itself): rebuilt from the log.
    broker.kill()
    for name in os.listdir(path):
        if name.endswith(".txnindex"):
            os.remove(os.path.join(path, name))
    broker.start()
    with RawConnection(broker.bootstrap) as conn:
        part = fetch(conn, topic, 0, READ_COMMITTED)
        assert (part["last_stable_offset"], aborted(part)) == (1, [(P1, 0)])
    assert "rebuilt the transaction index" in broker.log_tail(20000)
