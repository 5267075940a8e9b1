"""The compiled Produce fast path answers byte for byte as the Python handler does.

Each case sends the same request, in every Produce version v3-v13, to the fast path on one fresh
data folder and to the Python path (codec decode, handlers/produce.py, codec encode) on another,
and compares the response frames and the logs' end offsets. Requests the fast path must leave to
Python return None and append nothing.
"""
from __future__ import annotations

import asyncio
import os
import select
import time
import types

import pytest

from fastlog import _native
from fastlog.config import Config
from fastlog.handlers import produce
from fastlog.handlers.registry import RequestContext
from fastlog.protocol import codec
from fastlog.protocol.errors import ErrorCode
from fastlog.security.acl import Authorizer
from fastlog.storage.log_manager import OFFLOAD_APPEND_BYTES, LogManager
from fastlog.storage.produce_fast import with_throttle_time

VERSIONS = range(3, 14)
CORRELATION = 77


class Side:
    """One data folder with the same topics (and topic ids) as the other side's."""

    def __init__(self, path, ids: dict[str, bytes]) -> None:
        self.config = Config({"log.dirs": str(path)})
        self.logs = LogManager(self.config)
        self.logs.open()
        for name, partitions, configs in (("t", 3, {}), ("small", 1, {"max.message.bytes": "200"}),
                                          ("compacted", 1, {"cleanup.policy": "compact"})):
            topic = self.logs.create_topic(name, partitions, configs)
            if name in ids:  # same id on both sides, so v13 requests and responses match
                self.logs._unindex(topic)
                topic.topic_id = ids[name]
                self.logs._index(topic)
            ids[name] = topic.topic_id
        self.logs.create_topic("__internal", 1, internal=True)
        self.services = types.SimpleNamespace(config=self.config, logs=self.logs,
                                              authorizer=Authorizer(self.config, str(path)))

    def ends(self) -> dict[tuple[str, int], int]:
        return {(t.name, i): p.log_end_offset for t in self.logs.topics.values() for i, p in enumerate(t.partitions)}


@pytest.fixture
def sides(tmp_path):
    ids: dict[str, bytes] = {}
    fast, slow = Side(tmp_path / "fast", ids), Side(tmp_path / "slow", ids)
    yield fast, slow
    fast.logs.close()
    slow.logs.close()


def frame(version: int, topics: list[tuple[str, list[tuple[int, bytes | None]]]], ids: dict[str, bytes],
          acks: int = 1, transactional_id: str | None = None) -> tuple[bytes, int]:
    """A Produce request frame without its size prefix, and its body offset."""
    topic_data = []
    for name, parts in topics:
        entry: dict = {"partition_data": [{"index": i, "records": r} for i, r in parts]}
        if version >= 13:
            entry["topic_id"] = ids.get(name, b"\x01" * 16)
        else:
            entry["name"] = name
        topic_data.append(entry)
    body = {"transactional_id": transactional_id, "acks": acks, "timeout_ms": 1000, "topic_data": topic_data}
    data = codec.encode_request(0, version, CORRELATION, "test", body)[4:]
    return data, codec.decode_request_header(data)[4]


def python_path(side: Side, version: int, data: bytes, offset: int) -> tuple[bytes | None, bool]:
    """(response frame, whether the connection is closed) as the Python handler answers."""
    request = codec.decode_request(0, version, data, offset)
    ctx = RequestContext(side.services, 0, version, CORRELATION, "test", "/127.0.0.1")  # type: ignore[arg-type]
    response = asyncio.run(produce.handle(ctx, request))
    encoded = None if response is None else b"".join(codec.encode_response(0, version, CORRELATION, response))
    return encoded, ctx.close_reason is not None


def fast_path(side: Side, version: int, data: bytes, offset: int, inline: bool = True):
    return side.logs.fast_produce.native.try_produce(data, offset, version, CORRELATION, int(time.time() * 1000),
                                                     inline=inline)


def same_answer(sides, version: int, topics, acks: int = 1) -> _native.FastProduce:
    fast, slow = sides
    data, offset = frame(version, topics, {name: t.topic_id for name, t in fast.logs.topics.items()}, acks)
    out = fast_path(fast, version, data, offset)
    assert out is not None and not out.deferred
    expected, closed = python_path(slow, version, data, offset)
    assert out.response == expected
    assert out.failed == closed or acks != 0
    assert fast.ends() == slow.ends()
    return out


def batch(values=(b"v",), key: bytes | None = b"k", **kw) -> bytes:
    now = int(time.time() * 1000)
    return _native.build_batch([(key, v, [], now) for v in values], **kw)


@pytest.mark.parametrize("version", VERSIONS)
def test_fast_path_answers_like_the_python_path(sides, version):
    ok = same_answer(sides, version, [("t", [(0, batch()), (2, batch([b"a", b"b"]))])])
    assert sorted(index for _, index in ok.appended) == [0, 2] and not ok.failed
    same_answer(sides, version, [("t", [(1, batch()), (1, batch())]), ("t", [(0, batch())])])
    same_answer(sides, version, [])

    corrupt = bytearray(batch([b"payload"]))
    corrupt[-1] ^= 0xFF
    bad = same_answer(sides, version, [("t", [(0, bytes(corrupt)), (1, batch())])])
    assert bad.failed and [index for _, index in bad.appended] == [1]
    same_answer(sides, version, [("t", [(0, batch() + batch())])])  # one batch per partition (v3+)
    old_magic = bytearray(batch())
    old_magic[16] = 1
    same_answer(sides, version, [("t", [(0, bytes(old_magic))])])
    same_answer(sides, version, [("t", [(0, b"")]), ("t", [(1, None)]), ("t", [(2, b"\0" * 70)])])
    same_answer(sides, version, [("small", [(0, batch([b"x" * 1000]))])])  # MESSAGE_TOO_LARGE
    same_answer(sides, version, [("compacted", [(0, batch([b"a", b"b"]))])])  # keyed: served here
    same_answer(sides, version, [("compacted", [(0, batch() + batch())])])

    idempotent = batch(producer_id=4000, producer_epoch=0, base_sequence=0)
    same_answer(sides, version, [("t", [(2, idempotent)])])
    same_answer(sides, version, [("t", [(2, idempotent)])])  # a duplicate: its first offset again
    same_answer(sides, version, [("t", [(2, batch(producer_id=4000, producer_epoch=0, base_sequence=7))])])
    same_answer(sides, version, [("t", [(2, batch(producer_id=4000, producer_epoch=1, base_sequence=3))])])


@pytest.mark.parametrize("version", VERSIONS)
def test_a_quota_throttle_time_is_set_where_the_python_codec_puts_it(sides, version):
    """Client quotas are counted in Python after the fast path answered (server/connection.py);
    the answer with its throttle_time_ms set is the Python codec's with that throttle time."""
    fast, slow = sides
    ids = {name: t.topic_id for name, t in fast.logs.topics.items()}
    corrupt = bytearray(batch([b"payload"]))
    corrupt[-1] ^= 0xFF  # an error code and, v8+, an error message in the answer
    for topics in ([("t", [(0, batch())])], [("t", [(1, bytes(corrupt)), (2, batch())]), ("compacted", [(0, batch())])],
                   []):
        data, offset = frame(version, topics, ids)
        out = fast_path(fast, version, data, offset)
        assert out is not None and out.response is not None and out.throttle_time_at is not None
        request = codec.decode_request(0, version, data, offset)
        ctx = RequestContext(slow.services, 0, version, CORRELATION, "test", "/127.0.0.1")  # type: ignore[arg-type]
        response = asyncio.run(produce.handle(ctx, request))
        assert response is not None
        for throttle_ms in (0, 1, 1234, 30000):
            expected = b"".join(codec.encode_response(0, version, CORRELATION,
                                                      {**response, "throttle_time_ms": throttle_ms}))
            assert bytes(with_throttle_time(out, throttle_ms)) == expected
        assert fast.ends() == slow.ends()


@pytest.mark.parametrize("version", [3, 8, 9, 13])
def test_acks_zero_gets_no_response_and_closes_on_failure(sides, version):
    out = same_answer(sides, version, [("t", [(0, batch())])], acks=0)
    assert out.response is None and out.throttle_time_at is None and not out.failed
    out = same_answer(sides, version, [("t", [(0, b"junk")])], acks=0)
    assert out.response is None and out.failed


@pytest.mark.parametrize("version", VERSIONS)
def test_requests_that_need_python_append_nothing(sides, version):
    fast, _ = sides
    ids = {name: t.topic_id for name, t in fast.logs.topics.items()}
    before = fast.ends()
    txn = batch(producer_id=9, producer_epoch=0, base_sequence=0, transactional=True)
    cases = [
        frame(version, [("t", [(0, batch())])], ids, transactional_id="tx"),
        frame(version, [("t", [(0, batch())]), ("t", [(1, txn)])], ids),
        frame(version, [("t", [(0, batch())])], ids, acks=2),
        frame(version, [("t", [(0, batch())]), ("missing", [(0, batch())])], ids),
        frame(version, [("t", [(0, batch()), (3, batch())])], ids),
        frame(version, [("t", [(0, batch()), (-1, batch())])], ids),
        frame(version, [("t", [(0, batch())]), ("compacted", [(0, batch([b"a", b"b"], key=None))])], ids),
        frame(version, [("compacted", [(0, batch(compression=1)), (0, batch(key=None, compression=1))])], ids),
        frame(version, [("compacted", [(0, batch() + batch(key=None))])], ids),
        frame(version, [("__internal", [(0, batch())])], ids),
    ]
    for data, offset in cases:
        assert fast_path(fast, version, data, offset) is None
    data, offset = frame(version, [("t", [(0, batch())])], ids)
    assert fast_path(fast, version, data[:len(data) - 1], offset) is None  # truncated
    assert fast.ends() == before


def test_unsupported_versions_and_registry_follow_the_topics(sides):
    fast, _ = sides
    logs = fast.logs
    registry = logs.fast_produce.native
    ids = {name: t.topic_id for name, t in logs.topics.items()}
    data, offset = frame(3, [("t", [(0, batch())])], ids)
    for version in (0, 1, 2):
        assert fast_path(fast, version, data, offset) is None
    assert registry.topics() == ["compacted", "small", "t"]
    keyless = frame(9, [("t", [(0, batch(key=None))])], ids)
    assert fast_path(fast, 9, *keyless) is not None
    logs.alter_topic_configs("t", {"cleanup.policy": "compact,delete"})
    assert fast_path(fast, 9, *keyless) is None
    logs.alter_topic_configs("t", {})
    logs.add_partitions("t", 5)
    data, offset = frame(9, [("t", [(4, batch())])], ids)
    out = fast_path(fast, 9, data, offset)
    assert out is not None and [i for _, i in out.appended] == [4]
    logs.alter_broker_configs("", {"log.cleanup.policy": "compact"})
    assert fast_path(fast, 9, *keyless) is None
    logs.alter_broker_configs("", {})
    assert fast_path(fast, 9, *keyless) is not None
    logs.delete_topic("small")
    assert registry.topics() == ["compacted", "t"]


def test_an_append_that_rolls_is_deferred_off_the_loop(tmp_path):
    logs = LogManager(Config({"log.dirs": str(tmp_path)}))
    logs.open()
    try:
        topic = logs.create_topic("r", 1, {"segment.bytes": "200"})
        data, offset = frame(9, [("r", [(0, batch([b"x" * 120]))])], {})
        registry = logs.fast_produce.native
        first = registry.try_produce(data, offset, 9, 1, int(time.time() * 1000), inline=True)
        assert first is not None and not first.deferred
        second = registry.try_produce(data, offset, 9, 1, int(time.time() * 1000), inline=True)
        assert second is not None and second.deferred and second.response is None
        assert topic.partitions[0].log_end_offset == 1
        third = asyncio.run(logs.try_produce_fast(data, offset, 9, 1))
        assert third is not None and not third.deferred and third.response is not None
        assert topic.partitions[0].log_end_offset == 2
    finally:
        logs.close()


def test_error_codes_reach_the_client_in_the_response(sides):
    """Decoded with the codec, the fast path's answer carries the engine's codes."""
    fast, _ = sides
    data, offset = frame(12, [("small", [(0, batch([b"x" * 1000]))]), ("t", [(0, batch())])], {})
    out = fast_path(fast, 12, data, offset)
    assert out is not None and out.response is not None
    correlation, body = codec.decode_response(0, 12, out.response[4:])
    assert correlation == CORRELATION
    parts = [p for t in body["responses"] for p in t["partition_responses"]]
    assert [p["error_code"] for p in parts] == [ErrorCode.MESSAGE_TOO_LARGE, 0]
    # As Kafka: the code alone for a batch over max.message.bytes, no message.
    assert parts[0]["base_offset"] == -1 and parts[0]["error_message"] is None
    # An out-of-range timestamp is answered record by record, with Kafka's message.
    now = int(time.time() * 1000)
    late = _native.build_batch([(b"k", b"a", [], now), (b"k", b"b", [], now + 10 * 3600 * 1000),
                                (b"k", b"c", [], now + 11 * 3600 * 1000)])
    data, offset = frame(12, [("t", [(0, late)])], {})
    out = fast_path(fast, 12, data, offset)
    assert out is not None and out.response is not None
    _, body = codec.decode_response(0, 12, out.response[4:])
    (part,) = body["responses"][0]["partition_responses"]
    assert (part["error_code"], part["error_message"]) == (
        ErrorCode.INVALID_TIMESTAMP, "One or more records have been rejected due to invalid timestamp")
    assert [e["batch_index"] for e in part["record_errors"]] == [1, 2]
    assert part["record_errors"][0]["batch_index_error_message"].startswith("Timestamp ")


def _thread_names() -> set[str]:
    return {open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")}


def test_large_requests_are_served_on_the_fast_paths_own_threads(sides):
    """A request of 64 KiB or more goes through submit/take_completed (threads that never take
    the GIL) and is answered as the Python handler answers it; several at once all get answers."""
    fast, slow = sides
    ids = {name: t.topic_id for name, t in fast.logs.topics.items()}
    requests = [frame(9, [("t", [(i % 3, batch([bytes([65 + i]) * 40_000, b"y" * 40_000]))])], ids)
                for i in range(12)]
    assert all(len(data) >= OFFLOAD_APPEND_BYTES for data, _ in requests)

    async def run(batch_of_requests):
        buffers = [bytearray(data) for data, _ in batch_of_requests]
        pending = [fast.logs.try_produce_fast(memoryview(b), offset, 9, CORRELATION)
                   for b, (_, offset) in zip(buffers, batch_of_requests)]
        return await asyncio.gather(*pending), _thread_names()

    # one alone: byte for byte the Python path's answer
    [single], names = asyncio.run(run(requests[:1]))
    assert any(name.startswith("produce_fast_") for name in names), names  # (a thread names itself once it runs)
    assert single is not None and not single.deferred
    assert single.response == python_path(slow, 9, *requests[0])[0]
    # the rest at once: the threads append in any order, so compare what does not depend on it
    outs, _ = asyncio.run(run(requests[1:]))
    base_offsets: dict[int, list[int]] = {0: [0], 1: [], 2: []}
    for out in outs:
        assert out is not None and not out.deferred and not out.failed and out.response is not None
        _, body = codec.decode_response(0, 9, out.response[4:])
        [part] = body["responses"][0]["partition_responses"]
        assert part["error_code"] == 0
        base_offsets[part["index"]].append(part["base_offset"])
    assert {i: sorted(b) for i, b in base_offsets.items()} == {i: [0, 2, 4, 6] for i in range(3)}
    for data, offset in requests[1:]:
        python_path(slow, 9, data, offset)
    assert fast.ends() == slow.ends()


def test_a_submitted_frame_stays_in_place_until_its_answer_is_taken(tmp_path):
    logs = LogManager(Config({"log.dirs": str(tmp_path)}))
    logs.open()
    try:
        logs.create_topic("t", 1)
        data, offset = frame(9, [("t", [(0, batch())])], {})
        buf = bytearray(data)
        native = logs.fast_produce.native
        native.set_threads(1)
        native.submit(7, buf, offset, 9, CORRELATION, int(time.time() * 1000))
        with pytest.raises(BufferError):
            buf.extend(b"more")  # exported to the thread: the bytes cannot move
        done: list = []
        deadline = time.monotonic() + 30
        while not done and time.monotonic() < deadline:
            select.select([native.completion_fd()], [], [], 1.0)
            done = native.take_completed()
        [(token, out)] = done
        assert token == 7 and out is not None and out.response is not None
        buf.extend(b"more")  # released with the answer
        assert native.take_completed() == []
    finally:
        logs.close()


def test_a_request_left_to_python_off_the_loop_appends_nothing(sides):
    fast, _ = sides
    ids = {name: t.topic_id for name, t in fast.logs.topics.items()}
    big = batch([b"z" * 70_000], key=None)
    unknown, offset = frame(9, [("nope", [(0, big)])], ids)
    keyless, koffset = frame(9, [("compacted", [(0, big)])], ids)
    before = fast.ends()
    assert asyncio.run(fast.logs.try_produce_fast(unknown, offset, 9, CORRELATION)) is None
    assert asyncio.run(fast.logs.try_produce_fast(keyless, koffset, 9, CORRELATION)) is None
    assert fast.ends() == before


def test_fewer_threads_still_serve_and_shutdown_serves_what_was_queued(tmp_path):
    logs = LogManager(Config({"log.dirs": str(tmp_path)}))
    logs.open()
    native = logs.fast_produce.native
    try:
        logs.create_topic("t", 1)
        data, offset = frame(9, [("t", [(0, batch())])], {})
        native.set_threads(4)
        native.set_threads(1)
        for token in range(5):
            native.submit(token, data, offset, 9, CORRELATION, int(time.time() * 1000))
        native.shutdown()
        tokens = [t for t, out in native.take_completed() if out is not None and out.response is not None]
        assert sorted(tokens) == list(range(5))
        assert logs.topics["t"].partitions[0].log_end_offset == 5
    finally:
        logs.close()


@pytest.mark.parametrize("version", [9, 13])
def test_a_request_naming_a_topic_outside_the_writable_set_is_left_to_python(sides, version):
    fast, _ = sides
    ids = {name: t.topic_id for name, t in fast.logs.topics.items()}
    both, offset = frame(version, [("t", [(0, batch())]), ("small", [(0, batch())])], ids)
    big, big_offset = frame(version, [("small", [(0, batch([b"s" * 70_000]))])], ids)
    before = fast.ends()
    only_t = _native.TopicSet(["t"])
    assert "t" in only_t and "small" not in only_t and len(only_t) == 1
    assert fast.logs.fast_produce.native.try_produce(both, offset, version, CORRELATION, 0, inline=True,
                                                     writable=only_t) is None
    assert asyncio.run(fast.logs.try_produce_fast(big, big_offset, version, CORRELATION, only_t)) is None
    assert fast.ends() == before
    out = fast.logs.fast_produce.native.try_produce(both, offset, version, CORRELATION, int(time.time() * 1000),
                                                    inline=True, writable=_native.TopicSet(["t", "small"]))
    assert out is not None and sorted(t.name for t, _ in out.appended) == ["small", "t"]


def test_writable_topics_are_decided_again_when_acls_or_topics_change(tmp_path):
    logs = LogManager(Config({"log.dirs": str(tmp_path)}))
    logs.open()
    try:
        logs.create_topic("a", 1)
        logs.create_topic("b", 1)
        registry = logs.fast_produce
        asked: list[str] = []

        def may_write(topic: str) -> bool:
            asked.append(topic)
            return topic != "b"

        first = registry.writable_topics("User:alice", "127.0.0.1", 0, may_write)
        assert "a" in first and "b" not in first and sorted(asked) == ["a", "b"]
        assert registry.writable_topics("User:alice", "127.0.0.1", 0, may_write) is first  # cached
        assert registry.writable_topics("User:alice", "127.0.0.1", 1, may_write) is not first  # ACLs changed
        again = registry.writable_topics("User:alice", "127.0.0.1", 1, may_write)
        logs.create_topic("c", 1)
        with_c = registry.writable_topics("User:alice", "127.0.0.1", 1, may_write)
        assert with_c is not again and "c" in with_c
        other_host = registry.writable_topics("User:alice", "10.0.0.1", 1, lambda topic: False)
        assert len(other_host) == 0
        logs.delete_topic("a")
        assert "a" not in registry.writable_topics("User:alice", "127.0.0.1", 1, may_write)
    finally:
        logs.close()
