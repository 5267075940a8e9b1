"""Codec round trips for every API and version, compiled vs pure-Python twin, malformed input."""
from __future__ import annotations

import random
import struct
import uuid

import pytest

from fastlog.protocol import _codec_py, codec, schema
from fastlog.protocol.schema import (
    BOOL,
    BYTES,
    FLOAT64,
    INT8,
    INT16,
    INT32,
    INT64,
    RECORDS,
    STRING,
    STRUCT,
    UINT16,
    UUID,
    CodecError,
    FieldPlan,
    StructPlan,
)

IMPLS = codec.IMPLEMENTATIONS
_module = codec.implementation


@pytest.fixture(params=IMPLS)
def impl(request):
    return _module(request.param)


def test_compiled_codec_is_built():
    compiled = codec.implementation("compiled")  # raises if fastlog._codec is not built
    assert compiled.CodecError is codec.CodecError is _codec_py.CodecError


def all_versions(kind: str):
    table = schema.REQUESTS if kind == "request" else schema.RESPONSES
    for key, msg in sorted(table.items()):
        for v in range(msg.versions[0], msg.versions[1] + 1):
            yield pytest.param(key, v, id=f"{msg.name}-v{v}")


# ---------------------------------------------------------------------------------------------
# Sample bodies: every field present in the version gets a non-default value.

def _scalar(kind: int, rnd: random.Random, nullable: bool):
    if nullable and rnd.random() < 0.25:
        return None
    if kind == INT8:
        return rnd.randint(-128, 127)
    if kind == INT16:
        return rnd.randint(-32768, 32767)
    if kind == UINT16:
        return rnd.randint(0, 65535)
    if kind == INT32:
        return rnd.choice([rnd.randint(-2**31, 2**31 - 1), 1, 300])
    if kind == INT64:
        return rnd.randint(-2**63, 2**63 - 1)
    if kind == FLOAT64:
        return rnd.random() * 1e6
    if kind == BOOL:
        return True
    if kind == STRING:
        return rnd.choice(["topic-é", "x" * rnd.randint(1, 200), "ü✓"])
    if kind == BYTES:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 40)))
    if kind == RECORDS:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300)))
    if kind == UUID:
        return uuid.UUID(int=rnd.getrandbits(128)).bytes
    raise AssertionError(kind)


def _value(fp: FieldPlan, rnd: random.Random, depth: int):
    if fp.is_array:
        if fp.nullable and rnd.random() < 0.2:
            return None
        n = rnd.randint(1, 3 if depth < 2 else 2)
        if fp.kind == STRUCT:
            return [sample_struct(fp.child, rnd, depth + 1) for _ in range(n)]
        return [_scalar(fp.kind, rnd, False) for _ in range(n)]
    if fp.kind == STRUCT:
        if fp.nullable and rnd.random() < 0.2:
            return None
        return sample_struct(fp.child, rnd, depth + 1)
    return _scalar(fp.kind, rnd, fp.nullable)


def sample_struct(sp: StructPlan, rnd: random.Random, depth: int = 0) -> dict:
    body = {}
    for fp in sp.fields + sp.tagged:
        body[fp.name] = _value(fp, rnd, depth)
    return body


def expected(sp: StructPlan, body: dict) -> dict:
    """What decoding should give back: the sample plus defaults for absent fields."""
    out = {}
    for fp in sp.fields + sp.tagged:
        value = body[fp.name]
        if fp.kind == STRUCT and value is not None:
            value = [expected(fp.child, x) for x in value] if fp.is_array else expected(fp.child, value)
        out[fp.name] = value
    for fp in sp.absent:
        out[fp.name] = schema.fresh_default(fp)
    return out


def normalise(obj):
    """memoryview records -> bytes so results compare with ==."""
    if isinstance(obj, dict):
        return {k: normalise(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, memoryview):
        return bytes(obj)
    return obj


def _seed(*parts) -> int:
    return hash(parts) & 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("api_key,version", list(all_versions("request")))
def test_request_round_trip_and_identity(api_key, version):
    p = schema.plan("request", api_key, version)
    for seed in range(3):
        rnd = random.Random(api_key * 1000 + version * 10 + seed)
        body = sample_struct(p.body, rnd)
        frames = {name: _module(name).encode_request(api_key, version, 77 + seed, "client-1", body)
                  for name in IMPLS}
        assert frames["compiled"] == frames["pure"]
        frame = frames["pure"]
        assert struct.unpack(">i", frame[:4])[0] == len(frame) - 4
        for name in IMPLS:
            m = _module(name)
            key, ver, corr, client_id, off = m.decode_request_header(frame[4:])
            assert (key, ver, corr, client_id) == (api_key, version, 77 + seed, "client-1")
            # Request header v2 adds one (empty) tagged-field byte after client_id.
            assert off == 10 + len("client-1") + (1 if p.flexible else 0)
            decoded = m.decode_request(api_key, version, frame[4:], off)
            assert normalise(decoded) == expected(p.body, body)


@pytest.mark.parametrize("api_key,version", list(all_versions("response")))
def test_response_round_trip_and_identity(api_key, version):
    p = schema.plan("response", api_key, version)
    for seed in range(3):
        rnd = random.Random(api_key * 1000 + version * 10 + seed + 5)
        body = sample_struct(p.body, rnd)
        pieces = {name: _module(name).encode_response(api_key, version, 1234, body) for name in IMPLS}
        assert pieces["compiled"] == pieces["pure"]
        assert all(type(x) is bytes for x in pieces["pure"])
        frame = b"".join(pieces["pure"])
        assert struct.unpack(">i", frame[:4])[0] == len(frame) - 4
        # Response header v1 (correlation id + empty tags) for flexible versions, except ApiVersions.
        header_tags = p.flexible and api_key != 18
        assert frame[4:8] == struct.pack(">i", 1234)
        if header_tags:
            assert frame[8] == 0
        for name in IMPLS:
            corr, decoded = _module(name).decode_response(api_key, version, frame[4:])
            assert corr == 1234
            assert normalise(decoded) == expected(p.body, body)


@pytest.mark.parametrize("api_key,version", list(all_versions("request")))
def test_missing_keys_take_defaults(impl, api_key, version):
    p = schema.plan("request", api_key, version)
    frame = impl.encode_request(api_key, version, 1, None, {})
    key, ver, corr, client_id, off = impl.decode_request_header(frame[4:])
    assert client_id is None
    assert impl.decode_request(api_key, version, frame[4:], off) == _wire_defaults(p.body)


def _wire_defaults(sp: StructPlan) -> dict:
    """Defaults as they come back from the wire: a None default of a field that is not nullable
    in this version is sent as empty (Metadata v0 `topics`: null only from v1)."""
    out = schema.default_struct(sp)
    for fp in sp.fields:
        if out[fp.name] is None and not fp.nullable:
            out[fp.name] = [] if fp.is_array else {STRING: "", BYTES: b"", RECORDS: b""}.get(fp.kind)
        elif fp.kind == STRUCT and not fp.is_array and out[fp.name] is not None:
            out[fp.name] = _wire_defaults(fp.child)
    return out


def test_known_defaults(impl):
    frame = impl.encode_request(1, 4, 1, "c", {})
    d = impl.decode_request(1, 4, frame[4:], impl.decode_request_header(frame[4:])[4])
    # Absent in v4, so Kafka's explicit defaults.
    assert d["session_epoch"] == -1 and d["rack_id"] == "" and d["replica_state"] == {
        "replica_id": -1, "replica_epoch": -1}
    frame = impl.encode_request(0, 3, 1, "c", {"acks": 1, "timeout_ms": 5})
    d = impl.decode_request(0, 3, frame[4:], impl.decode_request_header(frame[4:])[4])
    assert d == {"transactional_id": None, "acks": 1, "timeout_ms": 5, "topic_data": []}


# ---------------------------------------------------------------------------------------------
# Exact bytes for hand-checked frames

def test_api_versions_v3_response_bytes(impl):
    pieces = impl.encode_response(18, 3, 7, {"api_keys": [{"api_key": 0, "min_version": 0, "max_version": 13}]})
    assert pieces == [bytes.fromhex(
        "00000013"   # size 19
        "00000007"   # correlation id, header v0 (no tags) even though v3 is flexible
        "0000"       # error_code
        "02" "0000" "0000" "000d" "00"  # compact array of 1: key, min, max, tags
        "00000000"   # throttle_time_ms
        "00")]       # body tags


def test_metadata_v1_request_bytes(impl):
    frame = impl.encode_request(3, 1, 2, "ab", {"topics": None})
    assert frame == bytes.fromhex("00000010" "0003" "0001" "00000002" "0002" "6162" "ffffffff")
    off = impl.decode_request_header(frame[4:])[4]
    assert impl.decode_request(3, 1, frame[4:], off)["topics"] is None


def test_tagged_fields_written_only_when_not_default(impl):
    base = impl.encode_response(18, 3, 1, {})
    same = impl.encode_response(18, 3, 1, {"finalized_features_epoch": -1, "zk_migration_ready": False})
    assert base == same
    tagged = b"".join(impl.encode_response(18, 3, 1, {"zk_migration_ready": True}))
    # tags: count 1, tag 3, size 1, value 1
    assert tagged.endswith(bytes([1, 3, 1, 1]))
    _, d = impl.decode_response(18, 3, tagged[4:])
    assert d["zk_migration_ready"] is True and d["finalized_features_epoch"] == -1


def test_unknown_tagged_fields_are_skipped(impl):
    frame = bytearray(impl.encode_request(18, 3, 9, "c", {"client_software_name": "a", "client_software_version": "b"}))
    assert frame[-1] == 0
    frame[-1:] = bytes([2, 5, 3]) + b"xyz" + bytes([9, 0])  # two unknown tags
    frame[:4] = struct.pack(">i", len(frame) - 4)
    off = impl.decode_request_header(bytes(frame[4:]))[4]
    # v5's cluster_id/node_id are absent at v3 and come back as their defaults
    assert impl.decode_request(18, 3, bytes(frame[4:]), off) == {
        "client_software_name": "a", "client_software_version": "b", "cluster_id": None, "node_id": -1}


def test_header_version_choice(impl):
    # Flexible Metadata v9 -> request header v2: the tag byte after client_id is consumed.
    f9 = impl.encode_request(3, 9, 1, "id", {})
    assert impl.decode_request_header(f9[4:])[4] == 10 + 2 + 1
    # Unknown API key and unknown version: header v1 so the broker can still answer.
    raw = struct.pack(">hhih", 999, 3, 42, 1) + b"x" + b"\x00"
    assert impl.decode_request_header(raw) == (999, 3, 42, "x", 11)
    raw = struct.pack(">hhih", 3, 99, 43, -1) + b"\x00"
    assert impl.decode_request_header(raw) == (3, 99, 43, None, 10)


def test_is_flexible_and_versions():
    assert codec.is_flexible(0, 9) and not codec.is_flexible(0, 8)
    assert codec.is_flexible(60, 0) and not codec.is_flexible(47, 0)
    assert not codec.is_flexible(12345, 0)
    assert codec.request_versions(0) == (0, 13)
    assert codec.request_versions(1) == (4, 18)
    assert codec.request_versions(8) == (2, 10)  # v10 (topic ids) is stable since Kafka 4.2
    assert codec.API_NAMES[18] == "ApiVersions" and len(codec.API_NAMES) == 63


def test_records_decode_zero_copy(impl):
    payload = bytes(range(200))
    body = {"acks": 1, "timeout_ms": 1,
            "topic_data": [{"name": "t", "partition_data": [{"index": 3, "records": payload}]}]}
    frame = bytearray(impl.encode_request(0, 8, 1, "c", body)[4:])
    off = impl.decode_request_header(frame)[4]
    rec = impl.decode_request(0, 8, frame, off)["topic_data"][0]["partition_data"][0]["records"]
    assert isinstance(rec, memoryview) and bytes(rec) == payload
    frame[-1] ^= 0xFF  # it is a view of the request buffer, not a copy
    assert rec[-1] == payload[-1] ^ 0xFF
    rec.release()


class Region:
    """Stands in for a file region (storage's FileSlice): only `length` matters to the codec."""

    def __init__(self, length: int) -> None:
        self.length = length


@pytest.mark.parametrize("version", [4, 11, 12, 16])
def test_fetch_response_region_pieces(impl, version):
    r1, r2 = Region(1000), Region(5)
    topic_key = "topic"
    body = {"responses": [{topic_key: "t", "topic_id": b"\1" * 16, "partitions": [
        {"partition_index": 0, "high_watermark": 10, "records": r1},
        {"partition_index": 1, "records": None},
        {"partition_index": 2, "records": b"inline"},
        {"partition_index": 3, "records": r2}]}]}
    pieces = impl.encode_response(1, version, 5, body)
    assert [type(p) for p in pieces] == [bytes, Region, bytes, Region, bytes]
    assert pieces[1] is r1 and pieces[3] is r2
    size = struct.unpack(">i", pieces[0][:4])[0]
    assert size == sum(len(p) if isinstance(p, bytes) else p.length for p in pieces) - 4
    # The length prefix sits at the end of the bytes piece before each region.
    if version >= 12:
        assert pieces[0].endswith(bytes([0xE9, 0x07]))  # uvarint 1001
        assert pieces[2].endswith(bytes([6]))
    else:
        assert pieces[0].endswith(struct.pack(">i", 1000))
        assert pieces[2].endswith(struct.pack(">i", 5))
    # Same frame with the regions' bytes inline decodes to the same thing.
    frame = pieces[0] + b"a" * 1000 + pieces[2] + b"b" * 5 + pieces[4]
    _, d = impl.decode_response(1, version, frame[4:])
    parts = d["responses"][0]["partitions"]
    assert bytes(parts[0]["records"]) == b"a" * 1000 and parts[1]["records"] is None
    assert bytes(parts[2]["records"]) == b"inline" and bytes(parts[3]["records"]) == b"b" * 5


def test_memoryview_and_bytearray_inputs(impl):
    frame = impl.encode_request(3, 12, 5, "c", {"topics": [{"name": "a", "topic_id": bytes(16)}]})
    for buf in (bytearray(frame[4:]), memoryview(frame)[4:], memoryview(b"junk" + frame)[8:]):
        off = impl.decode_request_header(buf)[4]
        assert impl.decode_request(3, 12, buf, off)["topics"][0]["name"] == "a"


# ---------------------------------------------------------------------------------------------
# Malformed input

def _sample_request_frames():
    out = []
    for key, msg in sorted(schema.REQUESTS.items()):
        for v in (msg.versions[0], msg.versions[1]):
            body = sample_struct(schema.plan("request", key, v).body, random.Random(key + v))
            out.append((key, v, _codec_py.encode_request(key, v, 3, "cid", body)[4:]))
    return out


def test_truncated_requests_at_every_byte(impl):
    for key, v, frame in _sample_request_frames():
        off = impl.decode_request_header(frame)[4]
        impl.decode_request(key, v, frame, off)
        for cut in range(len(frame)):
            # A slice of a larger buffer: any read past `cut` would see the real bytes, so an
            # over-read would decode instead of raising.
            view = memoryview(frame)[:cut]
            with pytest.raises(CodecError):
                if cut < off:
                    impl.decode_request_header(view)
                    raise CodecError("header of a truncated frame decoded")  # prefix too short
                impl.decode_request(key, v, view, off)


def test_truncated_responses_at_every_byte(impl):
    for key, msg in sorted(schema.RESPONSES.items()):
        v = msg.versions[1]
        body = sample_struct(schema.plan("response", key, v).body, random.Random(key))
        frame = b"".join(_codec_py.encode_response(key, v, 3, body))[4:]
        for cut in range(len(frame)):
            with pytest.raises(CodecError):
                impl.decode_response(key, v, memoryview(frame)[:cut])


def _header(key, v, flexible):
    return struct.pack(">hhih", key, v, 1, -1) + (b"\x00" if flexible else b"")


@pytest.mark.parametrize("count", [0x7FFFFFFF, 1 << 30, -2, -0x80000000])
def test_absurd_and_negative_array_counts(impl, count):
    # CreateTopics v4 (non-flexible): topics array count first.
    frame = _header(19, 4, False) + struct.pack(">i", count) + b"\x00" * 32
    with pytest.raises(CodecError):
        impl.decode_request(19, 4, frame, 10)
    # Flexible (v5): compact count as uvarint.
    n = count + 1 if count >= 0 else 0xFFFFFFFF
    var = bytearray()
    while n >= 0x80:
        var.append((n & 0x7F) | 0x80)
        n >>= 7
    var.append(n)
    frame = _header(19, 5, True) + bytes(var) + b"\x00" * 32
    with pytest.raises(CodecError):
        impl.decode_request(19, 5, frame, 11)


def test_null_where_not_nullable(impl):
    # Produce v3 topic name (non-nullable string) sent as null.
    frame = _header(0, 3, False) + b"\xff\xff" + struct.pack(">hii", 1, 100, 1) + b"\xff\xff" + struct.pack(">i", 0)
    with pytest.raises(CodecError):
        impl.decode_request(0, 3, frame, 10)


def test_bad_varints_and_utf8(impl):
    # A varint longer than 5 bytes.
    frame = _header(18, 3, True) + b"\xff\xff\xff\xff\xff\xff\x01"
    with pytest.raises(CodecError):
        impl.decode_request(18, 3, frame, 11)
    # Invalid UTF-8 in a string.
    frame = _header(18, 3, True) + b"\x03\xff\xfe" + b"\x01" + b"\x00"
    with pytest.raises(CodecError):
        impl.decode_request(18, 3, frame, 11)
    with pytest.raises(CodecError):
        impl.decode_request_header(struct.pack(">hhih", 18, 0, 1, 2) + b"\xc3\x28")
    with pytest.raises(CodecError):
        impl.decode_request_header(struct.pack(">hhih", 18, 0, 1, -5))


def test_unknown_api_or_version_raises(impl):
    with pytest.raises(CodecError):
        impl.decode_request(999, 0, b"", 0)
    with pytest.raises(CodecError):
        impl.decode_request(1, 3, b"", 0)  # Fetch < v4 is gone in Kafka 4
    with pytest.raises(CodecError):
        impl.encode_response(3, 14, 1, {})
    with pytest.raises(CodecError):
        impl.decode_request(3, 0, "not a buffer", 0)
    with pytest.raises(CodecError):
        impl.decode_request(3, 0, b"\x00\x00\x00\x00", 5)


@pytest.mark.parametrize("body", [
    {"throttle_time_ms": 2**31},                   # out of int32 range
    {"throttle_time_ms": "x"},                     # wrong type
    {"brokers": [{"host": 5}]},                    # str expected
    {"brokers": 7},                                # list expected
    {"brokers": [7]},                              # dict expected
    {"topics": [{"topic_id": b"short"}]},          # uuid must be 16 bytes
    {"cluster_id": "x" * 40000},                   # too long for a Kafka string
    {"brokers": [{"host": "\udc80"}]},             # not encodable as UTF-8
])
def test_unencodable_values_raise_codec_error(impl, body):
    with pytest.raises(CodecError):
        impl.encode_response(3, 12, 1, body)


def test_misspelled_field_raises_naming_it(impl):
    # The example: without the check this encoded error_code=0, a silent success.
    message = r"unknown field 'eror_code' in HeartbeatResponse v4 \(did you mean 'error_code'\?\)"
    with pytest.raises(CodecError, match=message):
        impl.encode_response(12, 4, 1, {"eror_code": 27})
    # In a nested struct, at a non-flexible version, and in a request.
    with pytest.raises(CodecError, match=r"'partiton_index' in MetadataResponse v1\.topics\.partitions"):
        impl.encode_response(3, 1, 1, {"topics": [{"name": "t", "partitions": [{"partiton_index": 0}]}]})
    with pytest.raises(CodecError, match="'session_epch' in FetchRequest v12"):
        impl.encode_request(1, 12, 1, "c", {"session_epch": 3})
    # Next to a tagged field of this version, and where the key is a field of a newer version too.
    with pytest.raises(CodecError, match="'zk_migration'"):
        impl.encode_response(18, 3, 1, {"zk_migration_ready": True, "zk_migration": True})
    with pytest.raises(CodecError, match="'typo'"):
        impl.encode_response(0, 3, 1, {"responses": [{"name": "t", "partition_responses": [
            {"index": 0, "error_message": "newer than v3", "typo": 1}]}]})


def test_fields_of_other_versions_are_skipped(impl):
    """One handler dict serves every version: a field this version lacks is left out silently."""
    full = {"index": 0, "error_code": 3, "base_offset": -1, "log_append_time_ms": -1, "log_start_offset": -1,
            "record_errors": [], "error_message": "only v8+", "current_leader": {"leader_id": 1, "leader_epoch": 0}}

    def body(part_dict):
        return {"responses": [{"name": "t", "partition_responses": [part_dict]}]}

    for version in (3, 8, 9, 10):
        p = schema.plan("response", 0, version)
        part = p.body.fields[0].child.fields[1].child  # responses -> partition_responses
        known_here = {fp.name for fp in part.fields + part.tagged}
        only_here = {k: v for k, v in full.items() if k in known_here}
        assert impl.encode_response(0, version, 1, body(full)) == impl.encode_response(0, version, 1, body(only_here))


def test_bad_region_raises(impl):
    with pytest.raises(CodecError):
        impl.encode_response(1, 12, 1, {"responses": [{"partitions": [{"records": object()}]}]})
    with pytest.raises(CodecError):
        impl.encode_response(1, 12, 1, {"responses": [{"partitions": [{"records": Region(-1)}]}]})
    with pytest.raises(CodecError):
        impl.encode_request(0, 9, 1, "c", {"topic_data": [{"partition_data": [{"records": Region(3)}]}]})


def test_fuzzed_frames_agree_between_implementations():
    """Random byte flips: both implementations give equal results or both raise CodecError."""
    rnd = random.Random(1234)
    frames = _sample_request_frames()
    for _ in range(3000):
        key, v, frame = rnd.choice(frames)
        buf = bytearray(frame)
        for _ in range(rnd.randint(1, 4)):
            buf[rnd.randrange(len(buf))] = rnd.getrandbits(8)
        results = []
        for name in IMPLS:
            m = _module(name)
            try:
                off = m.decode_request_header(bytes(buf))[4]
                results.append(("ok", normalise(m.decode_request(key, v, bytes(buf), off))))
            except CodecError:
                results.append(("error", None))
        assert results[0] == results[1]


@pytest.mark.parametrize("flag,expected_impl", [("1", "pure-python"), ("0", "compiled")])
def test_implementation_switch(flag, expected_impl):
    import os
    import subprocess
    import sys

    code = "from fastlog.protocol import codec; print(codec.IMPLEMENTATION, codec.decode_request.__module__)"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "FASTLOG_PURE_PYTHON": flag},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    impl_name, module = out.stdout.split()
    assert impl_name == expected_impl
    assert module == ("fastlog.protocol._codec_py" if flag == "1" else "fastlog._codec")


@pytest.mark.parametrize("version,length", [
    (0, struct.pack(">i", 0x7FFFFFFF)), (1, struct.pack(">i", -7)),
    (4, b"\xff\xff\xff\xff\x0f"),  # compact length 2**32 - 2
])
def test_absurd_bytes_lengths(impl, version, length):
    # SyncGroup: the request ends with the one assignment's bytes (empty), then in flexible
    # versions the assignment's and the body's tag counts; the length is replaced by an absurd one.
    frame = impl.encode_request(14, version, 1, "c", {"group_id": "g", "member_id": "m",
                                                      "assignments": [{"member_id": "m", "assignment": b""}]})[4:]
    tail = b"\x01\x00\x00" if version >= 4 else b"\x00\x00\x00\x00"
    assert frame.endswith(tail)
    frame = frame[:-len(tail)] + length + b"abc"
    off = impl.decode_request_header(frame)[4]
    with pytest.raises(CodecError, match="bytes length|truncated"):
        impl.decode_request(14, version, frame, off)


@pytest.mark.parametrize("length", [0x7FFF, 0x7FFE, -2, -0x8000])
def test_absurd_string_lengths(impl, length):
    # FindCoordinator v0: key is a non-nullable int16-length string.
    frame = _header(10, 0, False) + struct.pack(">h", length) + b"abc"
    with pytest.raises(CodecError):
        impl.decode_request(10, 0, frame, 10)
