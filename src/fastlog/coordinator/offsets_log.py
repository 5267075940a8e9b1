"""Durable group state: the internal `__consumer_offsets` topic (format: docs/groups.md).

Committed offsets and group metadata are key/value records of an internal compacted topic
(internal_topic.py: created, appended to and replayed like `__transaction_state`). On start the
whole log is replayed (last record per key wins, a null value deletes the key); the log cleaner
keeps it from growing without bound, as Kafka's does.
"""
from __future__ import annotations

import logging
import struct
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Optional, Union

from fastlog import _native
from fastlog.coordinator.group_state import CommittedOffset
from fastlog.coordinator.internal_topic import InternalTopicLog

if TYPE_CHECKING:
    from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.groups")

TOPIC = "__consumer_offsets"

# Key versions (the first int16 of every key).
OFFSET_KEY_V0 = 0          # group, topic, partition (same layout as v1)
OFFSET_KEY_V1 = 1
GROUP_KEY_V2 = 2           # group
# Value versions.
OFFSET_VALUE_V1 = 1        # offset, metadata, commit timestamp, expire timestamp
OFFSET_VALUE_V3 = 3        # offset, leader epoch, metadata, commit timestamp
GROUP_VALUE_V3 = 3


# ---------------------------------------------------------------------------------------------
# Key and value encoding (big-endian; strings int16 length, -1 = null; bytes int32 length)
# ---------------------------------------------------------------------------------------------
def _str(value: Optional[str]) -> bytes:
    if value is None:
        return b"\xff\xff"
    data = value.encode("utf-8")
    if len(data) > 0x7FFF:
        raise ValueError("string too long for the offsets log")
    return struct.pack(">h", len(data)) + data


def _bytes(value: Optional[bytes]) -> bytes:
    if value is None:
        return b"\xff\xff\xff\xff"
    return struct.pack(">i", len(value)) + bytes(value)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated record")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int16(self) -> int:
        return struct.unpack(">h", self.take(2))[0]

    def int32(self) -> int:
        return struct.unpack(">i", self.take(4))[0]

    def int64(self) -> int:
        return struct.unpack(">q", self.take(8))[0]

    def string(self) -> Optional[str]:
        n = self.int16()
        return None if n == -1 else self.take(n).decode("utf-8")

    def bytes_(self) -> Optional[bytes]:
        n = self.int32()
        return None if n == -1 else self.take(n)


def offset_key(group_id: str, topic: str, partition: int) -> bytes:
    return struct.pack(">h", OFFSET_KEY_V1) + _str(group_id) + _str(topic) + struct.pack(">i", partition)


def group_key(group_id: str) -> bytes:
    return struct.pack(">h", GROUP_KEY_V2) + _str(group_id)


def offset_value(o: CommittedOffset) -> bytes:
    if o.expire_timestamp >= 0:  # an explicit retention (OffsetCommit v2-v4) needs the v1 layout
        return (struct.pack(">hq", OFFSET_VALUE_V1, o.offset) + _str(o.metadata or "")
                + struct.pack(">qq", o.commit_timestamp, o.expire_timestamp))
    return (struct.pack(">hqi", OFFSET_VALUE_V3, o.offset, o.leader_epoch) + _str(o.metadata or "")
            + struct.pack(">q", o.commit_timestamp))


@dataclass
class StoredMember:
    member_id: str
    group_instance_id: Optional[str]
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    subscription: bytes
    assignment: bytes


@dataclass
class StoredGroup:
    protocol_type: str
    generation_id: int
    protocol_name: Optional[str]
    leader_id: Optional[str]
    state_timestamp: int
    members: list[StoredMember]


def group_value(g: StoredGroup) -> bytes:
    out = [struct.pack(">h", GROUP_VALUE_V3), _str(g.protocol_type), struct.pack(">i", g.generation_id),
           _str(g.protocol_name), _str(g.leader_id), struct.pack(">q", g.state_timestamp),
           struct.pack(">i", len(g.members))]
    for m in g.members:
        out += [_str(m.member_id), _str(m.group_instance_id), _str(m.client_id), _str(m.client_host),
                struct.pack(">ii", m.rebalance_timeout_ms, m.session_timeout_ms),
                _bytes(m.subscription), _bytes(m.assignment)]
    return b"".join(out)


OffsetKey = tuple[str, str, str, int]    # ("offset", group, topic, partition)
GroupKey = tuple[str, str]               # ("group", group)


def decode_key(data: bytes) -> Union[OffsetKey, GroupKey]:
    r = _Reader(data)
    version = r.int16()
    if version in (OFFSET_KEY_V0, OFFSET_KEY_V1):
        group, topic = r.string(), r.string()
        partition = r.int32()
        if group is None or topic is None:
            raise ValueError("null in offset key")
        return ("offset", group, topic, partition)
    if version == GROUP_KEY_V2:
        group = r.string()
        if group is None:
            raise ValueError("null group id")
        return ("group", group)
    raise ValueError(f"unknown key version {version}")


def decode_marker_is_commit(key: bytes) -> bool:
    """A transaction marker's key: version int16, type int16 (0 abort, 1 commit)."""
    r = _Reader(key)
    r.int16()
    return r.int16() == 1


def decode_offset_value(data: bytes) -> CommittedOffset:
    r = _Reader(data)
    version = r.int16()
    if version == OFFSET_VALUE_V1:
        offset = r.int64()
        metadata = r.string()
        commit_ts, expire_ts = r.int64(), r.int64()
        return CommittedOffset(offset, -1, metadata, commit_ts, expire_ts)
    if version == OFFSET_VALUE_V3:
        offset, epoch = r.int64(), r.int32()
        metadata = r.string()
        return CommittedOffset(offset, epoch, metadata, r.int64(), -1)
    raise ValueError(f"unknown offset value version {version}")


def decode_group_value(data: bytes) -> StoredGroup:
    r = _Reader(data)
    version = r.int16()
    if version != GROUP_VALUE_V3:
        raise ValueError(f"unknown group value version {version}")
    protocol_type = r.string() or ""
    generation = r.int32()
    protocol, leader = r.string(), r.string()
    state_ts = r.int64()
    count = r.int32()
    if count < 0 or count > len(data):
        raise ValueError("bad member count")
    members = []
    for _ in range(count):
        member_id, instance_id, client_id, client_host = r.string(), r.string(), r.string(), r.string()
        rebalance_timeout, session_timeout = r.int32(), r.int32()
        subscription, assignment = r.bytes_(), r.bytes_()
        if member_id is None:
            raise ValueError("null member id")
        members.append(StoredMember(member_id, instance_id, client_id or "", client_host or "",
                                    rebalance_timeout, session_timeout, subscription or b"", assignment or b""))
    return StoredGroup(protocol_type, generation, protocol, leader, state_ts, members)


# ---------------------------------------------------------------------------------------------
# The log itself
# ---------------------------------------------------------------------------------------------
class OffsetsLog(InternalTopicLog):
    """`__consumer_offsets`: appends (plain and transactional) and replays group state."""

    def __init__(self, logs: "LogManager", num_partitions: int, segment_bytes: int) -> None:
        super().__init__(logs, TOPIC, num_partitions, segment_bytes)

    def replay(self) -> Iterator[tuple[int, bytes, Optional[bytes]]]:
        """(partition, key, value) of every record, partition by partition, in log order.
        Control records (transaction markers) are not group state and are skipped."""
        for index, record in self.replay_records():
            if not record.is_control:
                yield index, record.key or b"", record.value

    def append_transactional(self, partition: int, records: list[tuple[bytes, Optional[bytes]]], producer_id: int,
                             producer_epoch: int, base_sequence: int) -> None:
        """Write records as one transactional batch of the producer (TxnOffsetCommit): they count
        only once the transaction's COMMIT marker follows them. Raises on failure."""
        topic = self.ensure_topic()
        now_ms = int(time.time() * 1000)
        batch = _native.build_batch([(k, v, [], now_ms) for k, v in records], producer_id=producer_id,
                                    producer_epoch=producer_epoch, base_sequence=base_sequence, transactional=True)
        self.logs.append(topic, partition, batch, now_ms)
