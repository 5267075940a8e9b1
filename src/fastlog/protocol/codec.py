"""The Kafka wire codec: the compiled `fastlog._codec`, or the pure-Python twin.

The twin is used when FASTLOG_PURE_PYTHON=1 or when the extension is not built. Both raise the
same `CodecError` (defined in schema.py so that neither imports the other) and give
byte-identical results. See docs/architecture.md "Codec contract".
"""
from __future__ import annotations

import os
from types import ModuleType
from typing import Optional

from . import _codec_py
from .schema import API_NAMES, CodecError, is_flexible, request_versions

_compiled: Optional[ModuleType]
try:
    from fastlog import _codec as _compiled
except ImportError:
    _compiled = None

# The two implementations, by the names tests and benchmarks compare them under.
IMPLEMENTATIONS = ("compiled", "pure")


def implementation(name: str) -> ModuleType:
    """The codec module called `name` ("compiled" or "pure")."""
    if name == "pure":
        return _codec_py
    if _compiled is None:
        raise RuntimeError("fastlog._codec is not built (pip install -e . --no-build-isolation)")
    return _compiled


_impl = _codec_py if os.environ.get("FASTLOG_PURE_PYTHON") == "1" or _compiled is None else _compiled

IMPLEMENTATION: str = "pure-python" if _impl.__name__.endswith("_codec_py") else "compiled"

decode_request_header = _impl.decode_request_header
decode_request = _impl.decode_request
encode_response = _impl.encode_response
encode_request = _impl.encode_request
decode_response = _impl.decode_response

__all__ = [
    "API_NAMES", "CodecError", "IMPLEMENTATION", "IMPLEMENTATIONS", "implementation", "decode_request",
    "decode_request_header", "decode_response", "encode_request", "encode_response", "is_flexible", "request_versions",
]
