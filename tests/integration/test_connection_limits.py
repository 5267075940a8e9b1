"""What a client can make the broker hold, and for how long (docs/reliability.md, "Limits"):
a frame's size prefix is not a memory grant, request bytes are bounded across connections
(queued.max.request.bytes), stuck and idle connections are closed, max.connections[.per.ip]
refuse more, and running out of file descriptors costs one log line, not the broker."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from clients import NONE, RawConnection, RawRecord, build_batch, create_topic, i32, unique_topic


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def round_trip(broker) -> None:
    with RawConnection(broker.bootstrap) as conn:
        assert conn.api_versions(0)[0] == NONE


def test_size_prefix_is_not_a_memory_grant(broker):
    """16 connections announce 100 MB requests and send 8 bytes: the broker must not allocate
    1.6 GB for them (it did), and goes on serving."""
    before = rss_bytes(broker.pid)
    socks = []
    for _ in range(16):
        s = socket.create_connection((broker.host, broker.port))
        s.sendall(i32(100_000_000) + b"\0" * 8)
        socks.append(s)
    round_trip(broker)
    round_trip(broker)
    grown = rss_bytes(broker.pid) - before
    assert grown < 100_000_000, f"RSS grew by {grown} bytes"
    for s in socks:
        s.close()


def test_requests_wait_for_the_memory_pool(broker_factory):
    """With a 1 MB pool, a second large request waits for the first one to be handled and then
    goes through: both are answered, neither connection is dropped."""
    broker = broker_factory({"queued.max.request.bytes": 1_000_000})
    topic = unique_topic("pool")
    create_topic(broker.bootstrap, topic, 1)
    body = _produce_body(topic, build_batch([RawRecord(b"k", os.urandom(700_000), [])]))
    with RawConnection(broker.bootstrap) as a, RawConnection(broker.bootstrap) as b:
        # a's request is half sent: it holds 700 kB of the pool
        frame_a = a.header(0, 7) + body
        a.send_raw(i32(len(frame_a)) + frame_a[:len(frame_a) // 2])
        round_trip(broker)
        # b's request does not fit beside it and waits; a completes, then b goes through
        frame_b = b.header(0, 7) + body
        b.send_raw(i32(len(frame_b)) + frame_b)
        a.send_raw(frame_a[len(frame_a) // 2:])
        assert _produce_error(a.recv_frame()) == NONE
        assert _produce_error(b.recv_frame()) == NONE


def test_pool_bounds_request_memory_across_connections(broker_factory):
    """20 connections each send most of a 6 MB request and stop: with an 8 MB pool the broker
    takes in one of them at a time (the rest wait in the kernel's socket buffers), and when they
    hang up every byte goes back to the pool."""
    broker = broker_factory({"queued.max.request.bytes": 8_000_000, "message.max.bytes": 10_000_000})
    topic = unique_topic("pool-bound")
    create_topic(broker.bootstrap, topic, 1)
    before = rss_bytes(broker.pid)
    size = 6_000_000
    socks = [socket.create_connection((broker.host, broker.port)) for _ in range(20)]

    def push(s: socket.socket) -> None:
        s.settimeout(3)  # a waiting connection's send blocks once the kernel buffers are full
        try:
            s.sendall(i32(size) + os.urandom(size - 100_000))
        except socket.timeout:
            pass

    threads = [threading.Thread(target=push, args=(s,)) for s in socks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    round_trip(broker)
    grown = rss_bytes(broker.pid) - before
    assert grown < 60_000_000, f"RSS grew by {grown} bytes for 20 half-sent 6 MB requests"
    for s in socks:
        s.close()
    # nothing is left reserved: a large produce still goes through on a fresh connection
    body = _produce_body(topic, build_batch([RawRecord(b"k", os.urandom(5_000_000), [])]))
    with RawConnection(broker.bootstrap, timeout=60) as conn:
        frame = conn.header(0, 7) + body
        conn.send_raw(i32(len(frame)) + frame)
        assert _produce_error(conn.recv_frame()) == NONE


def _produce_body(topic: str, records: bytes) -> bytes:
    from clients import i16, nbytes, string
    return (string(None) + i16(1) + i32(10000) + i32(1) + string(topic) + i32(1) + i32(0) + nbytes(records))


def _produce_error(frame: bytes) -> int:
    from clients import Reader
    r = Reader(frame)
    r.i32()  # correlation id
    r.i32()  # topics
    r.string()
    r.i32()  # partitions
    r.i32()  # index
    return r.i16()


def test_slow_and_half_sent_requests_are_dropped(broker_factory):
    broker = broker_factory({"request.arrival.timeout.ms": 500})
    # 500 connections each with half a request that never completes
    half = []
    for _ in range(500):
        conn = RawConnection(broker.bootstrap)
        conn.send_raw(i32(100) + b"\0" * 10)
        half.append(conn)
    # a slowloris: one byte at a time, never a whole request
    slow = RawConnection(broker.bootstrap)
    slow.send_raw(i32(1000))
    slow.sock.settimeout(0.2)
    closed = False
    for _ in range(300):
        try:
            slow.send_raw(b"\0")
            if slow.sock.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
    assert closed, "the one-byte-at-a-time sender was never closed"
    assert all(conn.closed_by_peer(30) for conn in half)
    round_trip(broker)
    assert "request not complete after request.arrival.timeout.ms" in broker.log_tail(200_000)


def test_idle_connections_are_closed(broker_factory):
    broker = broker_factory({"connections.max.idle.ms": 300})
    with RawConnection(broker.bootstrap) as conn:
        assert conn.api_versions(0)[0] == NONE
        assert conn.closed_by_peer(30)
    assert "idle for connections.max.idle.ms" in broker.log_tail()


@pytest.mark.parametrize("key", ["max.connections", "max.connections.per.ip"])
def test_max_connections(broker_factory, key):
    broker = broker_factory({key: 3})
    kept = [RawConnection(broker.bootstrap) for _ in range(3)]
    for conn in kept:
        assert conn.api_versions(0)[0] == NONE
    extra = RawConnection(broker.bootstrap)
    assert extra.closed_by_peer(30)
    for conn in kept:
        assert conn.api_versions(0)[0] == NONE
    kept.pop().close()
    # a freed slot can be used again
    for _ in range(100):
        again = RawConnection(broker.bootstrap)
        try:
            if again.api_versions(0)[0] == NONE:
                break
        except (ConnectionError, OSError):
            pass
        finally:
            again.close()
        time.sleep(0.05)
    else:
        raise AssertionError("no connection accepted after one was closed")
    for conn in kept:
        conn.close()
