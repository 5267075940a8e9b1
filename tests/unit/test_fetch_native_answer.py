"""The compiled Fetch path (handlers/fetch.py `decode` and `_compiled`,
rust/fastlog-py/src/fetch_fast.rs): a full, sessionless Fetch (read_uncommitted and
read_committed) decoded by the engine and answered byte for byte as the Python path's answer
encoded by the codec, for every version, on real segment files; the engine's decoding beside the
codec's; and the requests it must leave to the Python path."""
from __future__ import annotations

import asyncio
import types

import pytest

from fastlog import _native
from fastlog.config import Config
from fastlog.fetch_sessions import FetchSessionCache
from fastlog.handlers import fetch
from fastlog.handlers.registry import EncodedResponse, RequestContext
from fastlog.protocol import codec
from fastlog.protocol.errors import ErrorCode
from fastlog.security.acl import Authorizer
from fastlog.storage.log_manager import LogManager

from storage_batches import BASE_TS, batch

VERSIONS = range(4, 19)
CORRELATION = 4242
END = object()  # fetch from the partition's log end
TRANSACTIONAL = 0x10  # record batch attributes bit


class Broker:
    """Topics on real files: "t" (3 partitions of batches of growing size over small segments),
    "big" (one batch larger than the limits below), "empty" (2 partitions, nothing written),
    "trimmed" (log start moved to 5 by DeleteRecords), "txn" (2 partitions: an aborted and a
    committed transaction, and in partition 1 an open one before a last batch)."""

    def __init__(self, path) -> None:
        self.config = Config({"log.dirs": str(path)})
        self.logs = LogManager(self.config)
        self.logs.open()
        t = self.logs.create_topic("t", 3, {"segment.bytes": "4096"})
        for i in range(3):
            for n in range(20):
                self.logs.append(t, i, batch([b"v%d-%d" % (i, n) * (n + 1) * 3, b"w"]), BASE_TS + n)
        big = self.logs.create_topic("big", 1)
        self.logs.append(big, 0, batch([b"B" * 5000]), BASE_TS)
        self.logs.append(big, 0, batch([b"small"]), BASE_TS)
        self.logs.create_topic("empty", 2)
        trimmed = self.logs.create_topic("trimmed", 1)
        for n in range(10):
            self.logs.append(trimmed, 0, batch([b"x%d" % n]), BASE_TS + n)
        self.logs.delete_records_before(trimmed.partitions[0], 5)
        txn = self.logs.create_topic("txn", 2)
        for i in range(2):
            self.logs.append(txn, i, batch([b"plain"]), BASE_TS)
            for pid, values in ((7, [b"aborted"] * 3), (8, [b"committed"])):
                self.logs.append(txn, i, batch(values, producer_id=pid, producer_epoch=0, base_sequence=0,
                                               attributes_extra=TRANSACTIONAL), BASE_TS)
            self.logs.write_txn_marker(txn, i, 7, 0, False, 0)
            self.logs.write_txn_marker(txn, i, 8, 0, True, 0)
        self.logs.append(txn, 1, batch([b"open"], producer_id=9, producer_epoch=0, base_sequence=0,
                                       attributes_extra=TRANSACTIONAL), BASE_TS)
        self.logs.append(txn, 1, batch([b"after the open one"]), BASE_TS)
        self.services = types.SimpleNamespace(config=self.config, logs=self.logs,
                                              authorizer=Authorizer(self.config, str(path)),
                                              fetch_sessions=FetchSessionCache(100))

    def ctx(self, version: int) -> RequestContext:
        return RequestContext(self.services, 1, version, CORRELATION, "test", "/127.0.0.1")  # type: ignore[arg-type]

    def request(self, version: int, topics: list[tuple[str, list[tuple[int, object, int]]]], max_bytes: int = 1 << 20,
                min_bytes: int = 0, max_wait_ms: int = 0, isolation_level: int = 0, session_epoch: int = -1,
                session_id: int = 0) -> dict | fetch.FetchFrame:
        """A request as the connection hands it to the handler (ApiSpec.decode: a FetchFrame when
        the engine decodes it, else the codec's dict): per topic, (partition, fetch offset or END,
        partition_max_bytes)."""
        body_topics = []
        for name, parts in topics:
            topic = self.logs.get(name)
            entry: dict = {"partitions": [
                {"partition": i, "fetch_offset": topic.partitions[i].log_end_offset if offset is END else offset,
                 "partition_max_bytes": limit} for i, offset, limit in parts]}
            if version >= 13:
                entry["topic_id"] = topic.topic_id if topic is not None else b"\x07" * 16
            else:
                entry["topic"] = name
            body_topics.append(entry)
        body = {"max_wait_ms": max_wait_ms, "min_bytes": min_bytes, "max_bytes": max_bytes,
                "isolation_level": isolation_level, "topics": body_topics}
        if version >= 7:
            body.update(session_id=session_id, session_epoch=session_epoch, forgotten_topics_data=[])
        data = codec.encode_request(1, version, CORRELATION, "test", body)[4:]
        return fetch.decode(version, data, codec.decode_request_header(data)[4])


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    yield b
    b.logs.close()


def wire(pieces: list) -> bytes:
    return b"".join(p.tobytes() if isinstance(p, _native.FileSlice) else bytes(p) for p in pieces)


def shape(pieces: list) -> list:
    return [(p.position, p.length) if isinstance(p, _native.FileSlice) else len(p) for p in pieces]


def as_dict(request: dict | fetch.FetchFrame) -> dict:
    return request if isinstance(request, dict) else request.as_dict()


def python_answer(broker: Broker, version: int, request: dict | fetch.FetchFrame) -> tuple[dict, list]:
    response = asyncio.run(fetch._answer(broker.ctx(version), as_dict(request)))
    return response, codec.encode_response(1, version, CORRELATION, response)


def compiled_answer(broker: Broker, version: int, request: dict | fetch.FetchFrame) -> EncodedResponse | None:
    assert isinstance(request, fetch.FetchFrame), "the engine did not decode it"
    return asyncio.run(fetch._compiled(broker.ctx(version), request.full))


def same_answer(broker: Broker, version: int, request: fetch.FetchFrame) -> tuple[list, dict]:
    compiled = compiled_answer(broker, version, request)
    assert compiled is not None
    response, expected = python_answer(broker, version, request)
    assert all(p["error_code"] == 0 for t in response["responses"] for p in t["partitions"])
    assert shape(compiled.pieces) == shape(expected)
    assert wire(compiled.pieces) == wire(expected)
    return compiled.pieces, response


def every(name: str, count: int, offset: object = 0, limit: int = 1 << 20) -> tuple[str, list]:
    return name, [(i, offset, limit) for i in range(count)]


CASES = {
    "all from the start": dict(topics=[every("t", 3), every("big", 1), every("empty", 2), every("trimmed", 1, 5),
                                       every("txn", 2)]),
    "transactions partway": dict(topics=[("txn", [(1, 2, 1 << 20), (0, 1, 100), (1, 7, 1 << 20)])]),
    # KIP-74: each partition still returns its first whole batch (big's 5 KB one too).
    "partition_max_bytes below a batch": dict(topics=[every("t", 3, 0, 100), every("big", 1, 0, 100)]),
    "partition_max_bytes mid-range": dict(topics=[every("t", 3, 3, 700)]),
    # The response cap runs out after the first partitions: the rest are read with nothing left.
    "max_bytes runs out": dict(topics=[every("big", 1), every("t", 3)], max_bytes=3000),
    "max_bytes 0": dict(topics=[every("t", 3)], max_bytes=0),
    "negative caps": dict(topics=[every("t", 2, 0, -1), every("big", 1, 0, 0)], max_bytes=-5),
    "partition_max_bytes 0 and negative": dict(topics=[every("t", 2, 0, 0), every("big", 1, 0, -7)]),
    "caught up at the log ends": dict(topics=[every("t", 3, END), every("big", 1, END), every("trimmed", 1, END)]),
    "mixed offsets, partitions out of order": dict(
        topics=[("t", [(2, 17, 1 << 20), (0, END, 1 << 20), (1, 9, 300)]), every("trimmed", 1, 7), every("empty", 2)]),
    "empty partitions only": dict(topics=[every("empty", 2)]),
    "no topics": dict(topics=[]),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("isolation_level", [0, 1])
def test_compiled_answer_is_the_python_answer_encoded(broker, version, case, isolation_level):
    pieces, response = same_answer(broker, version,
                                   broker.request(version, isolation_level=isolation_level, **CASES[case]))
    regions = [p for p in pieces if isinstance(p, _native.FileSlice)]
    if case == "all from the start":
        assert len(regions) == 3 + 1 + 1 + 2  # t's 3, big, trimmed and txn's 2; empty has none
        aborted = [p["aborted_transactions"] for t in response["responses"] for p in t["partitions"]]
        assert aborted[-2:] == ([[{"producer_id": 7, "first_offset": 1}]] * 2 if isolation_level else [None, None])
    if case == "transactions partway":
        # read_committed stops before the open transaction, read_uncommitted reads past it.
        assert any(b"after the open one" in r.tobytes() for r in regions) == (isolation_level == 0)
    if case in ("caught up at the log ends", "max_bytes 0", "negative caps", "empty partitions only", "no topics"):
        assert regions == []


@pytest.mark.parametrize("version", [4, 11, 12, 13, 18])
def test_requests_that_need_python_are_left_to_it(broker, version):
    asking = [
        ([("t", [(7, 0, 1000)])], ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),  # a partition t lacks
        ([every("t", 3), every("nosuch", 1)], ErrorCode.UNKNOWN_TOPIC_ID if version >= 13
         else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        ([every("t", 1, 10_000)], ErrorCode.OFFSET_OUT_OF_RANGE),  # past the end: a storage error
        ([every("trimmed", 1, 2)], ErrorCode.OFFSET_OUT_OF_RANGE),  # before the log start
        ([every("t", 1, -1)], ErrorCode.OFFSET_OUT_OF_RANGE),
        ([("t", [(-1, 0, 1000)])], ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
    ]
    for topics, code in asking:
        request = broker.request(version, topics)
        assert compiled_answer(broker, version, request) is None
        answer = asyncio.run(fetch.handle(broker.ctx(version), request))
        assert isinstance(answer, dict)
        assert code in [p["error_code"] for t in answer["responses"] for p in t["partitions"]]
    # One topic asked twice in a row is one entry of the Python path's answer: the codec decodes it.
    request = broker.request(version, [("t", [(0, 0, 1000)]), ("t", [(1, 0, 1000)])])
    assert isinstance(request, dict)
    answer = asyncio.run(fetch.handle(broker.ctx(version), request))
    assert isinstance(answer, dict) and len(answer["responses"]) == 1
    # A full fetch that may open a session (epoch 0, v7+) takes the Python path; read_committed not.
    answer = asyncio.run(fetch.handle(broker.ctx(version), broker.request(version, [every("t", 3)], isolation_level=1)))
    assert isinstance(answer, EncodedResponse)
    answer = asyncio.run(fetch.handle(broker.ctx(version), broker.request(version, [every("t", 3)], session_epoch=0)))
    assert isinstance(answer, EncodedResponse) if version < 7 else isinstance(answer, dict)
    answer = asyncio.run(fetch.handle(broker.ctx(version), broker.request(version, [every("t", 3)])))
    assert isinstance(answer, EncodedResponse)


def test_a_waiting_compiled_fetch_answers_the_append_that_wakes_it(broker):
    """min_bytes not there yet: the compiled path long-polls like the Python path and answers
    the records appended meanwhile."""
    version = 12
    topic = broker.logs.get("empty")

    async def scenario():
        request = broker.request(version, [every("empty", 2, 0)], min_bytes=1, max_wait_ms=30_000)
        waiting = asyncio.create_task(fetch.handle(broker.ctx(version), request))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        broker.logs.append(topic, 1, batch([b"woken"]), BASE_TS)
        answer = await waiting
        assert isinstance(answer, EncodedResponse)
        return answer

    answer = asyncio.run(scenario())
    regions = [p for p in answer.pieces if isinstance(p, _native.FileSlice)]
    assert len(regions) == 1 and b"woken" in regions[0].tobytes()
    again = broker.request(version, [every("empty", 2, 0)])
    assert wire(answer.pieces) == wire(python_answer(broker, version, again)[1])


def test_a_compiled_fetch_that_times_out_answers_what_there_is(broker):
    request = broker.request(13, [every("t", 3, END)], min_bytes=1, max_wait_ms=20)
    answer = asyncio.run(fetch.handle(broker.ctx(13), request))
    assert isinstance(answer, EncodedResponse)
    assert wire(answer.pieces) == wire(python_answer(broker, 13, request)[1])


def encoded(version: int, **fields) -> tuple[bytes, int]:
    """A Fetch request frame (without its size) and the offset of its body."""
    body = {"replica_id": -1, "max_wait_ms": 321, "min_bytes": 7, "max_bytes": 99999, "isolation_level": 1,
            "session_id": 0, "session_epoch": -1, "forgotten_topics_data": [], "rack_id": "rack-a",
            "topics": [{"topic": "t", "topic_id": b"\x01" * 16, "partitions": [
                {"partition": i, "current_leader_epoch": 3, "fetch_offset": 1000 + i, "last_fetched_epoch": 2,
                 "log_start_offset": 5, "partition_max_bytes": 4096 + i} for i in (2, 0, 1)]},
                {"topic": "ü-topic", "topic_id": b"\x02" * 16, "partitions": [
                    {"partition": 9, "fetch_offset": 1 << 40, "partition_max_bytes": -1}]}]}
    body.update(fields)
    data = codec.encode_request(1, version, CORRELATION, "test", body)[4:]
    return data, codec.decode_request_header(data)[4]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_engine_decodes_a_full_fetch_as_the_codec_does(version):
    tagged = {"cluster_id": "c1", "replica_state": {"replica_id": -1, "replica_epoch": -1}} if version >= 12 else {}
    forgotten = [{"topic": "gone", "topic_id": b"\x03" * 16, "partitions": [4, 5]}] if version >= 7 else []
    data, offset = encoded(version, forgotten_topics_data=forgotten, **tagged)
    full = _native.decode_fetch(data, offset, version)
    assert full is not None
    want = codec.decode_request(1, version, data, offset)
    key = "topic_id" if version >= 13 else "topic"
    assert full.topic_keys() == [t[key] for t in want["topics"]]
    assert [full.partitions(i) for i in range(2)] == [[p["partition"] for p in t["partitions"]] for t in want["topics"]]
    assert (full.max_wait_ms, full.min_bytes, full.max_bytes, full.isolation_level, full.session_id) == (
        want["max_wait_ms"], want["min_bytes"], want["max_bytes"], want["isolation_level"], want["session_id"])
    # What the engine reads per partition is what it answers for: the Broker tests compare the answers.


@pytest.mark.parametrize("version", [4, 7, 11, 12, 13, 15, 17, 18])
def test_the_engine_leaves_other_fetches_to_the_codec(version):
    data, offset = encoded(version)
    assert _native.decode_fetch(data, offset, version) is not None
    for cut in (1, 5, len(data) - offset - 1):  # truncated anywhere
        assert _native.decode_fetch(data[:len(data) - cut], offset, version) is None
    assert _native.decode_fetch(data + b"\0", offset, version) is None  # trailing bytes
    assert _native.decode_fetch(data, offset, 3) is None and _native.decode_fetch(data, offset, 19) is None
    if version >= 7:
        for epoch in (0, 1, 7):  # opening or using a session
            assert _native.decode_fetch(*encoded(version, session_epoch=epoch), version) is None
        closing = _native.decode_fetch(*encoded(version, session_id=77), version)
        assert closing is not None and closing.session_id == 77
    empty = [{"topic": "t", "topic_id": b"\x01" * 16, "partitions": []}]
    assert _native.decode_fetch(*encoded(version, topics=empty), version) is None
    twice = [{"topic": "t", "topic_id": b"\x01" * 16, "partitions": [{"partition": i, "fetch_offset": 0,
                                                                       "partition_max_bytes": 1}]} for i in (0, 1)]
    assert _native.decode_fetch(*encoded(version, topics=twice), version) is None
    assert _native.decode_fetch(*encoded(version, topics=[]), version) is not None


def test_a_full_fetch_closes_the_session_it_names(broker):
    version = 12
    sessions = broker.services.fetch_sessions
    opened = asyncio.run(fetch.handle(broker.ctx(version), broker.request(version, [every("t", 3)], session_epoch=0)))
    session_id = opened["session_id"]
    assert session_id != 0 and sessions.get(session_id) is not None
    closing = broker.request(version, [every("t", 3)], session_id=session_id)
    assert isinstance(closing, fetch.FetchFrame)
    assert isinstance(asyncio.run(fetch.handle(broker.ctx(version), closing)), EncodedResponse)
    assert sessions.get(session_id) is None
