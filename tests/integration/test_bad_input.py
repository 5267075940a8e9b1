"""Bad input gets Kafka's answer, and the broker keeps serving everyone else.

Every request here is built by hand (tests/integration/clients.py) so that the tests do not go
through fastlog's own codec. Expected answers are Apache Kafka's:
- a frame the broker cannot parse (garbage, truncated, oversized, unknown API, unsupported version)
  closes that one connection;
- ApiVersions at a too-new version answers UNSUPPORTED_VERSION (35) with the supported list (v0 layout);
- Produce: bad CRC -> CORRUPT_MESSAGE (2); batch fails LogValidator / ProduceRequest.validateRecords
  -> INVALID_RECORD (87); batch over message.max.bytes -> MESSAGE_TOO_LARGE (10); unknown topic ->
  UNKNOWN_TOPIC_OR_PARTITION (3);
- Fetch outside the log -> OFFSET_OUT_OF_RANGE (1).
"""
from __future__ import annotations

import gzip
import socket
import struct
import time

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from clients import (
    CORRUPT_MESSAGE,
    INVALID_RECORD,
    MESSAGE_TOO_LARGE,
    NONE,
    OFFSET_OUT_OF_RANGE,
    UNKNOWN_TOPIC_OR_PARTITION,
    UNSUPPORTED_VERSION,
    RawConnection,
    RawRecord,
    Reader,
    api_versions_request_v3,
    build_batch,
    consume_confluent,
    create_topic,
    encode_record,
    i16,
    i32,
    nbytes,
    parse_api_versions,
    parse_batches,
    produce_confluent,
    string,
    unique_topic,
    wait_until,
    wait_until_fetchable,
)

SOCKET_REQUEST_MAX_BYTES = 104857600  # Kafka default socket.request.max.bytes


def small_batch(n: int = 3, **kw) -> bytes:
    return build_batch([RawRecord(b"k%d" % i, b"v%d" % i, [("h", b"x")]) for i in range(n)], **kw)


def assert_still_serving(broker, bystander: RawConnection) -> None:
    """A connection opened before the bad input still works, and so does a real client."""
    err, keys = bystander.api_versions(0)
    assert err == NONE and 0 in keys
    topic = unique_topic("alive")
    create_topic(broker.bootstrap, topic, 1)
    produce_confluent(broker.bootstrap, topic, 20, 1)
    got = consume_confluent(broker.bootstrap, topic, 20, [0], timeout=30)
    assert [r.offset for r in got] == list(range(20))


@pytest.fixture
def bystander(broker):
    with RawConnection(broker.bootstrap) as conn:
        assert conn.api_versions(0)[0] == NONE
        yield conn


# ---------------------------------------------------------------------------- framing errors

@pytest.mark.parametrize(
    "data",
    [
        pytest.param(i32(20) + b"\xff" * 20, id="unknown-api-key-garbage"),
        pytest.param(i32(16) + bytes(range(16)), id="zero-key-garbage-header"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", id="http-request"),
        pytest.param(i32(3) + b"\x00\x12\x00", id="frame-shorter-than-header"),
    ],
)
def test_garbage_frame_closes_connection(broker, bystander, data):
    with RawConnection(broker.bootstrap) as conn:
        conn.send_raw(data)
        assert conn.closed_by_peer(), "broker kept a connection that sent garbage"
    assert_still_serving(broker, bystander)


def test_truncated_frame_then_eof_closes_connection(broker, bystander):
    """Half a frame, then the client stops sending: the broker must not wait forever."""
    with RawConnection(broker.bootstrap) as conn:
        full = i16(18) + i16(0) + i32(7) + string("trunc")
        conn.send_raw(i32(len(full) + 50) + full)  # promises 50 more bytes than it sends
        conn.sock.shutdown(socket.SHUT_WR)
        assert conn.closed_by_peer()
    assert_still_serving(broker, bystander)


@pytest.mark.parametrize(
    "api_key,version,body",
    [
        # Metadata v5: a topics array of 3 names, only one present
        pytest.param(3, 5, i32(3) + string("a"), id="metadata-array-cut"),
        # Produce v7: stops inside the partition list
        pytest.param(0, 7, string(None) + i16(-1) + i32(1000) + i32(1) + string("t") + i32(1), id="produce-cut"),
        # Fetch v11: only the first two fields
        pytest.param(1, 11, i32(-1) + i32(100), id="fetch-cut"),
    ],
)
def test_truncated_body_closes_connection(broker, bystander, api_key, version, body):
    """A complete frame whose body ends in the middle of a field cannot be parsed: Kafka hangs up."""
    with RawConnection(broker.bootstrap) as conn:
        conn.send_request(api_key, version, body)
        assert conn.closed_by_peer()
    assert_still_serving(broker, bystander)


@pytest.mark.parametrize("size", [SOCKET_REQUEST_MAX_BYTES + 1, 2**31 - 1, -5])
def test_oversized_or_negative_frame_closes_connection(broker, bystander, size):
    """Kafka rejects the size prefix before reading the body (InvalidReceiveException)."""
    with RawConnection(broker.bootstrap) as conn:
        conn.send_raw(struct.pack(">i", size) + i16(18) + i16(0) + i32(1) + string("big"))
        assert conn.closed_by_peer()
    assert_still_serving(broker, bystander)


# ---------------------------------------------------------------------------- versions

def test_api_versions_too_new_gets_unsupported_version_with_list(broker, bystander):
    with RawConnection(broker.bootstrap) as conn:
        # A future ApiVersions version, sent the way a new client would (header v2, v3+ body).
        corr = conn.send_request(18, 127, api_versions_request_v3(), flexible=True)
        r = Reader(conn.recv_frame())
        assert r.i32() == corr  # response header v0 whatever the version
        err, keys = parse_api_versions(r, flexible=False)  # answered in the v0 layout
        assert err == UNSUPPORTED_VERSION
        # Kafka lists at least its ApiVersions range (Apache Kafka 4.1 lists only that key), which
        # is all the client needs to retry at the highest version both sides know.
        assert 18 in keys and keys[18][0] == 0 and keys[18][1] >= 3, f"ApiVersions range: {keys.get(18)}"
        # the connection stays usable: the client retries at a version the broker listed
        err, full = conn.api_versions(0)
        assert err == NONE and 0 in full and 1 in full and full[18] == keys[18]
    assert_still_serving(broker, bystander)


@pytest.mark.parametrize(
    "api_key,version",
    [pytest.param(3, 99, id="metadata-v99"), pytest.param(1, 99, id="fetch-v99"),
     pytest.param(999, 0, id="unknown-api-key-999")],
)
def test_unsupported_version_of_other_api_closes_connection(broker, bystander, api_key, version):
    with RawConnection(broker.bootstrap) as conn:
        conn.send_request(api_key, version, i32(-1) + b"\x01")
        assert conn.closed_by_peer()
    assert_still_serving(broker, bystander)


# ---------------------------------------------------------------------------- produce errors

@pytest.fixture
def topic(broker):
    name = unique_topic("bad")
    create_topic(broker.bootstrap, name, 2)
    wait_until_fetchable(broker.bootstrap, name, 2)
    return name


def test_valid_raw_batch_is_accepted(broker, topic):
    """The hand-built batch itself is right: without the defect it is appended and read back."""
    with RawConnection(broker.bootstrap) as conn:
        assert conn.produce(topic, 0, small_batch(3)) == (NONE, 0)
        assert conn.produce(topic, 0, small_batch(2)) == (NONE, 3)
        res = conn.fetch(topic, 0, 0)
        assert res.error == NONE and res.high_watermark == 5
        recs = [rec for b in parse_batches(res.records) for rec in b.records]
        assert [(o, r.key, r.value) for o, r in recs] == [
            (0, b"k0", b"v0"), (1, b"k1", b"v1"), (2, b"k2", b"v2"), (3, b"k0", b"v0"), (4, b"k1", b"v1")]


def test_bad_crc_is_corrupt_message(broker, bystander, topic):
    with RawConnection(broker.bootstrap) as conn:
        err, _ = conn.produce(topic, 0, small_batch(3, bad_crc=True))
        assert err == CORRUPT_MESSAGE
        # nothing was appended, and the same connection keeps working
        assert conn.produce(topic, 0, small_batch(1)) == (NONE, 0)
    assert_still_serving(broker, bystander)


def _truncated_batch() -> bytes:
    whole = small_batch(3)
    return whole[:-5]  # batchLength promises 5 bytes more than the record set holds


@pytest.mark.parametrize(
    "records",
    [
        # LogValidator.validateBatch: lastOffsetDelta + 1 must equal the record count
        pytest.param(small_batch(3, records_count=5), id="count-mismatch"),
        pytest.param(small_batch(3, last_offset_delta=7), id="offset-delta-mismatch"),
        # clients may not write control batches (attributes bit 5)
        pytest.param(small_batch(1, attributes=0x20), id="control-batch-from-client"),
        # a producer id with a negative base sequence
        pytest.param(small_batch(2, producer_id=1000, producer_epoch=0, base_sequence=-1), id="pid-without-sequence"),
        # ProduceRequest.validateRecords: v3+ needs exactly one whole batch of magic 2
        pytest.param(small_batch(1) + small_batch(1), id="two-batches"),
        pytest.param(_truncated_batch(), id="truncated-batch"),
        pytest.param(small_batch(1, magic=1), id="magic-1"),
    ],
)
def test_malformed_batch_is_invalid_record(broker, bystander, topic, records):
    with RawConnection(broker.bootstrap) as conn:
        err, _ = conn.produce(topic, 1, records)
        assert err == INVALID_RECORD
        res = conn.fetch(topic, 1, 0)
        assert res.error == NONE and res.high_watermark == 0, "a rejected batch must not be appended"
    assert_still_serving(broker, bystander)


def test_batch_over_message_max_bytes_is_message_too_large(broker, bystander, topic):
    big = build_batch([RawRecord(b"k", b"x" * (1048588 + 100))])  # default message.max.bytes 1048588
    with RawConnection(broker.bootstrap, timeout=30) as conn:
        err, _ = conn.produce(topic, 0, big)
        assert err == MESSAGE_TOO_LARGE
        assert conn.produce(topic, 0, small_batch(1)) == (NONE, 0)
    assert_still_serving(broker, bystander)


def test_message_max_bytes_override_is_honoured(broker_factory):
    broker = broker_factory({"message.max.bytes": 2000})
    name = unique_topic("mmb")
    create_topic(broker.bootstrap, name, 1)
    with RawConnection(broker.bootstrap) as conn:
        assert conn.produce(name, 0, build_batch([RawRecord(b"k", b"x" * 2500)]))[0] == MESSAGE_TOO_LARGE
        assert conn.produce(name, 0, build_batch([RawRecord(b"k", b"x" * 1500)])) == (NONE, 0)


def _decompressed_limit_answers(bootstrap: str) -> list[tuple]:
    """A topic with max.decompressed.message.bytes=100, then Produce of gzip batches with small
    records, with one 310-byte record among them, and an uncompressed batch with that record:
    (case, error, appended?, record errors) of each answer."""
    topic = unique_topic("decompressed-limit")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config={"max.decompressed.message.bytes": "100"})])[topic].result(30)
    out = []
    for case, sizes, codec in [("gzip, small records", [10, 20], 1), ("gzip, one big record", [10, 300, 10], 1),
                               ("uncompressed, one big record", [300], 0)]:
        records = [RawRecord(b"k", b"v" * n) for n in sizes]
        blob = b"".join(encode_record(d, r) for d, r in enumerate(records))
        batch = build_batch(records, attributes=codec, records_blob=gzip.compress(blob) if codec else blob)
        with RawConnection(bootstrap, timeout=30) as conn:
            assert wait_until(lambda: conn.fetch(topic, 0, 0).error == NONE, 30)
            answer = conn.call(0, 9, {"transactional_id": None, "acks": -1, "timeout_ms": 5000, "topic_data": [
                {"name": topic, "partition_data": [{"index": 0, "records": batch}]}]})
        part = answer["responses"][0]["partition_responses"][0]
        out.append((case, part["error_code"], part["base_offset"] >= 0, part["record_errors"]))
    return out


def test_max_decompressed_message_bytes_refuses_as_kafka(broker, kafka_reference):
    """A record over the topic's max.decompressed.message.bytes in a compressed batch is
    INVALID_RECORD; an uncompressed batch is not checked (Kafka checks where it decompresses)."""
    ours = _decompressed_limit_answers(broker.bootstrap)
    assert ours == [("gzip, small records", NONE, True, []), ("gzip, one big record", INVALID_RECORD, False, []),
                    ("uncompressed, one big record", NONE, True, [])]
    assert ours == _decompressed_limit_answers(kafka_reference.bootstrap)


def _refusals(bootstrap: str) -> dict[str, tuple]:
    """Produce v9 of one bad batch each: (error, message, record errors) of each answer."""
    suffix = unique_topic("")
    topics = {"plain": {}, "compact": {"cleanup.policy": "compact"}, "small": {"max.message.bytes": "200"}}
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for name, configs in topics.items():
        admin.create_topics([NewTopic(name + suffix, 1, 1, config=configs)])[name + suffix].result(30)
    now = int(time.time() * 1000)
    one = [RawRecord(b"k", b"v")]
    late = [RawRecord(b"k", b"v"), RawRecord(b"k", b"w", timestamp_delta=10 * 3600 * 1000),
            RawRecord(b"k", b"x", timestamp_delta=11 * 3600 * 1000)]
    cases = {
        "bad crc": ("plain", build_batch(one, bad_crc=True)),
        "base offset 5": ("plain", build_batch(one, base_offset=5)),
        "over max.message.bytes": ("small", build_batch([RawRecord(b"k", b"v" * 500)])),
        "timestamps out of range": ("plain", build_batch(late, base_timestamp=now)),
        "keyless record, compacted topic": ("compact", build_batch([RawRecord(None, b"v")])),
        "control batch from a client": ("plain", build_batch(one, attributes=0x20)),
        "magic 1": ("plain", build_batch(one, magic=1)),
        "count mismatch": ("plain", build_batch(one, records_count=2)),
        "producer id without sequence": ("plain", build_batch(one, producer_id=5, producer_epoch=0)),
        "two batches": ("plain", build_batch(one) + build_batch(one)),
        "codec 6": ("plain", build_batch(one, attributes=6)),
        "gzip that is not": ("plain", build_batch(one, attributes=1, records_blob=b"not gzip at all")),
        "lz4 that is not": ("plain", build_batch(one, attributes=3, records_blob=b"not lz4 at all!!")),
    }
    out = {}
    with RawConnection(bootstrap, timeout=30) as conn:
        for name in topics:
            assert wait_until(lambda: conn.fetch(name + suffix, 0, 0).error == NONE, 30)
        for case, (name, batch) in cases.items():
            answer = conn.call(0, 9, {"transactional_id": None, "acks": -1, "timeout_ms": 5000, "topic_data": [
                {"name": name + suffix, "partition_data": [{"index": 0, "records": batch}]}]})
            part = answer["responses"][0]["partition_responses"][0]
            message = (part["error_message"] or "").replace(suffix, "")
            # The range in a timestamp's record error depends on the moment: its start is compared.
            errors = [(e["batch_index"], e["batch_index_error_message"].split(" of message")[0][:9].replace(
                suffix, "")) for e in part["record_errors"]]
            out[case] = (part["error_code"], message or None, errors)
    return out


def test_refused_batches_get_kafkas_answers(broker, kafka_reference):
    """Kafka 4.4 answers most refused batches with the code alone (no message), an unknown codec
    or a payload its codec cannot read with UNKNOWN_SERVER_ERROR, and out-of-range timestamps and
    keyless records (compacted topic) record by record with its message."""
    ours = _refusals(broker.bootstrap)
    assert ours["bad crc"] == (CORRUPT_MESSAGE, None, [])
    assert ours["gzip that is not"] == ours["codec 6"] == (-1, None, [])
    assert ours["timestamps out of range"] == (
        32, "One or more records have been rejected due to invalid timestamp", [(1, "Timestamp"), (2, "Timestamp")])
    assert ours == _refusals(kafka_reference.bootstrap)


def test_produce_to_unknown_topic_without_auto_create(broker_factory):
    broker = broker_factory({"auto.create.topics.enable": "false"})
    with RawConnection(broker.bootstrap) as conn:
        name = unique_topic("nosuch")
        assert conn.produce(name, 0, small_batch(1))[0] == UNKNOWN_TOPIC_OR_PARTITION
        md = conn.metadata([name])
        assert md["topics"][name][0] == UNKNOWN_TOPIC_OR_PARTITION, "topic must not have been created"
    with RawConnection(broker.bootstrap) as bystander:
        assert_still_serving(broker, bystander)


def test_produce_to_unknown_partition(broker, topic):
    with RawConnection(broker.bootstrap) as conn:
        assert conn.produce(topic, 7, small_batch(1))[0] == UNKNOWN_TOPIC_OR_PARTITION


# ---------------------------------------------------------------------------- fetch errors

def test_fetch_outside_the_log_is_offset_out_of_range(broker, bystander, topic):
    with RawConnection(broker.bootstrap) as conn:
        assert conn.produce(topic, 0, small_batch(3)) == (NONE, 0)
        at_end = conn.fetch(topic, 0, 3)  # the log end itself is valid: empty answer
        assert at_end.error == NONE and at_end.high_watermark == 3 and not parse_batches(at_end.records)
        for offset in (4, 1000, -1):
            res = conn.fetch(topic, 0, offset)
            assert res.error == OFFSET_OUT_OF_RANGE, f"fetch at {offset}: error {res.error}"
    assert_still_serving(broker, bystander)


def _produce_acks0(conn, topic: str, records: bytes) -> None:
    body = (string(None) + i16(0) + i32(10000)
            + i32(1) + string(topic) + i32(1) + i32(0) + nbytes(records))
    conn.send_request(0, 7, body)


def test_failed_acks0_produce_closes_the_connection(broker, bystander, topic):
    # acks=0 gets no response, so Kafka closes the connection on an error: the client notices.
    with RawConnection(broker.bootstrap) as conn:
        _produce_acks0(conn, topic, small_batch(3, bad_crc=True))
        assert conn.closed_by_peer(), "a failed acks=0 produce must close the connection"
    # a good acks=0 produce is appended and the connection stays open
    with RawConnection(broker.bootstrap) as conn:
        _produce_acks0(conn, topic, small_batch(2))
        assert not conn.closed_by_peer(timeout=0.5)
        res = conn.fetch(topic, 0, 0)
        assert res.error == NONE and res.high_watermark == 2
    assert_still_serving(broker, bystander)


def test_refused_produce_creates_no_topic(broker, bystander):
    # acks=2 is refused as a whole (INVALID_REQUIRED_ACKS = 21), so the unknown topic it names
    # must not be auto-created either.
    name = unique_topic("refused")
    with RawConnection(broker.bootstrap) as conn:
        err, _ = conn.produce(name, 0, small_batch(1), acks=2)
        assert err == 21
        meta = conn.metadata([name], allow_auto_create=False)
        assert meta["topics"][name][0] == UNKNOWN_TOPIC_OR_PARTITION
    assert_still_serving(broker, bystander)
