"""The Java side of transactions (jars from Maven Central through fastlog.kafka_dist).

- The Java 4.x producer with a transactional.id: fastlog finalizes transaction.version 2, so it
  uses KIP-890's flow (no AddPartitionsToTxn or AddOffsetsToTxn, an epoch bump per EndTxn) and
  gets its aborted records hidden from a read_committed reader and its transactional offsets
  committed; with transaction.version lowered to 0 (kafka-features downgrade) it keeps the classic
  flow (AddPartitionsToTxn, AddOffsetsToTxn, one epoch).
- Kafka's `kafka-transactions` tool (TransactionsCommand): list, describe, describe-producers,
  find-hanging and abort against fastlog.
"""
from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import confluent_kafka
import pytest
from test_transactions import commit_end, read_until_end, txn_producer

from fastlog import kafka_dist as kd

from clients import RawConnection, create_topic, unique_topic

pytestmark = pytest.mark.timeout(300)

JAVA_DIR = Path(__file__).parent / "java"
TRANSACTIONS_COMMAND = "org.apache.kafka.tools.TransactionsCommand"
FEATURE_COMMAND = "org.apache.kafka.tools.FeatureCommand"


@pytest.fixture(scope="module")
def kafka_classpath() -> str:
    return kd.classpath()


def tool(bootstrap: str, *args: str) -> str:
    proc = kd.run_class(TRANSACTIONS_COMMAND, ["--bootstrap-server", bootstrap, *args], timeout=90)
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout[-2000:]}\n" \
                                 f"{proc.stderr[-4000:]}"
    return proc.stdout


def run_txn_producer(broker, kafka_classpath: str, tmp_path: Path) -> tuple[str, str]:
    """TxnProducer.java against `broker`: (topic, transactional id)."""
    topic = unique_topic("txn-java")
    create_topic(broker.bootstrap, topic, 1)
    subprocess.run(["javac", "-d", str(tmp_path), "-cp", kafka_classpath, str(JAVA_DIR / "TxnProducer.java")],
                   check=True, capture_output=True, timeout=120)
    txn_id = "java-" + uuid.uuid4().hex[:6]
    proc = subprocess.run(["java", *kd.FAST_START_OPTS, "-cp", f"{tmp_path}:{kafka_classpath}", "TxnProducer",
                           broker.bootstrap, topic, txn_id], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "done" in proc.stdout, proc.stderr[-4000:]
    return topic, txn_id


def final_epoch(bootstrap: str, txn_id: str) -> tuple:
    with RawConnection(bootstrap) as raw:
        state = raw.call(65, 0, {"transactional_ids": [txn_id]})["transaction_states"][0]
    return state["error_code"], state["transaction_state"], state["producer_epoch"]


def test_java_producer_uses_transaction_version_2(broker, kafka_classpath, tmp_path):
    topic, txn_id = run_txn_producer(broker, kafka_classpath, tmp_path)
    commit_end(broker.bootstrap, topic, 1)
    assert read_until_end(broker.bootstrap, topic, 1, "read_committed")[0] == [
        b"java-committed-0", b"java-committed-1", b"java-committed-2", b"java-offsets"]
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": txn_id + "-group"})
    try:
        committed = consumer.committed([confluent_kafka.TopicPartition(topic, 0)], 30)
    finally:
        consumer.close()
    assert committed[0].offset == 42
    # Three transactions ended with EndTxn v5, each a bump: the classic flow would leave epoch 0.
    assert final_epoch(broker.bootstrap, txn_id) == (0, "CompleteCommit", 3)


def test_java_producer_keeps_the_classic_flow_below_transaction_version_2(broker, kafka_classpath, tmp_path):
    """kafka-features downgrades transaction.version to 0: the Java producer then sends
    AddPartitionsToTxn and keeps its epoch, as against a Kafka cluster at that level."""
    proc = kd.run_class(FEATURE_COMMAND, ["--bootstrap-server", broker.bootstrap, "downgrade", "--feature",
                                          "transaction.version=0"], timeout=90)
    assert proc.returncode == 0 and "transaction.version was downgraded to 0." in proc.stdout, proc.stdout
    topic, txn_id = run_txn_producer(broker, kafka_classpath, tmp_path)
    commit_end(broker.bootstrap, topic, 1)
    assert read_until_end(broker.bootstrap, topic, 1, "read_committed")[0] == [
        b"java-committed-0", b"java-committed-1", b"java-committed-2", b"java-offsets"]
    assert final_epoch(broker.bootstrap, txn_id) == (0, "CompleteCommit", 0)


def test_kafka_transactions_tool(broker, kafka_classpath):
    topic = unique_topic("txn-tool")
    create_topic(broker.bootstrap, topic, 1)
    txn_id = "tool-" + uuid.uuid4().hex[:6]
    # Five JVM runs may take over librdkafka's default 60 s transaction timeout on a loaded machine.
    producer = txn_producer(broker.bootstrap, txn_id, **{"transaction.timeout.ms": 600000})
    producer.begin_transaction()
    producer.produce(topic, value=b"open", partition=0)
    producer.flush(30)

    listed = tool(broker.bootstrap, "list")
    assert re.search(rf"^{txn_id}\s+\d+\s+\d+\s+Ongoing\s*$", listed, re.M), listed

    described = tool(broker.bootstrap, "describe", "--transactional-id", txn_id)
    assert re.search(rf"{txn_id}\s+\d+\s+0\s+Ongoing\s+\d+\s+\d+\s+\d+\s+{topic}-0", described), described

    producers = tool(broker.bootstrap, "describe-producers", "--topic", topic, "--partition", "0")
    rows = [line.split() for line in producers.splitlines()[1:] if line.strip()]
    assert len(rows) == 1 and rows[0][-1] == "0", producers  # CurrentTransactionStartOffset 0

    # The coordinator knows the transaction, so it is not hanging.
    hanging = tool(broker.bootstrap, "find-hanging", "--broker-id", "1")
    assert txn_id not in hanging and topic not in hanging, hanging

    # abort writes the ABORT marker through WriteTxnMarkers (as for a hanging transaction).
    tool(broker.bootstrap, "abort", "--topic", topic, "--partition", "0", "--start-offset", "0")
    producers = tool(broker.bootstrap, "describe-producers", "--topic", topic, "--partition", "0")
    rows = [line.split() for line in producers.splitlines()[1:] if line.strip()]
    assert rows and rows[0][-1] == "None", producers  # the tool prints no start offset as None
    producer.abort_transaction(30)
    commit_end(broker.bootstrap, topic, 1)
    assert read_until_end(broker.bootstrap, topic, 1, "read_committed")[0] == []
