"""DescribeConfigs v4 (and any request) over a raw socket (fastlog's pure-Python codec encodes and decodes), so a
test sees every field, config_type and documentation included, which client libraries hide."""
from __future__ import annotations

import socket
import struct

from fastlog.protocol import _codec_py as codec

TOPIC, BROKER = 2, 4


def describe_configs(bootstrap: str, resources: list[tuple[int, str]], synonyms: bool = True,
                     documentation: bool = True, version: int = 4) -> list[dict]:
    body = {"resources": [{"resource_type": t, "resource_name": n, "configuration_keys": None}
                          for t, n in resources],
            "include_synonyms": synonyms, "include_documentation": documentation}
    return request(bootstrap, 32, version, body)["results"]


def request(bootstrap: str, api_key: int, version: int, body: dict) -> dict:
    """Send one request, return the decoded response body."""
    host, port = bootstrap.rsplit(":", 1)
    frame = codec.encode_request(api_key, version, 7, "configs-raw", body)
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(frame)
        size = struct.unpack(">i", _read(s, 4))[0]
        correlation_id, answer = codec.decode_response(api_key, version, _read(s, size))
    assert correlation_id == 7
    return answer


def _read(s: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        out += chunk
    return bytes(out)
