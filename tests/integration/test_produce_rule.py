"""Kafka's ProduceRequest rule for v3+ (exactly one whole batch of magic 2 per partition), checked
by the storage engine: clients see the same error code and message as Kafka's wording we always
sent, at every version, and nothing is appended."""
from __future__ import annotations

import socket
import struct

import pytest

from fastlog.protocol import codec

from clients import RawRecord, build_batch

pytestmark = pytest.mark.timeout(60)

PRODUCE = 0


def produce(sock: socket.socket, version: int, topic: str, records) -> dict:
    body = {"transactional_id": None, "acks": -1, "timeout_ms": 5000, "topic_data": [
        {"name": topic, "partition_data": [{"index": 0, "records": records}]}]}
    sock.sendall(codec.encode_request(PRODUCE, version, 7, "rule-test", body))
    (size,) = struct.unpack(">i", sock.recv(4, socket.MSG_WAITALL))
    data = sock.recv(size, socket.MSG_WAITALL)
    corr, response = codec.decode_response(PRODUCE, version, data)
    assert corr == 7
    [topic_response] = response["responses"]
    [partition] = topic_response["partition_responses"]
    return partition


def test_produce_rule_answers_as_before(broker):
    one = build_batch([RawRecord(b"k", b"v")])
    magic1 = bytearray(one)
    magic1[16] = 1
    host, port = broker.bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        assert produce(sock, 9, "rule", one)["error_code"] == 0  # creates the topic, offset 0
        for version in (3, 8, 9, 12):
            for bad in (one + one, one[:-1], bytes(magic1), b"", None):
                p = produce(sock, version, "rule", bad)
                assert p["error_code"] == 87, (version, bad)
                if version >= 8:  # error_message is in the response from v8; Kafka leaves it null here
                    assert p["error_message"] is None
        p = produce(sock, 9, "rule", one)
        assert (p["error_code"], p["base_offset"]) == (0, 1), "no rejected record set was appended"
