"""Durable transaction state: the internal compacted topic `__transaction_state`.

One record per change of a transactional id's metadata, in Kafka's layout (TransactionLogKey v0,
TransactionLogValue v0; big-endian, strings int16 length, arrays int32 count, -1 = null):

    key    version int16 (0), transactional_id string
    value  version int16 (0), producer_id int64, producer_epoch int16, timeout_ms int32,
           status int8 (TxnState), partitions [topic string, [partition int32]] (null when none),
           last_update_timestamp_ms int64, start_timestamp_ms int64

A null value (tombstone) removes the id (transactional.id.expiration.ms). The partition of an id is
Kafka's: abs(java hashCode(id)) % transaction.state.log.num.partitions. On start the log is
replayed, the last record of a key wins. Like `__consumer_offsets` (offsets_log.py) a partition
is rewritten as a snapshot of the live records once superseded records dominate it.
"""
from __future__ import annotations

import logging
import struct
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Optional

from fastlog import _native
from fastlog.coordinator.offsets_log import _Reader, _str, build_batches, java_string_hash

if TYPE_CHECKING:
    from fastlog.storage.log_manager import LogManager, Topic

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


class TxnLog:
    """Appends and replays `__transaction_state`. Used from the event loop only."""

    def __init__(self, logs: "LogManager", num_partitions: int, segment_bytes: int,
                 compact_min_records: int = 10000) -> None:
        self.logs = logs
        self.wanted_partitions = max(1, num_partitions)
        self.segment_bytes = segment_bytes
        self.compact_min_records = compact_min_records
        self.records_in_log: dict[int, int] = {}

    @property
    def topic(self) -> Optional["Topic"]:
        return self.logs.get(TOPIC)

    @property
    def num_partitions(self) -> int:
        topic = self.topic
        return len(topic.partitions) if topic is not None else self.wanted_partitions

    def partition_for(self, transactional_id: str) -> int:
        return (java_string_hash(transactional_id) & 0x7FFFFFFF) % self.num_partitions

    def ensure_topic(self) -> "Topic":
        topic = self.topic
        if topic is None:
            topic = self.logs.create_topic(
                TOPIC, self.wanted_partitions,
                configs={"cleanup.policy": "compact", "segment.bytes": str(self.segment_bytes)}, internal=True)
        return topic

    def write(self, transactional_id: str, value: Optional[bytes]) -> None:
        """One record, durable (to the OS) when this returns; raises on failure."""
        topic = self.ensure_topic()
        partition = self.partition_for(transactional_id)
        now_ms = int(time.time() * 1000)
        self.logs.append(topic, partition, build_batches([(txn_key(transactional_id), value)], now_ms), now_ms)
        self.records_in_log[partition] = self.records_in_log.get(partition, 0) + 1

    def replay(self) -> Iterator[tuple[str, Optional[StoredTxn]]]:
        """(transactional id, stored metadata or None for a tombstone), in log order; unreadable
        records are skipped with a warning."""
        topic = self.topic
        if topic is None:
            return
        for index, plog in enumerate(topic.partitions):
            count = 0
            try:
                for record in plog.records(plog.log_start_offset):
                    if record.is_control:
                        continue
                    count += 1
                    try:
                        tid = decode_txn_key(record.key or b"")
                        yield tid, (decode_txn_value(record.value) if record.value is not None else None)
                    except (ValueError, UnicodeDecodeError) as e:
                        log.warning("%s-%d offset %d: skipping an unreadable record: %s", TOPIC, index,
                                    record.offset, e)
            except _native.StorageError as e:
                log.error("%s-%d: %s; stopping replay of it after %d records", TOPIC, index, e, count)
            self.records_in_log[index] = count

    def maybe_compact(self, partition: int, live: dict[str, bytes]) -> None:
        """Rewrite `partition` as its live records (`live`: id -> last value, of this partition)
        when the log holds many more records than that."""
        total = self.records_in_log.get(partition, 0)
        if total < 2 * len(live) + self.compact_min_records:
            return
        topic = self.ensure_topic()
        plog = topic.partitions[partition]
        start = plog.log_end_offset
        if live:
            now_ms = int(time.time() * 1000)
            records: list[tuple[bytes, Optional[bytes]]] = [(txn_key(t), v) for t, v in live.items()]
            self.logs.append(topic, partition, build_batches(records, now_ms), now_ms)
        plog.delete_records_before(start)
        self.records_in_log[partition] = len(live)
        log.info("%s-%d rewritten: %d live records, log start now %d", TOPIC, partition, len(live), start)
