"""The log cleaner and transactions, through real clients (rules: docs/storage-format.md, "Log
cleaner", *Transactions*).

- A transactional producer (confluent-kafka) writes keys in committed and aborted transactions to
  a compacted topic. After a pass, a read_uncommitted consumer from the start sees no aborted
  record below the cleaner checkpoint and one value per key there, the last committed one; a
  read_committed consumer sees the same. The markers get a delete horizon first and go on a pass
  after it (seen in raw fetches), with the aborted-transaction list of the fetch answer.
- kill -9 while passes run over transactional data: after each restart read_committed still
  reads every key's last committed value and no aborted one.
- `__transaction_state` is cleaned like any compacted topic: many transactions leave it small,
  and the coordinator's replay after a restart still knows the transactional id (InitProducerId
  bumps the same producer id's epoch).
"""
from __future__ import annotations

import os
import random
import re
import time

import confluent_kafka
from confluent_kafka.admin import AdminClient, NewTopic

from clients import RawConnection, cleaner_settled, parse_batches, unique_topic, wait_until

FAST_CLEANER = {"log.cleaner.backoff.ms": 50}
COMPACTED = {"cleanup.policy": "compact", "segment.bytes": "4096", "min.cleanable.dirty.ratio": "0.01"}
CONTROL = 0x20
DELETE_HORIZON = 0x40
READ_UNCOMMITTED, READ_COMMITTED = 0, 1


def create(bootstrap: str, topic: str, configs: dict[str, str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config=configs)])[topic].result(30)


def value(key: int, n: int, outcome: str) -> bytes:
    # Incompressible padding, so that segments fill up.
    return f"k{key}-v{n}-{outcome}-".encode() + random.Random(key * 100_000 + n).randbytes(100)


def transactions(bootstrap: str, topic: str, txn_id: str, plan: list[tuple[bool, list[tuple[bytes, bytes]]]]) -> None:
    """Run each (commit?, records) of `plan` as one transaction of one producer, to partition 0."""
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id,
                                         "linger.ms": 5})
    producer.init_transactions(30)
    for commit, records in plan:
        producer.begin_transaction()
        for k, v in records:
            producer.produce(topic, key=k, value=v, partition=0)
        # An abort would purge what the client has not sent yet: the records go to the log first.
        assert producer.flush(30) == 0
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
    assert producer.flush(30) == 0


def make_plan(rng: random.Random, start: int, rounds: int, keys: int) -> list[tuple[bool, list[tuple[bytes, bytes]]]]:
    """Rounds of 10 records over `keys` keys; every third transaction aborts."""
    plan = []
    for r in range(start, start + rounds):
        commit = r % 3 != 2
        outcome = "committed" if commit else "aborted"
        records = []
        for i in range(10):
            k = rng.randrange(keys)
            records.append((b"k%d" % k, value(k, r * 10 + i, outcome)))
        plan.append((commit, records))
    return plan


def consume_all(bootstrap: str, topic: str, isolation: str) -> list[tuple[int, bytes, bytes]]:
    """Every data record of partition 0 from the log start up to the end the isolation level sees."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": unique_topic("g"),
                                         "enable.auto.commit": False, "isolation.level": isolation,
                                         "enable.partition.eof": True})
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
        out: list[tuple[int, bytes, bytes]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error() is not None:
                assert msg.error().code() == confluent_kafka.KafkaError._PARTITION_EOF, msg.error()
                return out
            out.append((msg.offset(), msg.key(), msg.value()))
        raise AssertionError(f"no end of partition after {len(out)} records")
    finally:
        consumer.close()


def raw_batches(bootstrap: str, topic: str, isolation: int) -> tuple[list, list[tuple[int, int]]]:
    """(batches, aborted transactions) of raw fetches from the log start to the end."""
    batches, aborted = [], []
    offset = 0
    with RawConnection(bootstrap) as conn:
        while True:
            part = conn.call(1, 12, {
                "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20,
                "isolation_level": isolation, "session_id": 0, "session_epoch": -1,
                "topics": [{"topic": topic, "partitions": [{"partition": 0, "fetch_offset": offset,
                                                            "log_start_offset": -1, "partition_max_bytes": 1 << 20}]}],
                "forgotten_topics_data": [], "rack_id": ""})["responses"][0]["partitions"][0]
            assert part["error_code"] == 0, part
            got = parse_batches(bytes(part["records"] or b""))
            aborted += [(a["producer_id"], a["first_offset"]) for a in part["aborted_transactions"] or []]
            if not got:
                return batches, aborted
            batches += got
            offset = got[-1].base_offset + got[-1].last_offset_delta + 1


def stable(bootstrap: str, topic: str) -> None:
    """Wait until every transaction is decided (markers are written after EndTxn is answered):
    the read_committed latest offset (the LSO) reaches the log end."""
    def latest(conn: RawConnection, isolation: int) -> int:
        answer = conn.call(2, 7, {"replica_id": -1, "isolation_level": isolation, "topics": [
            {"name": topic, "partitions": [{"partition_index": 0, "timestamp": -1}]}]})
        return answer["topics"][0]["partitions"][0]["offset"]
    with RawConnection(bootstrap) as conn:
        assert wait_until(lambda: latest(conn, READ_COMMITTED) == latest(conn, READ_UNCOMMITTED), 30)


def is_marker(batch) -> bool:
    """A transaction marker: a control batch holding its record (a marker the cleaner removed
    may stay as an empty control batch, which is none)."""
    return bool(batch.attributes & CONTROL and batch.records)


def is_abort(marker) -> bool:
    """A control batch's record key: version int16, type int16 (0 abort, 1 commit)."""
    return marker.records[0][1].key[2:4] == b"\x00\x00"


def committed_view(plan) -> dict[bytes, bytes]:
    last: dict[bytes, bytes] = {}
    for commit, records in plan:
        if commit:
            last.update(records)
    return last


def test_cleaner_removes_aborted_records_and_then_markers(broker_factory):
    broker = broker_factory(FAST_CLEANER)
    topic = unique_topic("compact-txn")
    create(broker.bootstrap, topic, {**COMPACTED, "delete.retention.ms": "1000"})
    rng = random.Random(11)
    plan = make_plan(rng, 0, 60, 25)
    before = {b.base_offset for b in raw_batches(broker.bootstrap, topic, READ_UNCOMMITTED)[0]}
    assert not before
    transactions(broker.bootstrap, topic, "cleaner-txn-1", plan)
    stable(broker.bootstrap, topic)
    end = cleaner_settled(broker, topic)
    assert end > 0

    uncommitted = consume_all(broker.bootstrap, topic, "read_uncommitted")
    committed = consume_all(broker.bootstrap, topic, "read_committed")
    below = [r for r in uncommitted if r[0] < end]
    # No aborted record is left in the cleaned part; one value per key there, the last committed one.
    assert below and not [r for r in below if b"-aborted-" in r[2]]
    keys = [k for _, k, _ in below]
    assert len(keys) == len(set(keys)), "a key appears twice below the cleaner checkpoint"
    last = committed_view(plan)
    above = {k for o, k, _ in uncommitted if o >= end}
    for _, k, v in below:
        if k not in above:
            assert v == last[k], f"{k!r} reads {v[:20]!r}, last committed {last[k][:20]!r}"
    # read_committed reads the same cleaned part, and every key's last committed value overall.
    assert [r for r in committed if r[0] < end] == below
    assert {k: v for _, k, v in committed} == last

    # Below the checkpoint a marker carries a delete horizon exactly when no batch of its
    # transaction is left (one producer: its batches between two markers). Passes ran while the
    # transactions went on (delete.retention.ms is 1 s), so some markers may already be gone.
    batches, aborted = raw_batches(broker.bootstrap, topic, READ_COMMITTED)
    cleaned = [b for b in batches if b.base_offset < end]
    had_batch = False
    for b in cleaned:
        if b.attributes & CONTROL and not b.records:
            continue
        if is_marker(b):
            assert bool(b.attributes & DELETE_HORIZON) != had_batch, f"marker at {b.base_offset}"
            had_batch = False
        else:
            had_batch = True
    markers = [b for b in cleaned if is_marker(b)]
    markers_below = len(plan) - sum(1 for b in batches if is_marker(b) and b.base_offset >= end)
    with_horizon = [b for b in markers if b.attributes & DELETE_HORIZON]
    assert with_horizon or len(markers) < markers_below, "no marker was cleaned"
    # The horizon (base timestamp) lies after the marker's own time.
    assert all(b.base_timestamp > b.max_timestamp for b in with_horizon)
    # A marker and its aborted-transaction entry go together: one entry per abort marker left
    # (and at most one more, of a transaction across the checkpoint).
    aborts = [b for b in markers if is_abort(b)]
    assert len(aborts) <= len([a for a in aborted if a[1] < end]) <= len(aborts) + 1

    # After the horizon, the next pass (more transactions make the log due) removes them, and
    # their aborted-transaction entries go from the fetch answers.
    assert wait_until(lambda: time.time() * 1000 > max([b.base_timestamp for b in with_horizon], default=0), 30)
    plan2 = make_plan(rng, 60, 30, 25)
    transactions(broker.bootstrap, topic, "cleaner-txn-1", plan2)
    stable(broker.bootstrap, topic)
    gone = {b.base_offset for b in with_horizon}

    def old_markers_gone() -> bool:
        batches, _ = raw_batches(broker.bootstrap, topic, READ_COMMITTED)
        return not [b for b in batches if is_marker(b) and b.base_offset in gone]
    assert wait_until(old_markers_gone, 60), broker.log_tail()
    # The entries of aborted transactions starting below the first checkpoint: one per abort
    # marker left there, and at most one more (a transaction across the checkpoint).
    batches, aborted = raw_batches(broker.bootstrap, topic, READ_COMMITTED)
    aborts_left = [b for b in batches if is_marker(b) and b.base_offset < end and is_abort(b)]
    assert len(aborts_left) <= len([a for a in aborted if a[1] < end]) <= len(aborts_left) + 1
    assert {k: v for _, k, v in consume_all(broker.bootstrap, topic, "read_committed")} == committed_view(plan + plan2)
    passes = open(broker.log_file, encoding="utf-8").read()
    assert re.search(r", [1-9][0-9]* aborted\) and [1-9][0-9]* transaction markers", passes), \
        "no pass reported aborted records and markers removed"


def test_kill_during_cleaning_of_transactions_loses_no_committed_value(broker_factory, tmp_path, monkeypatch):
    # Each file step of a swap waits 100 ms: kills land inside swaps as well as between them.
    monkeypatch.setenv("FASTLOG_CLEANER_TEST_PAUSE_MS", "100")
    broker = broker_factory({"log.cleaner.backoff.ms": 10}, data_dir=tmp_path / "crashy")
    topic = unique_topic("compact-txn-kill")
    create(broker.bootstrap, topic, COMPACTED)
    rng = random.Random(5)
    plans = []
    for cycle in range(5):
        plan = make_plan(rng, cycle * 30, 30, 40)
        plans += plan
        transactions(broker.bootstrap, topic, "kill-txn", plan)
        time.sleep(rng.uniform(0.05, 1.0))
        broker.kill()
        broker.start()
        stable(broker.bootstrap, topic)
        records = consume_all(broker.bootstrap, topic, "read_committed")
        assert not [r for r in records if b"-aborted-" in r[2]], f"cycle {cycle}: read_committed saw an aborted record"
        assert {k: v for _, k, v in records} == committed_view(plans), f"cycle {cycle}: a key lost its last value"
    # Passes go on after the last restart: wait until none is due, so that the checkpoint read
    # and the records read describe the same log (a pass between the two reads once made an
    # aborted record read just before its cleaning look as if it had been left below).
    cleaned = cleaner_settled(broker, topic)
    assert cleaned > 0
    records = consume_all(broker.bootstrap, topic, "read_uncommitted")
    assert not [r for r in records if r[0] < cleaned and b"-aborted-" in r[2]]


def init_producer_id(bootstrap: str, txn_id: str) -> tuple[int, int]:
    """InitProducerId for `txn_id` (bumps its epoch), retried while the coordinator loads."""
    answers = []
    with RawConnection(bootstrap) as conn:
        assert wait_until(lambda: conn.call(10, 3, {"key": txn_id, "key_type": 1})["error_code"] == 0, 30)

        def init() -> bool:
            answers.append(conn.call(22, 3, {"transactional_id": txn_id, "transaction_timeout_ms": 60000,
                                             "producer_id": -1, "producer_epoch": -1}))
            return answers[-1]["error_code"] == 0
        assert wait_until(init, 30, interval=0.2), answers[-1]
    return answers[-1]["producer_id"], answers[-1]["producer_epoch"]


def test_transaction_state_stays_small_and_replays_after_restart(broker_factory):
    broker = broker_factory({**FAST_CLEANER, "transaction.state.log.num.partitions": 1,
                             "transaction.state.log.segment.bytes": 4096})
    topic = unique_topic("txn-state")
    create(broker.bootstrap, topic, {})
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": "small-state"})
    producer.init_transactions(30)
    for i in range(300):
        producer.begin_transaction()
        producer.produce(topic, key=b"k", value=b"%d" % i, partition=0)
        producer.commit_transaction(30)
    producer.flush(30)
    cleaner_settled(broker, "__transaction_state")
    partition = os.path.join(broker.data_dir, "logs", "__transaction_state-0")
    size = sum(os.path.getsize(os.path.join(partition, n)) for n in os.listdir(partition) if n.endswith(".log"))
    # 300 transactions write about 900 state records (some 100 bytes each) without the cleaner.
    assert size < 3 * 4096, f"{size} bytes of transaction state log for 300 transactions of one id"
    pid, epoch = init_producer_id(broker.bootstrap, "small-state")

    broker.kill()
    broker.start()
    assert init_producer_id(broker.bootstrap, "small-state") == (pid, epoch + 1)
