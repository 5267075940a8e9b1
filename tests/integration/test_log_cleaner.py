"""Log compaction (the log cleaner) through real clients.

- Keys overwritten many times plus tombstones: after a pass a consumer from the start sees one
  record per key below the cleaner checkpoint (the last value, at its original offset) and
  everything produced after it; tombstones stay until delete.retention.ms (changed live) and go.
- `compact,delete`: retention deletes old segments and the cleaner compacts the rest.
- Segments that hold only empty batches (each idempotent producer's last) are read through:
  librdkafka from the log start gets records, not MSG_SIZE_TOO_LARGE.
- kill -9 while passes run (a test hook pauses between the swap's file steps): after each
  restart every key still reads back its last value.
- `__consumer_offsets` is cleaned like any compacted topic: many commits leave it small, and
  the last committed offsets survive a restart.
- A record without a key is refused by a compacted topic: INVALID_RECORD with record errors.
"""
from __future__ import annotations

import os
import random
import time

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

from clients import (
    RawConnection,
    RawRecord,
    build_batch,
    cleaner_checkpoint,
    cleaner_settled,
    confluent_consumer,
    consume_aiokafka,
    consume_kafka_python,
    parse_batches,
    read_partition_zero,
    unique_topic,
    wait_until,
)

FAST_CLEANER = {"log.cleaner.backoff.ms": 50}
COMPACTED = {"cleanup.policy": "compact", "segment.bytes": "8192", "min.cleanable.dirty.ratio": "0.01"}


def create(bootstrap: str, topic: str, configs: dict[str, str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config=configs)])[topic].result(30)


def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes | None]], codec: str = "none",
            timestamp: int = 0) -> list[tuple[int, bytes, bytes | None]]:
    """Produce to partition 0; (offset, key, value) of each, from the delivery reports."""
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "compression.type": codec,
                                         "linger.ms": 5, "acks": "all"})
    out: list[tuple[int, bytes, bytes | None]] = []
    errors = []

    def delivered(err, msg) -> None:
        if err is not None:
            errors.append(err)
        else:
            out.append((msg.offset(), msg.key(), msg.value()))

    for key, value in records:
        producer.produce(topic, key=key, value=value, partition=0, on_delivery=delivered, timestamp=timestamp)
        producer.poll(0)
    assert producer.flush(60) == 0
    assert not errors, errors[:3]
    return sorted(out)


def consume_all(bootstrap: str, topic: str) -> list[tuple[int, bytes, bytes | None]]:
    """Every record of partition 0 from the log start to the current log end."""
    return read_partition_zero(bootstrap, topic)[0]


def check_compacted(records, produced, end: int) -> None:
    """Below `end` one record per key, the last one produced below `end` (tombstones too, unless
    removed); from `end` on exactly what was produced."""
    by_offset = {o: (k, v) for o, k, v in produced}
    for o, k, v in records:
        assert by_offset[o] == (k, v), f"offset {o} holds {(k, v)}, produced {by_offset[o]}"
    below = [r for r in records if r[0] < end]
    keys = [k for _, k, _ in below]
    assert len(keys) == len(set(keys)), "a key appears twice below the cleaner checkpoint"
    last = {k: o for o, k, _ in produced if o < end}
    assert {k: o for o, k, _ in below} == {k: o for k, o in last.items() if k in set(keys)}
    assert [r for r in records if r[0] >= end] == [r for r in produced if r[0] >= end]


def value(key: int, n: int) -> bytes:
    # Incompressible, so that segments fill up whatever the codec.
    return f"k{key}-v{n}-".encode() + random.Random(key * 100_000 + n).randbytes(100)


@pytest.mark.parametrize("codec", ["none", "lz4", "snappy", "zstd"])
def test_compaction_keeps_the_last_value_of_each_key(broker_factory, codec):
    broker = broker_factory(FAST_CLEANER)
    topic = unique_topic(f"compact-{codec}")
    create(broker.bootstrap, topic, COMPACTED)
    produced = []
    for n in range(30):
        produced += produce(broker.bootstrap, topic, [(b"k%d" % k, value(k, n)) for k in range(30)], codec)
    produced += produce(broker.bootstrap, topic, [(b"k%d" % k, None) for k in range(5)], codec)
    tombstones = produced[-1][0]
    for n in range(30, 40):  # later segments, so that the tombstones' segment gets cleaned
        produced += produce(broker.bootstrap, topic, [(b"k%d" % k, value(k, n)) for k in range(10, 30)], codec)
    produced += produce(broker.bootstrap, topic, [(b"tail%d" % i, b"t") for i in range(20)], codec)
    end = cleaner_settled(broker, topic)
    assert end > tombstones
    records = consume_all(broker.bootstrap, topic)
    check_compacted(records, produced, end)
    assert len(records) < len(produced) / 5
    # delete.retention.ms is a day: the tombstones are still there.
    assert {k for o, k, v in records if v is None and o < end} == {b"k%d" % k for k in range(5)}
    assert f"cleaned {topic}-0 offsets" in broker.log_tail(200_000)
    # The Python clients read the compacted log (holes, rebuilt and empty batches) the same way.
    for consume in (consume_kafka_python, consume_aiokafka):
        assert [(c.offset, c.key, c.value) for c in consume(broker.bootstrap, topic, len(records), [0])] == records

    # delete.retention.ms=0, set live: the next pass removes them.
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    resource = ConfigResource("topic", topic, incremental_configs=[
        ConfigEntry("delete.retention.ms", "0", incremental_operation=AlterConfigOpType.SET)])
    list(admin.incremental_alter_configs([resource]).values())[0].result(10)
    for n in range(40, 50):
        produced += produce(broker.bootstrap, topic, [(b"k%d" % k, value(k, n)) for k in range(10, 30)], codec)
    assert wait_until(lambda: cleaner_checkpoint(broker, topic) > end, 60), broker.log_tail()
    end = cleaner_settled(broker, topic)
    records = consume_all(broker.bootstrap, topic)
    assert not [r for r in records if r[2] is None and r[0] < end]
    assert not [r for r in records if r[1] in {b"k%d" % k for k in range(5)}]
    check_compacted(records, [r for r in produced if r[2] is not None or r[0] >= end], end)

    # Everything survives a restart.
    broker.restart(clean=True)
    assert consume_all(broker.bootstrap, topic) == records


def test_compact_delete_does_both(broker_factory):
    broker = broker_factory({**FAST_CLEANER, "log.retention.check.interval.ms": 100})
    topic = unique_topic("compact-delete")
    create(broker.bootstrap, topic, {**COMPACTED, "cleanup.policy": "compact,delete", "retention.ms": "1800000"})
    # Records an hour old: retention deletes their segments (compacted or not).
    hour_ago = int(time.time() * 1000) - 3_600_000
    for n in range(10):
        produce(broker.bootstrap, topic, [(b"k%d" % k, value(k, n)) for k in range(40)], timestamp=hour_ago)
    consumer = confluent_consumer(broker.bootstrap)
    try:
        def start() -> int:
            return consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10)[0]
        assert wait_until(lambda: start() > 0, 60), broker.log_tail()
        old_gone = start()
    finally:
        consumer.close()
    # Current records: compacted, not deleted.
    produced = []
    for n in range(10, 40):
        produced += produce(broker.bootstrap, topic, [(b"k%d" % k, value(k, n)) for k in range(40)])
    end = cleaner_settled(broker, topic)
    records = consume_all(broker.bootstrap, topic)
    assert records[0][0] >= old_gone > 0
    assert end > produced[0][0] and len(records) < len(produced) / 4
    check_compacted(records, [r for r in produced if r[0] >= records[0][0]], end)


def test_segments_of_empty_batches_are_read_through(broker_factory):
    # Each idempotent producer's last batch stays in the log as an empty batch once its records
    # are superseded (for producer state), so cleaning leaves whole segments of empty batches.
    # A fetch answer that holds only empty batches makes librdkafka double its fetch size; the
    # eleventh in a row is MSG_SIZE_TOO_LARGE ("might be too large to fetch"). The broker must
    # answer with the records after them.
    broker = broker_factory(FAST_CLEANER)
    topic = unique_topic("compact-empties")
    create(broker.bootstrap, topic, {**COMPACTED, "segment.bytes": "1024"})
    producers = 240
    with RawConnection(broker.bootstrap) as conn:
        for n in range(producers):
            init = conn.call(22, 3, {"transactional_id": None, "transaction_timeout_ms": 60000,
                                     "producer_id": -1, "producer_epoch": -1})
            assert init["error_code"] == 0, init
            batch = build_batch([RawRecord(b"k", value(0, n))], producer_id=init["producer_id"],
                                producer_epoch=init["producer_epoch"], base_sequence=0)
            assert conn.produce(topic, 0, batch)[0] == 0
    last = produce(broker.bootstrap, topic, [(b"k", b"the last value")])
    cleaned_below = cleaner_settled(broker, topic)
    log_dir = os.path.join(broker.data_dir, "logs", f"{topic}-0")
    empty_only = 0
    for name in sorted(os.listdir(log_dir)):
        if name.endswith(".log"):
            batches = parse_batches(open(os.path.join(log_dir, name), "rb").read())
            empty_only += bool(batches) and all(not b.records for b in batches)
    assert empty_only > 11, f"only {empty_only} segments hold nothing but empty batches"
    records = consume_all(broker.bootstrap, topic)
    assert records[-1] == last[0]
    # Below the checkpoint one record of the key is left: the newest the pass could see.
    assert len([r for r in records if r[0] < cleaned_below]) == 1


def test_kill_during_cleaning_loses_no_last_value(broker_factory, tmp_path, monkeypatch):
    # Each file step of a swap waits 100 ms: kills land inside swaps as well as between them.
    monkeypatch.setenv("FASTLOG_CLEANER_TEST_PAUSE_MS", "100")
    broker = broker_factory({"log.cleaner.backoff.ms": 10}, data_dir=tmp_path / "crashy")
    topic = unique_topic("compact-kill")
    create(broker.bootstrap, topic, {**COMPACTED, "segment.bytes": "4096"})
    rng = random.Random(7)
    last: dict[bytes, bytes] = {}
    n = 0
    for cycle in range(6):
        batch = []
        for _ in range(400):
            k = b"k%d" % rng.randrange(60)
            batch.append((k, value(int(k[1:]), n)))
            n += 1
        for _, k, v in produce(broker.bootstrap, topic, batch):
            last[k] = v
        time.sleep(rng.uniform(0.05, 1.0))
        broker.kill()
        broker.start()
        records = consume_all(broker.bootstrap, topic)
        seen: dict[bytes, bytes | None] = {}
        for _, k, v in records:
            seen[k] = v
        assert seen == last, f"cycle {cycle}: a key lost its last value"
    assert wait_until(lambda: cleaner_checkpoint(broker, topic) > 0, 60)
    assert "cleaned " in open(broker.log_file, encoding="utf-8").read()


def test_keyless_record_is_refused_by_a_compacted_topic(broker):
    topic = unique_topic("compact-keyless")
    create(broker.bootstrap, topic, COMPACTED)
    batch = build_batch([RawRecord(b"k", b"v"), RawRecord(None, b"no key"), RawRecord(None, b"none either")])
    with RawConnection(broker.bootstrap) as conn:
        answer = conn.call(0, 9, {"transactional_id": None, "acks": -1, "timeout_ms": 5000, "topic_data": [
            {"name": topic, "partition_data": [{"index": 0, "records": batch}]}]})
    part = answer["responses"][0]["partition_responses"][0]
    why = f"Compacted topic cannot accept message without key in topic partition {topic}-0"
    assert part["error_code"] == 87  # INVALID_RECORD
    assert part["record_errors"] == [{"batch_index": 1, "batch_index_error_message": why},
                                     {"batch_index": 2, "batch_index_error_message": why}]
    assert part["error_message"] == (
        "One or more records have been rejected due to 2 record errors in total, and only showing the first "
        f"three errors at most: [RecordError(batchIndex=1, message='{why}'), "
        f"RecordError(batchIndex=2, message='{why}')]")

    # A client sees INVALID_RECORD; a record with a key goes in.
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "retries": 0})
    errors = []
    producer.produce(topic, value=b"x", partition=0, on_delivery=lambda err, msg: errors.append(err))
    producer.flush(30)
    assert errors and errors[0].code() == confluent_kafka.KafkaError.INVALID_RECORD
    assert produce(broker.bootstrap, topic, [(b"k", b"v")])[0][0] == 0


def test_consumer_offsets_stay_small_and_survive_restart(broker_factory):
    broker = broker_factory({**FAST_CLEANER, "offsets.topic.num.partitions": 1, "offsets.topic.segment.bytes": 4096})
    topic = unique_topic("commits")
    create(broker.bootstrap, topic, {})
    produce(broker.bootstrap, topic, [(b"k", b"v")] * 10)
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "committer",
                                         "enable.auto.commit": False})
    try:
        for i in range(1500):
            consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, i, f"m{i}")], asynchronous=False)
    finally:
        consumer.close()
    cleaner_settled(broker, "__consumer_offsets")
    partition = os.path.join(broker.data_dir, "logs", "__consumer_offsets-0")
    size = sum(os.path.getsize(os.path.join(partition, n)) for n in os.listdir(partition) if n.endswith(".log"))
    assert size < 3 * 4096, f"{size} bytes of offsets log for 1500 commits of one partition"

    broker.restart(clean=True)
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "committer"})
    try:
        [got] = consumer.committed([confluent_kafka.TopicPartition(topic, 0)], timeout=30)
        assert (got.offset, got.metadata) == (1499, "m1499")
    finally:
        consumer.close()


def test_dynamic_cleaner_backoff_applies_at_once(broker_factory):
    """log.cleaner.backoff.ms changed at runtime takes effect now, as in Kafka (its
    LogCleaner.reconfigure restarts the cleaner threads): a cleaner sleeping a one-hour backoff
    cleans the dirty log soon after the backoff is set to 50 ms."""
    broker = broker_factory({"log.cleaner.backoff.ms": 3_600_000})
    topic = unique_topic("backoff")
    create(broker.bootstrap, topic, COMPACTED)
    for n in range(5):   # five rounds: five batches, so segments roll and there is something to clean
        produce(broker.bootstrap, topic, [(b"k%d" % i, value(i, n) + b"." * 1000) for i in range(10)])
    time.sleep(1)
    assert cleaner_checkpoint(broker, topic) == -1   # asleep: nothing cleaned yet
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    resource = ConfigResource(ConfigResource.Type.BROKER, "1", incremental_configs=[
        ConfigEntry("log.cleaner.backoff.ms", "50", incremental_operation=AlterConfigOpType.SET)])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(30)
    assert wait_until(lambda: cleaner_checkpoint(broker, topic) > 0, 60), "no pass after the backoff change"
