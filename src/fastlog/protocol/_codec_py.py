"""Pure-Python twin of the compiled codec (`fastlog._codec`): same API, byte-identical results.

It is the reference the compiled module is tested against and the fallback when the extension
is missing (or FASTLOG_PURE_PYTHON=1). Both walk the per-version plans of `schema.py`.
"""
from __future__ import annotations

import struct
from typing import Any, Mapping, Optional
from uuid import UUID as _UUIDType

from .schema import (
    API_NAMES,
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
    default_struct,
    fresh_default,
    is_flexible,
    plan,
    request_versions,
    unknown_fields_error,
)

__all__ = [
    "API_NAMES", "CodecError", "decode_request", "decode_request_header", "decode_response",
    "encode_request", "encode_response", "is_flexible", "request_versions",
]

_S_I8 = struct.Struct(">b")
_S_I16 = struct.Struct(">h")
_S_U16 = struct.Struct(">H")
_S_I32 = struct.Struct(">i")
_S_I64 = struct.Struct(">q")
_S_F64 = struct.Struct(">d")
_FIXED = {INT8: _S_I8, INT16: _S_I16, UINT16: _S_U16, INT32: _S_I32, INT64: _S_I64, FLOAT64: _S_F64}
_MISSING = object()
_MAX_STRING = 0x7FFF  # Kafka refuses longer strings on both sides
# Bad values from a handler (wrong type, out of range) become CodecError, as in the compiled codec.
_ENCODE_ERRORS = (OverflowError, TypeError, UnicodeError, BufferError, struct.error)


# --------------------------------------------------------------------------------------------
# Decoding

class _Reader:
    __slots__ = ("buf", "view", "pos", "end")

    def __init__(self, buf: Any, pos: int, end: int) -> None:
        self.buf = buf
        self.view: Optional[memoryview] = None  # made on the first records field
        self.pos = pos
        self.end = end

    def need(self, n: int) -> int:
        p = self.pos
        if n < 0 or n > self.end - p:
            raise CodecError(f"truncated: need {n} bytes at {p}, have {self.end - p}")
        self.pos = p + n
        return p

    def fixed(self, s: struct.Struct) -> Any:
        p = self.need(s.size)
        return s.unpack_from(self.buf, p)[0]

    def uvarint(self) -> int:
        # Kafka reads at most 5 bytes for a 32-bit unsigned varint.
        value = 0
        for shift in (0, 7, 14, 21, 28):
            b = self.buf[self.need(1)]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                if value > 0xFFFFFFFF:
                    break
                return value
        raise CodecError("malformed unsigned varint")

    def length(self, flex: bool, wide: bool) -> int:
        """A length or count: -1 means null. wide = int32 (bytes, arrays) rather than int16."""
        if flex:
            return self.uvarint() - 1
        return self.fixed(_S_I32 if wide else _S_I16)

    def raw(self, n: int) -> bytes:
        p = self.need(n)
        return bytes(self.buf[p:p + n])

    def string(self, n: int) -> str:
        p = self.need(n)
        try:
            return str(self.buf[p:p + n], "utf-8")
        except UnicodeDecodeError as e:
            raise CodecError(f"invalid UTF-8 string at {p}") from e


def _read_value(r: _Reader, fp: FieldPlan, kind: int, flex: bool) -> Any:
    """One non-array value of `kind` (the element of an array, or a scalar field)."""
    if kind == STRUCT:
        return _read_struct(r, fp.child, flex)  # type: ignore[arg-type]
    s = _FIXED.get(kind)
    if s is not None:
        return r.fixed(s)
    if kind == BOOL:
        return r.buf[r.need(1)] != 0
    if kind == UUID:
        return r.raw(16)
    if kind == STRING:
        n = r.length(flex, False)
        if n < 0:
            if n == -1 and fp.nullable and not fp.is_array:
                return None
            raise CodecError(f"bad string length {n} for {fp.name}")
        if n > _MAX_STRING:
            raise CodecError(f"string too long for {fp.name}")
        return r.string(n)
    if kind == BYTES or kind == RECORDS:
        n = r.length(flex, True)
        if n < 0:
            if n == -1 and fp.nullable:
                return None
            raise CodecError(f"bad bytes length {n} for {fp.name}")
        if kind == BYTES:
            return r.raw(n)
        p = r.need(n)
        if r.view is None:
            r.view = memoryview(r.buf)
        return r.view[p:p + n]
    raise CodecError(f"unknown kind {kind}")


def _read_field(r: _Reader, fp: FieldPlan, flex: bool) -> Any:
    if fp.is_array:
        n = r.length(flex, True)
        if n < 0:
            if n == -1 and fp.nullable:
                return None
            raise CodecError(f"bad array length {n} for {fp.name}")
        if n > r.end - r.pos:
            raise CodecError(f"array length {n} for {fp.name} exceeds the remaining bytes")
        kind = fp.kind
        return [_read_value(r, fp, kind, flex) for _ in range(n)]
    if fp.kind == STRUCT and fp.nullable:
        # Nullable structs carry an int8 presence marker (-1 = null).
        marker = r.fixed(_S_I8)
        if marker < 0:
            return None
    return _read_value(r, fp, fp.kind, flex)


def _read_struct(r: _Reader, sp: StructPlan, flex: bool) -> dict:
    out = {}
    for fp in sp.fields:
        out[fp.name] = _read_field(r, fp, flex)
    if flex:
        tagged = sp.tagged
        for fp in tagged:
            out[fp.name] = fresh_default(fp)
        count = r.uvarint()
        if count > r.end - r.pos:
            raise CodecError("tagged field count exceeds the remaining bytes")
        for _ in range(count):
            tag = r.uvarint()
            size = r.uvarint()
            start = r.need(size)
            for fp in tagged:
                if fp.tag == tag:
                    # A known tag is read within its declared size only.
                    sub = _Reader(r.buf, start, start + size)
                    sub.view = r.view
                    out[fp.name] = _read_field(sub, fp, flex)
                    if r.view is None:
                        r.view = sub.view
                    break
    for fp in sp.absent:
        out[fp.name] = fresh_default(fp)
    return out


def _as_buffer(buf: Any) -> Any:
    if isinstance(buf, (bytes, bytearray)):
        return buf
    try:
        m = memoryview(buf)
    except TypeError as e:
        raise CodecError("buffer expected") from e
    if not m.c_contiguous:
        raise CodecError("contiguous buffer expected")
    return m.cast("B") if m.format != "B" or m.ndim != 1 else m


def decode_request_header(buf: Any) -> tuple[int, int, int, Optional[str], int]:
    """(api_key, api_version, correlation_id, client_id, body_offset) of one request frame."""
    b = _as_buffer(buf)
    r = _Reader(b, 0, len(b))
    api_key = r.fixed(_S_I16)
    api_version = r.fixed(_S_I16)
    correlation_id = r.fixed(_S_I32)
    n = r.fixed(_S_I16)
    if n < -1:
        raise CodecError(f"bad client_id length {n}")
    client_id = None if n == -1 else r.string(n)
    if is_flexible(api_key, api_version):
        _skip_tags(r)
    return api_key, api_version, correlation_id, client_id, r.pos


def _skip_tags(r: _Reader) -> None:
    count = r.uvarint()
    if count > r.end - r.pos:
        raise CodecError("tagged field count exceeds the remaining bytes")
    for _ in range(count):
        r.uvarint()
        r.need(r.uvarint())


def decode_request(api_key: int, api_version: int, buf: Any, offset: int = 0) -> dict:
    """The body of a request starting at `offset` of `buf` (one frame without its size)."""
    p = plan("request", api_key, api_version)
    b = _as_buffer(buf)
    if offset < 0 or offset > len(b):
        raise CodecError("offset outside the buffer")
    return _read_struct(_Reader(b, offset, len(b)), p.body, p.flexible)


def decode_response(api_key: int, api_version: int, buf: Any) -> tuple[int, dict]:
    """(correlation_id, body) of one response frame without its 4-byte size prefix."""
    p = plan("response", api_key, api_version)
    b = _as_buffer(buf)
    r = _Reader(b, 0, len(b))
    correlation_id = r.fixed(_S_I32)
    if p.flexible and api_key != 18:
        _skip_tags(r)
    return correlation_id, _read_struct(r, p.body, p.flexible)


# --------------------------------------------------------------------------------------------
# Encoding

class _Writer:
    __slots__ = ("buf", "cuts")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.cuts: list = []  # (position in buf, region object) for records sent as file regions

    def uvarint(self, v: int) -> None:
        buf = self.buf
        while v >= 0x80:
            buf.append((v & 0x7F) | 0x80)
            v >>= 7
        buf.append(v)

    def length(self, n: int, flex: bool, wide: bool) -> None:
        if flex:
            self.uvarint(n + 1)
        else:
            self.buf += (_S_I32 if wide else _S_I16).pack(n)


def _pack(s: struct.Struct, value: Any, name: str) -> bytes:
    try:
        return s.pack(value)
    except (struct.error, TypeError) as e:
        raise CodecError(f"cannot encode {value!r} as {name}") from e


def _write_value(w: _Writer, fp: FieldPlan, kind: int, value: Any, flex: bool, nullable: bool) -> None:
    if kind == STRUCT:
        if value is None:
            value = default_struct(fp.child)  # type: ignore[arg-type]
        _write_struct(w, fp.child, value, flex)  # type: ignore[arg-type]
        return
    s = _FIXED.get(kind)
    if s is not None:
        w.buf += _pack(s, value, fp.name)
    elif kind == BOOL:
        w.buf.append(1 if value else 0)
    elif kind == UUID:
        if isinstance(value, _UUIDType):
            value = value.bytes
        if not isinstance(value, (bytes, bytearray, memoryview)) or len(value) != 16:
            raise CodecError(f"{fp.name}: uuid must be 16 bytes")
        w.buf += value
    elif kind == STRING:
        if value is None:
            if nullable:
                w.length(-1, flex, False)
                return
            value = ""
        if not isinstance(value, str):
            raise CodecError(f"{fp.name}: str expected, got {type(value).__name__}")
        data = value.encode("utf-8")
        if len(data) > _MAX_STRING:
            raise CodecError(f"{fp.name}: string too long")
        w.length(len(data), flex, False)
        w.buf += data
    elif kind == BYTES or kind == RECORDS:
        if value is None:
            if nullable:
                w.length(-1, flex, True)
                return
            value = b""
        try:
            mv = memoryview(value)
        except TypeError:
            if kind == BYTES:
                raise CodecError(f"{fp.name}: bytes expected") from None
            # A file region: its length prefix here, the object as its own piece.
            n = getattr(value, "length", None)
            if type(n) is not int or n < 0 or n > 0x7FFFFFFF:
                raise CodecError(f"{fp.name}: records must be bytes-like or have an int length")
            w.length(n, flex, True)
            w.cuts.append((len(w.buf), value))
            return
        w.length(mv.nbytes, flex, True)
        w.buf += mv
    else:
        raise CodecError(f"unknown kind {kind}")


def _write_field(w: _Writer, fp: FieldPlan, value: Any, flex: bool) -> None:
    if fp.is_array:
        if value is None:
            if fp.nullable:
                w.length(-1, flex, True)
                return
            value = ()
        try:
            n = len(value)
        except TypeError:
            raise CodecError(f"{fp.name}: list expected") from None
        w.length(n, flex, True)
        kind = fp.kind
        for item in value:
            _write_value(w, fp, kind, item, flex, False)
        return
    if fp.kind == STRUCT and fp.nullable:
        if value is None:
            w.buf.append(0xFF)
            return
        w.buf.append(1)
    _write_value(w, fp, fp.kind, value, flex, fp.nullable)


def _write_struct(w: _Writer, sp: StructPlan, body: Any, flex: bool) -> None:
    if not isinstance(body, dict):
        raise CodecError(f"dict expected, got {type(body).__name__}")
    get = body.get
    found = 0  # keys of body that this version writes
    for fp in sp.fields:
        value = get(fp.name, _MISSING)
        if value is _MISSING:
            value = fresh_default(fp)
        else:
            found += 1
        _write_field(w, fp, value, flex)
    present = []
    if flex:
        for fp in sp.tagged:
            value = get(fp.name, _MISSING)
            if value is _MISSING:
                continue
            found += 1
            if value == fresh_default(fp):
                continue  # Kafka writes a tagged field only when it differs from its default
            present.append((fp, value))
    # Other keys must be fields of other versions (looking up the few absent fields is cheaper
    # than walking the keys); anything else is a misspelling.
    if len(body) != found and len(body) != found + sum(fp.name in body for fp in sp.absent):
        raise unknown_fields_error(sp, body)
    if not flex:
        return
    w.uvarint(len(present))
    for fp, value in present:
        sub = _Writer()
        _write_field(sub, fp, value, flex)
        if sub.cuts:
            raise CodecError(f"{fp.name}: file regions cannot be tagged fields")
        w.uvarint(fp.tag)
        w.uvarint(len(sub.buf))
        w.buf += sub.buf


def _frame(w: _Writer) -> list:
    """Cut the buffer at the regions, patch the size prefix, return the pieces."""
    buf = w.buf
    size = len(buf) - 4
    for _, region in w.cuts:
        size += region.length
    if size > 0x7FFFFFFF:
        raise CodecError("frame too large")
    buf[0:4] = _S_I32.pack(size)
    pieces: list = []
    start = 0
    for pos, region in w.cuts:
        pieces.append(bytes(buf[start:pos]))
        pieces.append(region)
        start = pos
    pieces.append(bytes(buf[start:]))
    return pieces


def encode_response(api_key: int, api_version: int, correlation_id: int, body: Mapping[str, Any]) -> list:
    """The whole response frame (size, header, body) as a list of pieces (see the contract)."""
    p = plan("response", api_key, api_version)
    w = _Writer()
    w.buf += b"\0\0\0\0"
    w.buf += _pack(_S_I32, correlation_id, "correlation_id")
    if p.flexible and api_key != 18:  # ApiVersions always answers with header v0
        w.buf.append(0)
    try:
        _write_struct(w, p.body, body, p.flexible)
    except _ENCODE_ERRORS as e:
        raise CodecError(f"cannot encode response: {e}") from e
    return _frame(w)


def encode_request(api_key: int, api_version: int, correlation_id: int, client_id: Optional[str],
                   body: Mapping[str, Any]) -> bytes:
    """A whole request frame (size prefix, header v1/v2, body)."""
    p = plan("request", api_key, api_version)
    w = _Writer()
    w.buf += b"\0\0\0\0"
    w.buf += _pack(_S_I16, api_key, "api_key")
    w.buf += _pack(_S_I16, api_version, "api_version")
    w.buf += _pack(_S_I32, correlation_id, "correlation_id")
    if client_id is None:
        w.buf += b"\xff\xff"
    else:
        try:
            data = client_id.encode("utf-8")
        except (AttributeError, UnicodeError) as e:
            raise CodecError("client_id must be a str") from e
        if len(data) > _MAX_STRING:
            raise CodecError("client_id too long")
        w.buf += _S_I16.pack(len(data)) + data
    if p.flexible:
        w.buf.append(0)
    try:
        _write_struct(w, p.body, body, p.flexible)
    except _ENCODE_ERRORS as e:
        raise CodecError(f"cannot encode request: {e}") from e
    if w.cuts:
        raise CodecError("requests carry records as bytes")
    return b"".join(_frame(w))
