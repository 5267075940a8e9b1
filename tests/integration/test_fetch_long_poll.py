"""Fetch long poll (raw Fetch v11): with no data the broker holds the request for max_wait_ms, and
answers as soon as min_bytes of data arrive; other connections are served meanwhile.
"""
from __future__ import annotations

import threading
import time

from clients import (
    NONE,
    RawConnection,
    RawRecord,
    build_batch,
    create_topic,
    parse_batches,
    unique_topic,
    wait_until_fetchable,
)


def one_record(value: bytes) -> bytes:
    return build_batch([RawRecord(b"k", value)])


def timed_fetch(conn: RawConnection, topic: str, offset: int, **kw):
    t0 = time.monotonic()
    res = conn.fetch(topic, 0, offset, **kw)
    return res, time.monotonic() - t0


def test_max_wait_honoured_without_data(broker):
    topic = unique_topic("lp")
    create_topic(broker.bootstrap, topic, 1)
    wait_until_fetchable(broker.bootstrap, topic, 1)
    with RawConnection(broker.bootstrap) as conn:
        res, elapsed = timed_fetch(conn, topic, 0, max_wait_ms=800, min_bytes=1)
        assert res.error == NONE and res.high_watermark == 0 and res.records == b""
        assert 0.7 <= elapsed < 3.0, f"empty fetch with max_wait_ms=800 answered after {elapsed:.2f}s"

        res, elapsed = timed_fetch(conn, topic, 0, max_wait_ms=0, min_bytes=1)
        assert res.error == NONE and elapsed < 0.5, f"max_wait_ms=0 took {elapsed:.2f}s"


def test_returns_early_when_data_arrives(broker):
    topic = unique_topic("lp-early")
    create_topic(broker.bootstrap, topic, 1)
    wait_until_fetchable(broker.bootstrap, topic, 1)

    def produce_later() -> None:
        time.sleep(0.5)
        with RawConnection(broker.bootstrap) as producer:
            assert producer.produce(topic, 0, one_record(b"wake up")) == (NONE, 0)

    with RawConnection(broker.bootstrap, timeout=15) as conn:
        thread = threading.Thread(target=produce_later)
        thread.start()
        res, elapsed = timed_fetch(conn, topic, 0, max_wait_ms=8000, min_bytes=1)
        thread.join()
        assert res.error == NONE
        assert 0.4 <= elapsed < 4.0, f"long poll answered after {elapsed:.2f}s (data came at 0.5s, max wait 8s)"
        [batch] = parse_batches(res.records)
        assert [(o, r.value) for o, r in batch.records] == [(0, b"wake up")]


def test_data_already_there_answers_at_once(broker):
    topic = unique_topic("lp-now")
    create_topic(broker.bootstrap, topic, 1)
    wait_until_fetchable(broker.bootstrap, topic, 1)
    with RawConnection(broker.bootstrap) as conn:
        assert conn.produce(topic, 0, one_record(b"x")) == (NONE, 0)
        res, elapsed = timed_fetch(conn, topic, 0, max_wait_ms=5000, min_bytes=1)
        assert res.error == NONE and len(parse_batches(res.records)) == 1
        assert elapsed < 1.0, f"fetch with data available waited {elapsed:.2f}s"


def test_min_bytes_waits_for_enough_data(broker):
    """Less than min_bytes available: the broker waits out max_wait_ms, then returns what it has."""
    topic = unique_topic("lp-min")
    create_topic(broker.bootstrap, topic, 1)
    wait_until_fetchable(broker.bootstrap, topic, 1)
    with RawConnection(broker.bootstrap) as conn:
        assert conn.produce(topic, 0, one_record(b"small")) == (NONE, 0)
        res, elapsed = timed_fetch(conn, topic, 0, max_wait_ms=700, min_bytes=100_000)
        assert res.error == NONE and len(parse_batches(res.records)) == 1
        assert 0.6 <= elapsed < 3.0, f"min_bytes not reached, answered after {elapsed:.2f}s"


def test_long_poll_does_not_block_other_connections(broker):
    topic = unique_topic("lp-other")
    create_topic(broker.bootstrap, topic, 1)
    wait_until_fetchable(broker.bootstrap, topic, 1)
    with RawConnection(broker.bootstrap, timeout=15) as waiting, RawConnection(broker.bootstrap) as other:
        corr = waiting.send_request(1, 11, _fetch_body(topic, max_wait_ms=3000))
        t0 = time.monotonic()
        err, _ = other.api_versions(0)
        assert err == NONE and time.monotonic() - t0 < 1.0, "a parked fetch blocked another connection"
        assert other.produce(topic, 0, one_record(b"go")) == (NONE, 0)
        frame = waiting.recv_frame()
        assert int.from_bytes(frame[:4], "big", signed=True) == corr
        assert time.monotonic() - t0 < 2.5, "the parked fetch was not woken by the produce"


def _fetch_body(topic: str, max_wait_ms: int) -> bytes:
    from clients import i8, i32, i64, string

    return (i32(-1) + i32(max_wait_ms) + i32(1) + i32(1 << 20) + i8(0) + i32(0) + i32(-1)
            + i32(1) + string(topic) + i32(1) + i32(0) + i32(-1) + i64(0) + i64(-1) + i32(1 << 20)
            + i32(0) + string(""))
