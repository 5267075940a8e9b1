"""An idempotent confluent-kafka producer (enable.idempotence=true, acks=all) runs clean against
fastlog: no errors, every record exactly once, per-partition order kept, the offsets in the
delivery reports are where the records really are. Also across a broker restart in the middle of
the run (SIGTERM and SIGKILL): retried batches must be recognised as duplicates from the producer
state the broker rebuilt, so still no duplicates and no gaps.
"""
from __future__ import annotations

import confluent_kafka
import pytest

from clients import (
    RawConnection,
    check_roundtrip,
    confluent_producer_config,
    consume_confluent,
    create_topic,
    parse_batches,
    record_headers,
    record_key,
    record_value,
    unique_topic,
)

COUNT = 50_000
PARTITIONS = 3
CHUNK = 1000          # records queued between polls
MAX_IN_FLIGHT = 4000  # keep some records unacknowledged at any time, so a restart hits them
RESTART_AT = 20_000   # delivery reports seen before the restart


@pytest.mark.parametrize("restart", [None, "sigterm", "sigkill"])
def test_idempotent_producer(broker, restart):
    topic = unique_topic(f"idem-{restart}")
    create_topic(broker.bootstrap, topic, PARTITIONS)
    errors: list[confluent_kafka.KafkaError] = []
    delivered: dict[int, tuple[int, int]] = {}  # i -> (partition, offset)
    failed: list[object] = []

    def on_delivery(err, msg) -> None:
        i = int(msg.key()[1:])
        if err is not None:
            failed.append((i, err))
        else:
            assert i not in delivered, f"record {i} reported twice"
            delivered[i] = (msg.partition(), msg.offset())

    producer = confluent_kafka.Producer(confluent_producer_config(
        broker.bootstrap, "lz4",
        **{"enable.idempotence": True, "acks": "all", "message.timeout.ms": 120000, "linger.ms": 5,
           "error_cb": errors.append}))
    restarted = False
    for start in range(0, COUNT, CHUNK):
        for i in range(start, min(start + CHUNK, COUNT)):
            producer.produce(topic, key=record_key(i), value=record_value(i), partition=i % PARTITIONS,
                             headers=record_headers(i, "idem"), on_delivery=on_delivery)
        producer.poll(0)
        if restart and not restarted and len(delivered) >= RESTART_AT:
            # right after queueing a chunk, so records are queued or in flight across the restart
            assert len(producer) > 0, "nothing in flight: the restart would test nothing"
            broker.restart(clean=(restart == "sigterm"))
            restarted = True
        while len(delivered) + len(failed) < start + CHUNK - MAX_IN_FLIGHT:
            producer.poll(0.05)
    assert producer.flush(120) == 0, "records still unacknowledged after 120 s"

    assert not failed, f"{len(failed)} delivery failures, e.g. {failed[:3]}"
    fatal = [e for e in errors if e.fatal()]
    assert not fatal, f"fatal producer errors: {fatal}"
    if restart is None:
        assert not errors, f"producer errors without any restart: {errors}"
    else:
        assert restarted

    # every record exactly once, in order, offsets contiguous
    records = consume_confluent(broker.bootstrap, topic, COUNT, range(PARTITIONS), timeout=60)
    check_roundtrip(records, COUNT, PARTITIONS, source="idem")
    # and the delivery reports told the truth
    for i, (p, off) in delivered.items():
        assert (p, off) == (i % PARTITIONS, i // PARTITIONS), f"record {i} reported at {p}@{off}"

    # the stored batches carry the producer id and sequence numbers (raw fetch, no client logic)
    with RawConnection(broker.bootstrap) as conn:
        res = conn.fetch(topic, 0, 0, max_bytes=65536)
        batches = parse_batches(res.records)
        assert batches and all(b.producer_id >= 0 for b in batches)
