"""Durable transaction state: the internal compacted topic `__transaction_state`.

One record per change of a transactional id's metadata, in Kafka's layout (TransactionLogKey v0,
TransactionLogValue v0; big-endian, strings int16 length, arrays int32 count, -1 = null):

    key    version int16 (0), transactional_id string
    value  version int16 (0), producer_id int64, producer_epoch int16, timeout_ms int32,
           status int8 (TxnState), partitions [topic string, [partition int32]] (null when none),
           last_update_timestamp_ms int64, start_timestamp_ms int64

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

from fastlog.coordinator.internal_topic import InternalTopicLog
from fastlog.coordinator.offsets_log import _Reader, _str

if TYPE_CHECKING:
    from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.transactions")

TOPIC = "__transaction_state"
KEY_V0 = 0
VALUE_V0 = 0


@dataclass
class StoredTxn:
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    status: int
    partitions: list[tuple[str, int]]
    last_update_ms: int
    start_ms: int


def txn_key(transactional_id: str) -> bytes:
    return struct.pack(">h", KEY_V0) + _str(transactional_id)


def txn_value(t: StoredTxn) -> bytes:
    out = [struct.pack(">hqhib", VALUE_V0, t.producer_id, t.producer_epoch, t.timeout_ms, t.status)]
    if not t.partitions:
        out.append(struct.pack(">i", -1))
    else:
        by_topic: dict[str, list[int]] = {}
        for topic, part in sorted(t.partitions):
            by_topic.setdefault(topic, []).append(part)
        out.append(struct.pack(">i", len(by_topic)))
        for topic, parts in by_topic.items():
            out.append(_str(topic) + struct.pack(f">i{len(parts)}i", len(parts), *parts))
    out.append(struct.pack(">qq", t.last_update_ms, t.start_ms))
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
    r = _Reader(data)
    version = r.int16()
    if version not in (0, 1):
        raise ValueError(f"unknown transaction log value version {version}")
    if version == 1:
        raise ValueError("flexible (v1) transaction log values are not read by fastlog")
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
