"""Micro benchmarks of the codec's hot paths: compiled (fastlog._codec) vs the pure-Python twin.

    pytest benchmarks/test_codec_kernels.py --benchmark-json=bench-results/micro-codec-DATE.json

Each benchmark also checks its result, so a broken kernel cannot post a good number.
"""
from __future__ import annotations

import uuid

import pytest

from fastlog.protocol import _codec_py, codec


@pytest.fixture(params=codec.IMPLEMENTATIONS)
def impl(request):
    return codec.implementation(request.param)


class Region:
    """A file region as the storage layer hands it to the codec (only `length` is read)."""

    def __init__(self, length: int) -> None:
        self.length = length


# A Produce v9 request as librdkafka sends it under load: one topic, 4 partitions, 16 KiB batches.
PRODUCE_BODY = {
    "transactional_id": None, "acks": -1, "timeout_ms": 30000,
    "topic_data": [{"name": "bench-topic", "partition_data": [
        {"index": i, "records": bytes([i]) * 16384} for i in range(4)]}],
}
PRODUCE_FRAME = _codec_py.encode_request(0, 9, 12345, "rdkafka", PRODUCE_BODY)[4:]

# A Fetch v12 response: one topic, 8 partitions, records sent as file regions.
FETCH_BODY = {
    "throttle_time_ms": 0, "error_code": 0, "session_id": 0,
    "responses": [{"topic": "bench-topic", "partitions": [
        {"partition_index": i, "error_code": 0, "high_watermark": 1_000_000 + i, "last_stable_offset": 1_000_000 + i,
         "log_start_offset": 0, "aborted_transactions": None, "preferred_read_replica": -1,
         "records": Region(1 << 20)} for i in range(8)]}],
}

# A Metadata v12 response: 1 broker, 20 topics x 8 partitions.
METADATA_BODY = {
    "throttle_time_ms": 0,
    "brokers": [{"node_id": 1, "host": "127.0.0.1", "port": 9092, "rack": None}],
    "cluster_id": "fastlog-cluster", "controller_id": 1,
    "topics": [{"error_code": 0, "name": f"topic-{t}", "topic_id": uuid.UUID(int=t + 1).bytes, "is_internal": False,
                "partitions": [{"error_code": 0, "partition_index": p, "leader_id": 1, "leader_epoch": 0,
                                "replica_nodes": [1], "isr_nodes": [1], "offline_replicas": []} for p in range(8)],
                "topic_authorized_operations": -2147483648} for t in range(20)],
}


def test_header_decode(benchmark, impl):
    result = benchmark(impl.decode_request_header, PRODUCE_FRAME)
    assert result == (0, 9, 12345, "rdkafka", 18)


def test_produce_request_decode(benchmark, impl):
    body = benchmark(impl.decode_request, 0, 9, PRODUCE_FRAME, 18)
    parts = body["topic_data"][0]["partition_data"]
    assert len(parts) == 4 and len(parts[3]["records"]) == 16384


def test_fetch_response_encode(benchmark, impl):
    pieces = benchmark(impl.encode_response, 1, 12, 7, FETCH_BODY)
    assert len(pieces) == 17 and isinstance(pieces[1], Region)


def test_metadata_response_encode(benchmark, impl):
    pieces = benchmark(impl.encode_response, 3, 12, 7, METADATA_BODY)
    assert len(pieces) == 1 and len(pieces[0]) > 2000


def test_metadata_response_encode_old_version(benchmark, impl):
    # The same dicts at v1: each struct holds fields v1 lacks, so the unknown-key check looks up
    # those absent fields (the one case where it costs anything).
    pieces = benchmark(impl.encode_response, 3, 1, 7, METADATA_BODY)
    assert len(pieces) == 1 and len(pieces[0]) > 2000
