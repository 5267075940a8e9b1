"""transaction.version 2 (KIP-890) side by side with a real Apache Kafka 4.4 broker (kafka_dist):
the same raw requests (fastlog's pure-Python codec over a socket) must get the same answers.

One transactional id goes through what clients of both generations send:
- ApiVersions: transaction.version finalized at 2;
- Produce v12 adds its partition to the transaction (no AddPartitionsToTxn), starting one;
- EndTxn v5 bumps the epoch with every commit or abort (the markers carry the new epoch) and
  answers the id and epoch to go on with; retries with the old epoch, the wrong end, an abort of
  no transaction (a bump all the same); EndTxn v4 ends without a bump;
- TxnOffsetCommit v5 adds the group's `__consumer_offsets` partition (no AddOffsetsToTxn); v4
  without it is TRANSACTION_ABORTABLE; Produce v11 outside the transaction TRANSACTION_ABORTABLE,
  v3-v10 INVALID_TXN_STATE (with Kafka's message from v8);
- InitProducerId over an ongoing transaction fences it (CONCURRENT_TRANSACTIONS, the retry gets
  the next epoch); a transaction past its timeout is aborted under epoch + 1, and the producer's
  EndTxn v5 abort with its old epoch is then a retry that gets the new epoch.
Epochs are compared relative to the first one; the markers' epochs are read from the log.
A second test lowers and raises transaction.version with UpdateFeatures on both.
"""
from __future__ import annotations

import time

import pytest

from clients import (
    RawConnection,
    RawRecord,
    assert_same_answers,
    build_batch,
    create_topic,
    parse_batches,
    unique_topic,
)

pytestmark = pytest.mark.timeout(300)

PRODUCE, FETCH, FIND_COORDINATOR, INIT_PID, ADD_PARTITIONS, END_TXN, TXN_OFFSET_COMMIT = 0, 1, 10, 22, 24, 26, 28
API_VERSIONS, DESCRIBE_TXNS, UPDATE_FEATURES = 18, 65, 57
TRANSACTIONAL = 0x10


def scenario(bootstrap: str) -> list[tuple]:
    steps: list[tuple] = []
    c = RawConnection(bootstrap, timeout=30)
    features = c.call(API_VERSIONS, 3, {"client_software_name": "t", "client_software_version": "1"})
    steps.append(("finalized", [(f["name"], f["max_version_level"]) for f in features["finalized_features"]
                                if f["name"] == "transaction.version"]))
    topic = unique_topic("tv2")
    create_topic(bootstrap, topic, 2)
    tid, group = "tid-" + topic, "group-" + topic
    deadline = time.monotonic() + 60
    while True:  # Kafka creates `__transaction_state` at the first FindCoordinator
        c.call(FIND_COORDINATOR, 4, {"key_type": 1, "coordinator_keys": [tid]})
        init = c.call(INIT_PID, 5, {"transactional_id": tid, "transaction_timeout_ms": 60000,
                                    "producer_id": -1, "producer_epoch": -1})
        if init["error_code"] == 0:
            break
        assert time.monotonic() < deadline, init
        time.sleep(0.3)
    pid, e0 = init["producer_id"], init["producer_epoch"]

    def rel(epoch: int) -> int:
        return epoch - e0 if epoch >= 0 else epoch

    def produce(version: int, partition: int, epoch: int, seq: int) -> tuple:
        batch = build_batch([RawRecord(b"k", b"v%d" % seq)], attributes=TRANSACTIONAL, producer_id=pid,
                            producer_epoch=epoch, base_sequence=seq)
        answer = c.call(PRODUCE, version, {"transactional_id": tid, "acks": -1, "timeout_ms": 5000, "topic_data": [
            {"name": topic, "partition_data": [{"index": partition, "records": batch}]}]})
        p = answer["responses"][0]["partition_responses"][0]
        return p["error_code"], p["base_offset"], p.get("error_message")

    def describe() -> tuple:
        d = c.call(DESCRIBE_TXNS, 0, {"transactional_ids": [tid]})["transaction_states"][0]
        return (d["error_code"], d["transaction_state"], rel(d["producer_epoch"]),
                sorted(("topic", sorted(t["partitions"])) if t["topic"] == topic
                       else (t["topic"], len(t["partitions"])) for t in d["topics"]))  # the group's: its hash

    def settled() -> tuple:
        """DescribeTransactions once the transaction is out of Prepare* (Kafka writes markers
        after its EndTxn answer) and, for a timeout, out of Ongoing."""
        deadline = time.monotonic() + 30
        while (d := describe())[1] in ("PrepareCommit", "PrepareAbort") and time.monotonic() < deadline:
            time.sleep(0.1)
        return d

    def end(version: int, epoch: int, commit: bool, producer_id: int = pid) -> tuple:
        a = c.call(END_TXN, version, {"transactional_id": tid, "producer_id": producer_id, "producer_epoch": epoch,
                                      "committed": commit})
        if a["error_code"] == 0:
            settled()
        got_pid = a.get("producer_id", -1)
        return a["error_code"], "same id" if got_pid == pid else got_pid, rel(a.get("producer_epoch", -1))

    def offsets(version: int, epoch: int) -> list:
        answer = c.call(TXN_OFFSET_COMMIT, version, {
            "transactional_id": tid, "group_id": group, "producer_id": pid, "producer_epoch": epoch,
            "generation_id_or_member_epoch": -1, "member_id": "", "group_instance_id": None,
            "topics": [{"name": topic, "partitions": [{"partition_index": 0, "committed_offset": 1,
                                                       "committed_leader_epoch": -1, "committed_metadata": ""}]}]})
        return [p["error_code"] for t in answer["topics"] for p in t["partitions"]]

    def marker_epochs() -> list:
        """(offset, attributes, producer epoch - e0) of each batch of partition 0."""
        batches = parse_batches(c.fetch(topic, 0, 0).records)
        return [(b.base_offset, b.attributes, b.producer_epoch - e0) for b in batches]

    steps.append(("empty", describe()))
    steps.append(("produce v12 adds its partition", produce(12, 0, e0, 0), describe()))
    steps.append(("produce v12, second partition", produce(12, 1, e0, 0)))
    steps.append(("produce v11, partition already in", produce(11, 1, e0, 1), describe()))
    steps.append(("end v5 commit", end(5, e0, True), settled()))
    steps.append(("end v5 commit, retry", end(5, e0, True)))
    steps.append(("end v5 abort, retry epoch", end(5, e0, False)))
    steps.append(("end v5 commit, current epoch", end(5, e0 + 1, True)))
    steps.append(("end v4 commit, current epoch", end(4, e0 + 1, True)))
    steps.append(("end v5 abort of no transaction", end(5, e0 + 1, False), describe()))
    steps.append(("end v5 abort, retry", end(5, e0 + 1, False)))
    steps.append(("end v5 abort again", end(5, e0 + 2, False), describe()))
    e = e0 + 3
    steps.append(("produce v11 outside the transaction", produce(11, 0, e, 0)))
    steps.append(("produce v12 with an old epoch", produce(12, 0, e0, 5)))
    steps.append(("produce v12 at the new epoch, sequence 0", produce(12, 0, e, 0)))
    added = c.call(ADD_PARTITIONS, 4, {"transactions": [{"transactional_id": tid, "producer_id": pid,
                                                          "producer_epoch": e, "verify_only": False,
                                                          "topics": [{"name": topic, "partitions": [1]}]}]})
    steps.append(("add partitions v4 into it", [p["partition_error_code"] for t in added["results_by_transaction"]
                                                for r in t["topic_results"] for p in r["results_by_partition"]]))
    deadline = time.monotonic() + 60
    while c.call(FIND_COORDINATOR, 4, {"key_type": 0, "coordinator_keys": [group]})["coordinators"][0]["error_code"]:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    deadline = time.monotonic() + 60
    while (committed := offsets(5, e)) != [0] and time.monotonic() < deadline:
        time.sleep(0.3)  # Kafka loads `__consumer_offsets` after creating it
    steps.append(("txn offset commit v5 adds the group's partition", committed, describe()))
    steps.append(("end v4 commit of it: no bump", end(4, e, True), settled()))
    steps.append(("end v5 commit then", end(5, e, True)))
    steps.append(("markers", marker_epochs()))

    init = c.call(INIT_PID, 5, {"transactional_id": tid, "transaction_timeout_ms": 60000, "producer_id": pid,
                                "producer_epoch": e})
    e = init["producer_epoch"]
    steps.append(("init with the current id and epoch", init["error_code"], rel(e)))
    steps.append(("produce v12", produce(12, 0, e, 0)))
    init = c.call(INIT_PID, 5, {"transactional_id": tid, "transaction_timeout_ms": 60000, "producer_id": -1,
                                "producer_epoch": -1})
    steps.append(("init over an ongoing transaction", init["error_code"], rel(init["producer_epoch"]), settled()))
    init = c.call(INIT_PID, 5, {"transactional_id": tid, "transaction_timeout_ms": 60000, "producer_id": -1,
                                "producer_epoch": -1})
    steps.append(("init, retried", init["error_code"], rel(init["producer_epoch"])))
    steps.append(("end v5 abort with the fenced epoch", end(5, e, False)))

    init = c.call(INIT_PID, 5, {"transactional_id": tid, "transaction_timeout_ms": 1000, "producer_id": -1,
                                "producer_epoch": -1})
    e = init["producer_epoch"]
    steps.append(("init with a 1 s timeout", init["error_code"], rel(e)))
    steps.append(("produce v12", produce(12, 0, e, 0)))
    deadline = time.monotonic() + 60  # both abort timed-out transactions every 10 s by default
    while describe()[1] != "CompleteAbort" and time.monotonic() < deadline:
        time.sleep(0.2)
    steps.append(("aborted on timeout", describe()))
    steps.append(("produce v12 after the timeout", produce(12, 0, e, 1)))
    steps.append(("end v5 commit after the timeout", end(5, e, True)))
    steps.append(("end v5 abort after the timeout: a retry", end(5, e, False)))
    steps.append(("markers", marker_epochs()))

    init = c.call(INIT_PID, 4, {"transactional_id": tid, "transaction_timeout_ms": 60000, "producer_id": -1,
                                "producer_epoch": -1})
    e = init["producer_epoch"]
    steps.append(("init v4", init["error_code"], rel(e)))
    steps.append(("txn offset commit v4 outside the transaction", offsets(4, e)))
    steps.append(("txn offset commit v3 outside the transaction", offsets(3, e)))
    steps.append(("produce v11 outside", produce(11, 0, e, 0)))
    steps.append(("produce v10 outside", produce(10, 0, e, 0)))
    steps.append(("produce v3 outside", produce(3, 0, e, 0)))
    steps.append(("end v4 abort in Empty", end(4, e, False)))
    steps.append(("end v5 abort in Empty", end(5, e, False), describe()))
    c.close()
    return steps


def test_transaction_version_2_as_kafka(broker, kafka_reference):
    assert_same_answers(scenario(broker.bootstrap), scenario(kafka_reference.bootstrap))


def feature_updates(bootstrap: str) -> list[tuple]:
    """transaction.version lowered and raised with UpdateFeatures v1: each answer and the level
    ApiVersions then reports (the epochs differ: Kafka's is its metadata offset). Ends at 2."""
    steps: list[tuple] = []
    with RawConnection(bootstrap, timeout=30) as c:
        def level() -> list:
            answer = c.call(API_VERSIONS, 3, {"client_software_name": "t", "client_software_version": "1"})
            return [f["max_version_level"] for f in answer["finalized_features"] if f["name"] == "transaction.version"]

        try:
            for target, upgrade_type, validate in [(0, 1, False), (0, 2, True), (1, 2, False), (0, 3, False),
                                                   (3, 1, False), (2, 1, False), (1, 1, False)]:
                answer = c.call(UPDATE_FEATURES, 1, {"timeout_ms": 5000, "validate_only": validate, "feature_updates": [
                    {"feature": "transaction.version", "max_version_level": target, "upgrade_type": upgrade_type,
                     "allow_downgrade": False}]})
                deadline = time.monotonic() + 10  # Kafka applies the change through its metadata log
                while answer["error_code"] == 0 and not validate and level() != ([target] if target else []) \
                        and time.monotonic() < deadline:
                    time.sleep(0.1)
                steps.append((target, upgrade_type, validate, answer["error_code"], answer["error_message"],
                              [(r["error_code"], r["error_message"]) for r in answer["results"]], level()))
        finally:
            c.call(UPDATE_FEATURES, 1, {"timeout_ms": 5000, "validate_only": False, "feature_updates": [
                {"feature": "transaction.version", "max_version_level": 2, "upgrade_type": 1,
                 "allow_downgrade": False}]})
    return steps


def test_transaction_version_updates_as_kafka(broker, kafka_reference):
    assert_same_answers(feature_updates(broker.bootstrap), feature_updates(kafka_reference.bootstrap))
