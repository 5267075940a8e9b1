"""Decode request frames captured from real clients (tools/capture_frames.py)."""
from __future__ import annotations

import pathlib
import struct

import pytest

from fastlog.protocol import codec

FRAMES = pathlib.Path(__file__).parent / "frames"
ZERO_UUID = bytes(16)


@pytest.fixture(params=codec.IMPLEMENTATIONS)
def impl(request):
    return codec.implementation(request.param)


def _decode(impl, name):
    frame = (FRAMES / name).read_bytes()
    key, version, corr, client_id, off = impl.decode_request_header(frame)
    return frame, (key, version, corr, client_id), impl.decode_request(key, version, frame, off)


def test_all_frames_present():
    names = sorted(p.name for p in FRAMES.glob("*.bin"))
    assert names == [
        "confluent_ApiVersions_v3.bin", "confluent_Metadata_v13.bin", "confluent_Produce_v10.bin",
        "kafkapython_ApiVersions_v4.bin", "kafkapython_Metadata_v13.bin", "kafkapython_Produce_v9.bin",
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in FRAMES.glob("*.bin")))
def test_reencoding_gives_the_captured_bytes(impl, name):
    """Decoding then encoding a real client's request gives back its exact bytes."""
    frame, (key, version, corr, client_id), body = _decode(impl, name)
    body = _materialise(body)
    assert impl.encode_request(key, version, corr, client_id, body)[4:] == frame


def _materialise(obj):
    if isinstance(obj, dict):
        return {k: _materialise(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_materialise(v) for v in obj]
    if isinstance(obj, memoryview):
        return bytes(obj)
    return obj


def test_confluent_api_versions(impl):
    _, header, body = _decode(impl, "confluent_ApiVersions_v3.bin")
    assert header == (18, 3, 1, "capture-confluent")
    assert body["client_software_name"] == "confluent-kafka-python"
    assert body["client_software_version"].startswith("2.") and "rdkafka" in body["client_software_version"]


def test_kafka_python_api_versions(impl):
    _, header, body = _decode(impl, "kafkapython_ApiVersions_v4.bin")
    assert header == (18, 4, 1, "capture-kafka-python")
    assert body == {"client_software_name": "kafka-python", "client_software_version": body["client_software_version"],
                    "cluster_id": None, "node_id": -1}  # v5 fields, absent at v4: their defaults
    assert body["client_software_version"].split(".")[0] == "3"


def test_confluent_metadata(impl):
    _, header, body = _decode(impl, "confluent_Metadata_v13.bin")
    assert header[:2] == (3, 13) and header[3] == "capture-confluent"
    assert body["topics"] == [{"topic_id": ZERO_UUID, "name": "captured"}]
    assert body["allow_auto_topic_creation"] is True
    assert body["include_topic_authorized_operations"] is False


def test_kafka_python_metadata(impl):
    _, header, body = _decode(impl, "kafkapython_Metadata_v13.bin")
    assert header[:2] == (3, 13) and header[3] == "capture-kafka-python"
    assert body["topics"] == []  # bootstrap: no topics (null would mean all topics)
    assert body["allow_auto_topic_creation"] is True


@pytest.mark.parametrize("name,version,client_id", [
    ("confluent_Produce_v10.bin", 10, "capture-confluent"),
    ("kafkapython_Produce_v9.bin", 9, "capture-kafka-python"),
])
def test_produce(impl, name, version, client_id):
    frame, header, body = _decode(impl, name)
    assert header[:2] == (0, version) and header[3] == client_id
    assert body["transactional_id"] is None and body["acks"] == -1 and body["timeout_ms"] == 30000
    assert len(body["topic_data"]) == 1
    topic = body["topic_data"][0]
    assert topic["name"] == "captured" and len(topic["partition_data"]) == 1
    part = topic["partition_data"][0]
    assert part["index"] == 0
    records = part["records"]
    assert isinstance(records, memoryview) and records.obj is frame  # zero copy
    batch = bytes(records)
    assert _records_of(batch) == [(b"k", b"hello")]


# --- a minimal record batch v2 reader, to check the records slice is exactly the batch ---------

def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return (value >> 1) ^ -(value & 1), pos


def _records_of(batch: bytes) -> list[tuple[bytes, bytes]]:
    batch_length = struct.unpack_from(">i", batch, 8)[0]
    assert len(batch) == 12 + batch_length
    assert batch[16] == 2  # magic
    assert struct.unpack_from(">I", batch, 17)[0] == _crc32c(batch[21:])
    attributes = struct.unpack_from(">h", batch, 21)[0]
    assert attributes & 0x7 == 0  # uncompressed
    count = struct.unpack_from(">i", batch, 57)[0]
    pos, out = 61, []
    for _ in range(count):
        length, pos = _varint(batch, pos)
        end = pos + length
        pos += 1  # attributes
        _, pos = _varint(batch, pos)  # timestamp delta
        _, pos = _varint(batch, pos)  # offset delta
        klen, pos = _varint(batch, pos)
        key = batch[pos:pos + klen]
        pos += klen
        vlen, pos = _varint(batch, pos)
        value = batch[pos:pos + vlen]
        out.append((key, value))
        pos = end
    assert pos == len(batch)
    return out
