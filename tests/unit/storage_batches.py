"""Build Kafka record batches v2 in tests, independently of the code under test.

Compression uses the same libraries real clients use (zlib, lz4.frame, zstandard, cramjam snappy
in the xerial framing of Java and librdkafka). `crc32c_ref` is a plain table implementation, so
tests can check fastlog's CRC against something that is not fastlog.
"""
from __future__ import annotations

import gzip
import struct
from typing import Optional, Sequence

import cramjam
import lz4.frame
import zstandard

NONE, GZIP, SNAPPY, LZ4, ZSTD = 0, 1, 2, 3, 4
BASE_TS = 1_700_000_000_000


def _table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _table()


def crc32c_ref(data: bytes, value: int = 0) -> int:
    crc = value ^ 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint(n: int) -> bytes:
    return uvarint((n << 1) ^ (n >> 63))


def _field(b: Optional[bytes]) -> bytes:
    return varint(-1) if b is None else varint(len(b)) + b


def record(
    offset_delta: int,
    ts_delta: int,
    key: Optional[bytes],
    value: Optional[bytes],
    headers: Sequence[tuple[bytes, Optional[bytes]]] = (),
) -> bytes:
    body = b"\x00" + varint(ts_delta) + varint(offset_delta) + _field(key) + _field(value)
    body += varint(len(headers))
    for k, v in headers:
        body += varint(len(k)) + k + _field(v)
    return varint(len(body)) + body


def xerial_snappy(data: bytes, block: int = 32 * 1024) -> bytes:
    out = bytearray(b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1))
    for i in range(0, len(data), block):
        c = bytes(cramjam.snappy.compress_raw(data[i : i + block]))
        out += struct.pack(">i", len(c)) + c
    return bytes(out)


def compress(codec: int, data: bytes, snappy_framing: str = "xerial") -> bytes:
    if codec == NONE:
        return data
    if codec == GZIP:
        return gzip.compress(data)
    if codec == SNAPPY:
        if snappy_framing == "raw":
            return bytes(cramjam.snappy.compress_raw(data))
        return xerial_snappy(data)
    if codec == LZ4:
        return lz4.frame.compress(data)
    if codec == ZSTD:
        return zstandard.ZstdCompressor().compress(data)
    raise ValueError(codec)


def batch(
    values: Sequence[Optional[bytes]] = (b"v",),
    *,
    keys: Optional[Sequence[Optional[bytes]]] = None,
    ts_deltas: Optional[Sequence[int]] = None,
    offset_deltas: Optional[Sequence[int]] = None,
    headers: Sequence[tuple[bytes, Optional[bytes]]] = (),
    base_timestamp: int = BASE_TS,
    max_timestamp: Optional[int] = None,
    codec: int = NONE,
    snappy_framing: str = "xerial",
    attributes_extra: int = 0,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    base_offset: int = 0,
    partition_leader_epoch: int = -1,
    magic: int = 2,
    records_count: Optional[int] = None,
    last_offset_delta: Optional[int] = None,
    records_blob: Optional[bytes] = None,
    crc: Optional[int] = None,
) -> bytes:
    """One v2 batch; every field can be overridden to make broken batches."""
    n = len(values)
    keys = keys if keys is not None else [None] * n
    ts_deltas = ts_deltas if ts_deltas is not None else list(range(n))
    offset_deltas = offset_deltas if offset_deltas is not None else list(range(n))
    if records_blob is None:
        raw = b"".join(record(offset_deltas[i], ts_deltas[i], keys[i], values[i], headers) for i in range(n))
        records_blob = compress(codec, raw, snappy_framing)
    if max_timestamp is None:
        max_timestamp = base_timestamp + max(ts_deltas) if n else base_timestamp
    attributes = codec | attributes_extra
    after_crc = struct.pack(
        ">hiqqqhii",
        attributes,
        n - 1 if last_offset_delta is None else last_offset_delta,
        base_timestamp,
        max_timestamp,
        producer_id,
        producer_epoch,
        base_sequence,
        n if records_count is None else records_count,
    ) + records_blob
    if crc is None:
        crc = crc32c_fast(after_crc)
    body = struct.pack(">ibI", partition_leader_epoch, magic, crc) + after_crc
    return struct.pack(">qi", base_offset, len(body)) + body


def crc32c_fast(data: bytes) -> int:
    # Big payloads would take seconds with the table version; fastlog's CRC is itself
    # checked against crc32c_ref in test_storage.py.
    if len(data) < 4096:
        return crc32c_ref(data)
    from fastlog._native import crc32c

    return crc32c(data)


def parse_batches(data: bytes) -> list[dict]:
    """Split a byte range of the log into batches (a trailing partial batch is dropped, as clients do)."""
    out = []
    pos = 0
    while pos + 61 <= len(data):
        base_offset, length = struct.unpack_from(">qi", data, pos)
        if pos + 12 + length > len(data):
            break
        ple, magic, crc = struct.unpack_from(">ibI", data, pos + 12)
        (attributes, lod, base_ts, max_ts, pid, epoch, seq, count) = struct.unpack_from(">hiqqqhii", data, pos + 21)
        out.append(
            dict(
                base_offset=base_offset,
                length=length,
                partition_leader_epoch=ple,
                magic=magic,
                crc=crc,
                crc_ok=crc32c_fast(data[pos + 21 : pos + 12 + length]) == crc,
                attributes=attributes,
                last_offset_delta=lod,
                base_timestamp=base_ts,
                max_timestamp=max_ts,
                producer_id=pid,
                producer_epoch=epoch,
                base_sequence=seq,
                records_count=count,
                payload=data[pos + 61 : pos + 12 + length],
            )
        )
        pos += 12 + length
    return out


def open_log(path: str, **settings):
    """A PartitionLog with the broker's default topic settings (from the config table), some
    replaced: the engine itself has no defaults."""
    from fastlog._native import PartitionLog
    from fastlog.config import Config
    from fastlog.storage.log_manager import log_settings

    return PartitionLog(str(path), log_settings(Config(), {}, **settings))
