"""Durable transaction state: the internal compacted topic `__transaction_state`.

One record per change of a transactional id's metadata, in Kafka's layout (TransactionLogKey v0,
TransactionLogValue v1, as Kafka 4 writes them once transaction.version is 1 or more):

    key    version int16 (0), transactional_id string (int16 length)
    value  version int16 (1), producer_id int64, producer_epoch int16, timeout_ms int32,
           status int8 (TxnState), partitions compact array (null when none) of
           {topic compact string, partitions compact array of int32, tagged fields},
           last_update_timestamp_ms int64, start_timestamp_ms int64,
           tagged fields: 0 previous producer id int64 (default -1), 1 next producer id int64
           (default -1, set while a transaction.version 2 commit or abort rotates the id),
           2 client transaction version int16 (default 0)

Compact strings and arrays carry an unsigned varint of length + 1 (0 = null); a tagged field is
written only when it differs from its default (tag, size, value, tags in order). Value v0 (fastlog
before transaction.version 2, and Kafka below level 1) is the same without the tagged fields, with
int16-length strings and int32-count arrays (-1 = null); both are read.

A null value (tombstone) removes the id (transactional.id.expiration.ms). The partition of an id is
Kafka's: abs(java hashCode(id)) % transaction.state.log.num.partitions. On start the log is
replayed, the last record of a key wins. Like `__consumer_offsets` it is an internal compacted
topic (internal_topic.py): the log cleaner keeps it small, there is no rewrite of its own.
"""
from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Optional

from fastlog.coordinator.consumer_records import _cstr, _FlexReader, _uvarint
from fastlog.coordinator.internal_topic import InternalTopicLog
from fastlog.coordinator.offsets_log import _Reader, _str

if TYPE_CHECKING:
    from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.transactions")

TOPIC = "__transaction_state"
KEY_V0 = 0
VALUE_V0 = 0
VALUE_V1 = 1
NO_PRODUCER_ID = -1
TAG_PREVIOUS_PRODUCER_ID = 0
TAG_NEXT_PRODUCER_ID = 1
TAG_CLIENT_TRANSACTION_VERSION = 2


@dataclass
class StoredTxn:
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    status: int
    partitions: list[tuple[str, int]]
    last_update_ms: int
    start_ms: int
    previous_producer_id: int = NO_PRODUCER_ID
    next_producer_id: int = NO_PRODUCER_ID
    client_transaction_version: int = 0


def txn_key(transactional_id: str) -> bytes:
    return struct.pack(">h", KEY_V0) + _str(transactional_id)


def txn_value(t: StoredTxn) -> bytes:
    """Value v1 (flexible)."""
    out = [struct.pack(">hqhib", VALUE_V1, t.producer_id, t.producer_epoch, t.timeout_ms, t.status)]
    if not t.partitions:
        out.append(_uvarint(0))
    else:
        by_topic: dict[str, list[int]] = {}
        for topic, part in sorted(t.partitions):
            by_topic.setdefault(topic, []).append(part)
        out.append(_uvarint(len(by_topic) + 1))
        for topic, parts in by_topic.items():
            out += [_cstr(topic), _uvarint(len(parts) + 1), struct.pack(f">{len(parts)}i", *parts), b"\x00"]
    out.append(struct.pack(">qq", t.last_update_ms, t.start_ms))
    tagged = []
    if t.previous_producer_id != NO_PRODUCER_ID:
        tagged.append((TAG_PREVIOUS_PRODUCER_ID, struct.pack(">q", t.previous_producer_id)))
    if t.next_producer_id != NO_PRODUCER_ID:
        tagged.append((TAG_NEXT_PRODUCER_ID, struct.pack(">q", t.next_producer_id)))
    if t.client_transaction_version != 0:
        tagged.append((TAG_CLIENT_TRANSACTION_VERSION, struct.pack(">h", t.client_transaction_version)))
    out.append(_uvarint(len(tagged)))
    out += [_uvarint(tag) + _uvarint(len(data)) + data for tag, data in tagged]
    return b"".join(out)


def decode_txn_key(data: bytes) -> str:
    r = _Reader(data)
    version = r.int16()
    if version != KEY_V0:
        raise ValueError(f"unknown transaction log key version {version}")
    tid = r.string()
    if tid is None:
        raise ValueError("null transactional id")
    return tid


def decode_txn_value(data: bytes) -> StoredTxn:
    version = struct.unpack(">h", data[:2])[0] if len(data) >= 2 else -1
    if version == VALUE_V0:
        return _decode_v0(data)
    if version == VALUE_V1:
        return _decode_v1(data)
    raise ValueError(f"unknown transaction log value version {version}")


def _decode_v0(data: bytes) -> StoredTxn:
    r = _Reader(data)
    r.int16()
    pid, epoch, timeout = r.int64(), r.int16(), r.int32()
    status = struct.unpack(">b", r.take(1))[0]
    count = r.int32()
    partitions: list[tuple[str, int]] = []
    if count > len(data):
        raise ValueError("bad partition count")
    for _ in range(max(count, 0)):
        topic = r.string()
        n = r.int32()
        if topic is None or n < 0 or n * 4 > len(data):
            raise ValueError("bad partition list")
        partitions += [(topic, r.int32()) for _ in range(n)]
    return StoredTxn(pid, epoch, timeout, status, partitions, r.int64(), r.int64())


def _decode_v1(data: bytes) -> StoredTxn:
    r = _FlexReader(data)
    r.int16()
    pid, epoch, timeout = r.int64(), r.int16(), r.int32()
    status = struct.unpack(">b", r.take(1))[0]
    partitions: list[tuple[str, int]] = []
    topics = r.uvarint() - 1  # -1: null, no partitions
    if topics > len(data):
        raise ValueError("bad partition count")
    for _ in range(max(topics, 0)):
        topic = r.cstr()
        n = r.count()
        if topic is None:
            raise ValueError("bad partition list")
        partitions += [(topic, part) for part in struct.unpack(f">{n}i", r.take(4 * n))]
        r.skip_tags()
    stored = StoredTxn(pid, epoch, timeout, status, partitions, r.int64(), r.int64())
    for _ in range(r.uvarint()):
        tag, size = r.uvarint(), r.uvarint()
        field = r.take(size)
        if tag == TAG_PREVIOUS_PRODUCER_ID and size == 8:
            stored.previous_producer_id = struct.unpack(">q", field)[0]
        elif tag == TAG_NEXT_PRODUCER_ID and size == 8:
            stored.next_producer_id = struct.unpack(">q", field)[0]
        elif tag == TAG_CLIENT_TRANSACTION_VERSION and size == 2:
            stored.client_transaction_version = struct.unpack(">h", field)[0]
    return stored


class TxnLog(InternalTopicLog):
    """Appends and replays `__transaction_state`. Used from the event loop only."""

    def __init__(self, logs: "LogManager", num_partitions: int, segment_bytes: int) -> None:
        super().__init__(logs, TOPIC, num_partitions, segment_bytes)

    def write(self, transactional_id: str, value: Optional[bytes]) -> None:
        """One record, durable (to the OS) when this returns; raises on failure."""
        self.append(self.partition_for(transactional_id), [(txn_key(transactional_id), value)])

    def replay(self) -> Iterator[tuple[str, Optional[StoredTxn]]]:
        """(transactional id, stored metadata or None for a tombstone), in log order; unreadable
        records are skipped with a warning."""
        for index, record in self.replay_records():
            if record.is_control:
                continue
            try:
                tid = decode_txn_key(record.key or b"")
                yield tid, (decode_txn_value(record.value) if record.value is not None else None)
            except (ValueError, UnicodeDecodeError) as e:
                log.warning("%s-%d offset %d: skipping an unreadable record: %s", TOPIC, index, record.offset, e)
