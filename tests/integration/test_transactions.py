"""Transactions with real clients against a real broker process (docs/transactions.md).

confluent-kafka's transactional producer: commit and abort mixed, read_committed sees exactly the
committed records in order, read_uncommitted sees all; consume-transform-produce killed in the
middle of a transaction and resumed gives every output exactly once; a broker killed with SIGKILL
in the middle of a transaction aborts it after a restart; a zombie is fenced; a transaction that
outlives its timeout is aborted by the broker. Also kafka-python's transactional producer and
Kafka's own kafka-transactions tool.

Waits are for an outcome (a record, a state), never for a duration.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import confluent_kafka
import kafka
import pytest

from clients import RawConnection, create_topic, unique_topic, wait_until

pytestmark = pytest.mark.timeout(240)

END = b"END"
FAST_TXN_CHECKS = {"transaction.abort.timed.out.transaction.cleanup.interval.ms": 100}


def txn_producer(bootstrap: str, txn_id: str, **extra: object) -> confluent_kafka.Producer:
    conf = {"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5}
    conf.update(extra)
    producer = confluent_kafka.Producer(conf)
    producer.init_transactions(30)
    return producer


def commit_end(bootstrap: str, topic: str, partitions: int) -> None:
    """A committed END record in every partition: a reader that reaches them has read everything
    before (read_committed ones only once every earlier transaction has ended)."""
    p = txn_producer(bootstrap, "end-" + uuid.uuid4().hex[:6])
    p.begin_transaction()
    for part in range(partitions):
        p.produce(topic, value=END, partition=part)
    p.commit_transaction(30)


def read_until_end(bootstrap: str, topic: str, partitions: int, isolation: str,
                   timeout: float = 60.0) -> dict[int, list[bytes]]:
    """Values per partition up to (not including) the END record of each partition."""
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": "reader-" + uuid.uuid4().hex[:6],
        "enable.auto.commit": False, "auto.offset.reset": "earliest", "isolation.level": isolation})
    consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in range(partitions)])
    out: dict[int, list[bytes]] = {p: [] for p in range(partitions)}
    ended: set[int] = set()
    deadline = time.monotonic() + timeout
    try:
        while len(ended) < partitions:
            assert time.monotonic() < deadline, f"END not reached in {sorted(set(range(partitions)) - ended)}"
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                assert msg.error() is None, msg.error()
                if msg.partition() in ended:
                    continue
                if msg.value() == END:
                    ended.add(msg.partition())
                else:
                    out[msg.partition()].append(msg.value())
    finally:
        consumer.close()
    return out


def describe_txn(bootstrap: str, txn_id: str) -> dict:
    with RawConnection(bootstrap) as conn:
        answer = conn.call(65, 0, {"transactional_ids": [txn_id]})
    return answer["transaction_states"][0]


def test_commit_and_abort_mixed(broker):
    topic = unique_topic("txn-mixed")
    create_topic(broker.bootstrap, topic, 2)
    producer = txn_producer(broker.bootstrap, "mixed-" + uuid.uuid4().hex[:6])
    committed: dict[int, list[bytes]] = {0: [], 1: []}
    everything: dict[int, list[bytes]] = {0: [], 1: []}
    # Non-transactional records interleave with the transactions too.
    plain = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    for txn in range(8):
        commit = txn % 3 != 1
        producer.begin_transaction()
        for i in range(20):
            value = f"t{txn}-{i}-{'c' if commit else 'a'}".encode()
            producer.produce(topic, value=value, partition=i % 2)
            everything[i % 2].append(value)
            if commit:
                committed[i % 2].append(value)
        producer.flush(30)
        value = f"plain-{txn}".encode()
        plain.produce(topic, value=value, partition=txn % 2)
        plain.flush(30)
        everything[txn % 2].append(value)
        committed[txn % 2].append(value)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
    commit_end(broker.bootstrap, topic, 2)
    seen = read_until_end(broker.bootstrap, topic, 2, "read_committed")
    for p in (0, 1):
        # Plain records written while a transaction was open come after it in committed order
        # only through the LSO, so compare in log order of what was committed.
        assert seen[p] == [v for v in everything[p] if v in committed[p]], p
        assert not any(v.endswith(b"-a") for v in seen[p])
    all_seen = read_until_end(broker.bootstrap, topic, 2, "read_uncommitted")
    assert all_seen == everything


def test_consume_transform_produce_killed_and_resumed(broker):
    in_topic, out_topic = unique_topic("ctp-in"), unique_topic("ctp-out")
    create_topic(broker.bootstrap, in_topic, 2)
    create_topic(broker.bootstrap, out_topic, 1)
    total = 300
    plain = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    for i in range(total):
        plain.produce(in_topic, key=str(i).encode(), value=f"v{i}".encode(), partition=i % 2)
    plain.flush(30)
    worker = os.path.join(os.path.dirname(__file__), "txn_ctp_worker.py")
    group, txn_id = "ctp-" + uuid.uuid4().hex[:6], "ctp-txn-" + uuid.uuid4().hex[:6]

    def run(crash_after: int) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, worker, broker.bootstrap, in_topic, "2", out_topic, group, txn_id,
                               str(total), str(crash_after)], capture_output=True, text=True, timeout=180)

    first = run(crash_after=3)
    assert first.returncode == 17, first.stderr[-3000:]
    second = run(crash_after=-1)
    assert second.returncode == 0, second.stderr[-3000:]
    commit_end(broker.bootstrap, out_topic, 1)
    out = read_until_end(broker.bootstrap, out_topic, 1, "read_committed")[0]
    assert sorted(out) == sorted(f"out-v{i}".encode() for i in range(total)), "not exactly once"
    # The crashed transaction's records are in the log, aborted: read_uncommitted sees more.
    assert len(read_until_end(broker.bootstrap, out_topic, 1, "read_uncommitted")[0]) > total


def test_broker_killed_mid_transaction(broker_factory, tmp_path):
    broker = broker_factory(FAST_TXN_CHECKS, data_dir=tmp_path / "data")
    topic = unique_topic("txn-kill")
    create_topic(broker.bootstrap, topic, 1)
    txn_id = "kill-" + uuid.uuid4().hex[:6]
    producer = txn_producer(broker.bootstrap, txn_id, **{"transaction.timeout.ms": 4000,
                                                          "message.timeout.ms": 4000})
    producer.begin_transaction()
    producer.produce(topic, value=b"committed")
    producer.commit_transaction(30)
    producer.begin_transaction()
    producer.produce(topic, value=b"open")
    producer.flush(30)
    assert describe_txn(broker.bootstrap, txn_id)["transaction_state"] == "Ongoing"
    broker.restart(clean=False)
    # Replayed from __transaction_state, still open; the broker aborts it once its timeout passes.
    assert wait_until(lambda: describe_txn(broker.bootstrap, txn_id)["transaction_state"] == "CompleteAbort", 60)
    commit_end(broker.bootstrap, topic, 1)
    assert read_until_end(broker.bootstrap, topic, 1, "read_committed")[0] == [b"committed"]
    assert read_until_end(broker.bootstrap, topic, 1, "read_uncommitted")[0] == [b"committed", b"open"]


def test_zombie_producer_is_fenced(broker):
    topic = unique_topic("txn-zombie")
    create_topic(broker.bootstrap, topic, 1)
    txn_id = "zombie-" + uuid.uuid4().hex[:6]
    zombie = txn_producer(broker.bootstrap, txn_id)
    zombie.begin_transaction()
    zombie.produce(topic, value=b"zombie")
    zombie.flush(30)
    successor = txn_producer(broker.bootstrap, txn_id)  # bumps the epoch, aborts the zombie's txn
    successor.begin_transaction()
    successor.produce(topic, value=b"successor")
    successor.commit_transaction(30)
    with pytest.raises(confluent_kafka.KafkaException) as info:
        zombie.produce(topic, value=b"zombie-2")
        zombie.commit_transaction(30)
    assert info.value.args[0].fatal() or "fenced" in str(info.value).lower()
    commit_end(broker.bootstrap, topic, 1)
    assert read_until_end(broker.bootstrap, topic, 1, "read_committed")[0] == [b"successor"]


def test_transaction_outliving_its_timeout_is_aborted(broker_factory):
    broker = broker_factory(FAST_TXN_CHECKS)
    topic = unique_topic("txn-timeout")
    create_topic(broker.bootstrap, topic, 1)
    txn_id = "slow-" + uuid.uuid4().hex[:6]
    producer = txn_producer(broker.bootstrap, txn_id, **{"transaction.timeout.ms": 1000,
                                                          "message.timeout.ms": 1000})
    producer.begin_transaction()
    producer.produce(topic, value=b"late")
    producer.flush(30)
    epoch = describe_txn(broker.bootstrap, txn_id)["producer_epoch"]
    assert wait_until(lambda: describe_txn(broker.bootstrap, txn_id)["transaction_state"] == "CompleteAbort", 60)
    # The abort bumped the epoch: the producer is fenced.
    assert describe_txn(broker.bootstrap, txn_id)["producer_epoch"] == epoch + 1
    with pytest.raises(confluent_kafka.KafkaException):
        producer.commit_transaction(30)
    commit_end(broker.bootstrap, topic, 1)
    assert read_until_end(broker.bootstrap, topic, 1, "read_committed")[0] == []


def test_kafka_python_transactional_producer(broker):
    topic = unique_topic("txn-kp")
    create_topic(broker.bootstrap, topic, 1)
    producer = kafka.KafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id="kp-" + uuid.uuid4().hex[:6])
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(topic, b"kp-aborted", partition=0)
    producer.flush()
    producer.abort_transaction()
    producer.begin_transaction()
    producer.send(topic, b"kp-committed", partition=0)
    producer.commit_transaction()
    producer.close()
    commit_end(broker.bootstrap, topic, 1)
    assert read_until_end(broker.bootstrap, topic, 1, "read_committed")[0] == [b"kp-committed"]
    assert read_until_end(broker.bootstrap, topic, 1, "read_uncommitted")[0] == [b"kp-aborted", b"kp-committed"]
