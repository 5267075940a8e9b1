"""Fetch details clients rely on:
- responses on one connection come back in request order, even behind a parked long poll;
- a fetch from an offset inside a batch returns that batch (clients skip the records before);
- the first batch is returned whole even when it is bigger than max_bytes (KIP-74), so a consumer
  never gets stuck on a big record.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from clients import (
    CONSUMERS,
    NONE,
    PRODUCERS,
    Consumed,
    RawConnection,
    RawRecord,
    build_batch,
    consume_confluent,
    create_topic,
    i8,
    i32,
    i64,
    parse_api_versions,
    parse_batches,
    record_key,
    string,
    unique_topic,
)


def fetch_body(topic: str, offset: int = 0, max_wait_ms: int = 0) -> bytes:
    """Fetch v11 body for partition 0 (same layout as RawConnection.fetch)."""
    return (i32(-1) + i32(max_wait_ms) + i32(1) + i32(1 << 20) + i8(0) + i32(0) + i32(-1)
            + i32(1) + string(topic) + i32(1) + i32(0) + i32(-1) + i64(offset) + i64(-1) + i32(1 << 20)
            + i32(0) + string(""))


def test_pipelined_requests_answered_in_order(broker):
    topic = unique_topic("pipe")
    create_topic(broker.bootstrap, topic, 1)
    with RawConnection(broker.bootstrap, timeout=15) as conn:
        sent = []
        # a long poll first: the quick requests behind it must still be answered after it
        sent.append(conn.send_request(1, 11, fetch_body(topic, max_wait_ms=500)))
        for n in range(30):
            if n % 3 == 0:
                sent.append(conn.send_request(18, 0, b""))
            elif n % 3 == 1:
                sent.append(conn.send_request(3, 5, i32(1) + string(topic) + i8(0)))
            else:
                sent.append(conn.send_request(1, 11, fetch_body(topic)))
        t0 = time.monotonic()
        got = []
        for _ in sent:
            frame = conn.recv_frame()
            got.append(int.from_bytes(frame[:4], "big", signed=True))
        assert got == sent, "responses out of request order"
        assert time.monotonic() - t0 >= 0.4, "the long poll was answered before its max wait"
        # and the connection is still in a sane state
        err, _ = parse_api_versions(conn.request(18, 0, b""), flexible=False)
        assert err == NONE


@pytest.mark.parametrize("client", list(CONSUMERS))
def test_consume_from_the_middle_of_a_batch(broker, client):
    topic = unique_topic(f"mid-{client}")
    create_topic(broker.bootstrap, topic, 1)
    PRODUCERS["confluent"](broker.bootstrap, topic, 20_000, 1, codec="lz4")
    with RawConnection(broker.bootstrap) as conn:
        res = conn.fetch(topic, 0, 5555, max_bytes=1 << 16)
        assert res.error == NONE
        [first, *_] = parse_batches(res.records)
        assert first.base_offset <= 5555 <= first.base_offset + first.last_offset_delta
    if client == "confluent":
        records = consume_confluent(broker.bootstrap, topic, 100, [0], start=5555)
    else:
        records = _consume_from(client, broker.bootstrap, topic, 5555, 100)
    assert [r.offset for r in records[:100]] == list(range(5555, 5655))
    assert [r.key for r in records[:100]] == [record_key(i) for i in range(5555, 5655)]


def _consume_from(client: str, bootstrap: str, topic: str, offset: int, count: int):
    if client == "kafka-python":
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            out: list[Consumed] = []
            deadline = time.monotonic() + 30
            while len(out) < count and time.monotonic() < deadline:
                for msgs in consumer.poll(timeout_ms=500).values():
                    out += [Consumed(0, m.offset, m.key, m.value) for m in msgs]
            return out
        finally:
            consumer.close()

    from aiokafka import AIOKafkaConsumer
    from aiokafka import TopicPartition as ATP

    async def run():
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = ATP(topic, 0)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            out: list[Consumed] = []
            deadline = time.monotonic() + 30
            while len(out) < count and time.monotonic() < deadline:
                for msgs in (await consumer.getmany(timeout_ms=500)).values():
                    out += [Consumed(0, m.offset, m.key, m.value) for m in msgs]
            return out
        finally:
            await consumer.stop()

    return asyncio.run(run())


def test_first_batch_returned_whole_even_over_max_bytes(broker):
    topic = unique_topic("kip74")
    create_topic(broker.bootstrap, topic, 1)
    big = build_batch([RawRecord(b"big", b"x" * 50_000)])
    with RawConnection(broker.bootstrap) as conn:
        assert conn.produce(topic, 0, big) == (NONE, 0)
        assert conn.produce(topic, 0, build_batch([RawRecord(b"next", b"y")])) == (NONE, 1)
        res = conn.fetch(topic, 0, 0, max_bytes=1000)
        assert res.error == NONE
        batches = parse_batches(res.records)
        assert batches, "a batch larger than max_bytes must still be returned when it is the first"
        assert batches[0].records[0][1].value == b"x" * 50_000
