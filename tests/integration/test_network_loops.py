"""num.network.threads: connections are served on that many event loops, the main one and
threads of their own (server/network_loops.py); handlers stay on the main loop. A real broker,
raw connections and confluent-kafka: each connection accepted in turn lands on the next loop, so
N connections opened one after the other cover every loop."""
from __future__ import annotations

import os
import signal
import threading
import time

from confluent_kafka import Consumer, Producer

from fastlog.server import trace

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

LOOPS = 3


def network_threads(pid: int) -> dict[str, int]:
    """The broker's network loop threads by name, with the nanoseconds each has run."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ran_ns = int(f.read().split()[0])
        except OSError:
            continue
        if name.startswith("fastlog-net-"):
            threads[name] = ran_ns
    return threads


def connections_on_every_loop(broker) -> list[RawConnection]:
    """LOOPS connections, each answered once (so accepted in this order): one on each loop."""
    conns = []
    for _ in range(LOOPS):
        conn = RawConnection(broker.bootstrap, timeout=30)
        assert conn.api_versions(0)[0] == NONE
        conns.append(conn)
    return conns


def test_every_loop_serves_connections(broker_factory):
    broker = broker_factory({"num.network.threads": LOOPS})
    before = network_threads(broker.pid)
    assert sorted(before) == [f"fastlog-net-{n}" for n in range(1, LOOPS)]
    topic = unique_topic("loops")
    create_topic(broker.bootstrap, topic, 1)
    wait_until_fetchable(broker.bootstrap, topic, 1)
    conns = connections_on_every_loop(broker)
    try:
        for round_ in range(50):
            for i, conn in enumerate(conns):
                # every tenth a record set of 64 KiB and more: served on the fast path's threads
                padding = b"." * 100_000 if round_ % 10 == 0 else b""
                records = build_batch([RawRecord(b"k", b"%d-%d:" % (i, round_) + padding)])
                assert conn.produce(topic, 0, records, acks=1) == (NONE, round_ * len(conns) + i)
    finally:
        for conn in conns:
            conn.close()
    after = network_threads(broker.pid)
    # A loop thread with no connections never wakes: each one's time grew only by serving some.
    assert all(after[name] > before[name] for name in before), (before, after)
    values = []
    with RawConnection(broker.bootstrap) as conn:
        while len(values) < 150:
            res = conn.fetch(topic, 0, len(values), max_wait_ms=0, max_bytes=10_000_000)
            assert res.error == NONE and res.records
            for batch in parse_batches(res.records):
                values += [r.value.split(b":")[0] for _, r in batch.records]
    assert values == [b"%d-%d" % (i, round_) for round_ in range(50) for i in range(LOOPS)]


def test_one_network_thread_is_the_main_loop_alone(broker_factory):
    broker = broker_factory({"num.network.threads": 1})
    assert network_threads(broker.pid) == {}
    p = Producer({"bootstrap.servers": broker.bootstrap})
    p.produce(unique_topic("one-loop"), b"x")
    assert p.flush(30) == 0


def test_a_long_poll_on_any_loop_wakes_for_appends_on_every_loop(broker_factory, monkeypatch, tmp_path):
    """A sessionless fetch waits on its connection's loop (the compiled path runs there); a
    small Produce on any loop's connection is appended on that loop (the fast path) and must
    wake it there, not leave it to its max wait: every pair of loops."""
    path = tmp_path / "trace.jsonl"
    monkeypatch.setenv(trace.ENV, str(path))
    broker = broker_factory({"num.network.threads": LOOPS})
    topic = unique_topic("wake")
    create_topic(broker.bootstrap, topic, 1)
    wait_until_fetchable(broker.bootstrap, topic, 1)
    fetchers = connections_on_every_loop(broker)
    producers = connections_on_every_loop(broker)
    offset = 0
    try:
        for fetcher in fetchers:
            for producer in producers:
                def produce_later(producer=producer, offset=offset) -> None:
                    time.sleep(0.3)
                    assert producer.produce(topic, 0, build_batch([RawRecord(b"k", b"v%d" % offset)]),
                                            acks=1) == (NONE, offset)

                thread = threading.Thread(target=produce_later)
                thread.start()
                started = time.monotonic()
                res = fetcher.fetch(topic, 0, offset, max_wait_ms=30_000, min_bytes=1)
                elapsed = time.monotonic() - started
                thread.join()
                assert res.error == NONE
                assert elapsed < 15, f"the long poll ran to {elapsed:.1f} s of its 30 s: no wake-up"
                [batch] = parse_batches(res.records)
                assert [(o, r.value) for o, r in batch.records] == [(offset, b"v%d" % offset)]
                offset += 1
    finally:
        for conn in fetchers + producers:
            conn.close()
    broker.stop()
    every_loop = {"main", *(f"fastlog-net-{n}" for n in range(1, LOOPS))}
    requests = [e for e in trace.read(str(path)) if e["kind"] == "request"]
    assert {e.get("loop", "main") for e in requests if e["api"] == 0 and e.get("fast")} == every_loop
    assert {e.get("loop", "main") for e in requests if e["api"] == 1} == every_loop


def test_the_request_pool_is_shared_by_every_loop(broker_factory):
    """queued.max.request.bytes far below what 6 producers on three loops send at once: requests
    wait for bytes that other loops' connections give back, and every record arrives."""
    broker = broker_factory({"num.network.threads": LOOPS, "queued.max.request.bytes": 300_000})
    topic = unique_topic("pool")
    create_topic(broker.bootstrap, topic, 3)
    wait_until_fetchable(broker.bootstrap, topic, 3)
    failures: list = []

    def produce(n: int) -> None:
        p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "batch.size": 200_000,
                      "acks": "all"})
        for i in range(400):
            p.produce(topic, b"%d-%d-" % (n, i) + b"x" * 2000, partition=i % 3,
                      on_delivery=lambda err, msg: err and failures.append(err))
            p.poll(0)
        if p.flush(60) != 0:
            failures.append("not flushed")

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": unique_topic("g"),
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    values = set()
    deadline = time.monotonic() + 60
    while len(values) < 2400 and time.monotonic() < deadline:
        for msg in consumer.consume(500, 1.0):
            if msg.error() is None:
                values.add(msg.value().split(b"x", 1)[0])
    consumer.close()
    assert len(values) == 2400


def test_idle_connections_on_every_loop_are_closed(broker_factory):
    broker = broker_factory({"num.network.threads": LOOPS, "connections.max.idle.ms": 1000})
    conns = connections_on_every_loop(broker)
    try:
        assert all(conn.closed_by_peer(timeout=20) for conn in conns)
    finally:
        for conn in conns:
            conn.close()


def test_broker_stops_with_connections_open_on_every_loop(broker_factory):
    broker = broker_factory({"num.network.threads": LOOPS})
    conns = connections_on_every_loop(broker)
    try:
        os.kill(broker.pid, signal.SIGTERM)
        assert broker.proc.wait(30) == 0
        assert all(conn.closed_by_peer(timeout=10) for conn in conns)
    finally:
        for conn in conns:
            conn.close()
    assert "stopped" in broker.log_tail()
