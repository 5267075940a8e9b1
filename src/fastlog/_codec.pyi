"""Compiled Kafka wire codec (ext/fastlog/_codec.pyx); same API as fastlog.protocol._codec_py.

See docs/architecture.md "Codec contract".
"""
from typing import Any, Mapping, Optional

from fastlog.protocol.schema import API_NAMES as API_NAMES
from fastlog.protocol.schema import CodecError as CodecError
from fastlog.protocol.schema import is_flexible as is_flexible
from fastlog.protocol.schema import request_versions as request_versions

__all__ = [
    "API_NAMES", "CodecError", "decode_request", "decode_request_header", "decode_response",
    "encode_request", "encode_response", "is_flexible", "request_versions",
]

def decode_request_header(buf: Any) -> tuple[int, int, int, Optional[str], int]:
    """(api_key, api_version, correlation_id, client_id, body_offset) of one request frame
    (without its 4-byte size). Header v2 for flexible versions of known APIs, else v1."""

def decode_request(api_key: int, api_version: int, buf: Any, offset: int = 0) -> dict[str, Any]:
    """The request body at `offset`; records fields are memoryview slices of `buf`."""

def decode_response(api_key: int, api_version: int, buf: Any) -> tuple[int, dict[str, Any]]:
    """(correlation_id, body) of one response frame without its 4-byte size."""

def encode_response(api_key: int, api_version: int, correlation_id: int, body: Mapping[str, Any]) -> list[Any]:
    """Whole response frame as pieces: bytes, and file-region objects for non-bytes records."""

def encode_request(api_key: int, api_version: int, correlation_id: int, client_id: Optional[str],
                   body: Mapping[str, Any]) -> bytes:
    """Whole request frame, size prefix included."""
