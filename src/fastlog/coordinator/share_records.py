"""The records a share group (KIP-932) leaves in `__consumer_offsets` (format: docs/groups.md).

Kafka 4.4 keeps share-group membership there, beside the KIP-848 consumer groups, with these
key versions (record types): 10 member metadata (rack, client id/host, subscription), 11 group
metadata (the group epoch), 12 target assignment metadata (the assignment epoch), 13 target
assignment of a member, 14 current assignment of a member (its epoch and partitions). Keys and
values are laid out like the consumer group ones (consumer_records.py: non-flexible keys, values
with an int16 version 0 then the flexible encoding). Records 9 (partition metadata) and 15
(initialized share-partitions) are not written: the topics' metadata is recomputed at start,
and the share-partitions live in `__share_group_state` (share_state_log.py).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Optional

from fastlog.coordinator.consumer_records import Assignment, Record, _assignment, _cstr, _reader, _strings, _value, key
from fastlog.coordinator.offsets_log import _Reader

MEMBER_METADATA = 10
GROUP_METADATA = 11
TARGET_METADATA = 12
TARGET_MEMBER = 13
CURRENT_MEMBER = 14
RECORD_TYPES = (MEMBER_METADATA, GROUP_METADATA, TARGET_METADATA, TARGET_MEMBER, CURRENT_MEMBER)
MEMBER_RECORD_TYPES = (CURRENT_MEMBER, TARGET_MEMBER, MEMBER_METADATA)
STABLE = 0  # the only member state of a share group (MemberState.STABLE)

__all__ = ["Assignment", "Record", "key"]


def record_type(key_bytes: bytes) -> int:
    return int(struct.unpack_from(">h", key_bytes)[0])


def decode_key(data: bytes) -> tuple[int, str, Optional[str]]:
    """(record type, group, member or None)."""
    r = _Reader(data)
    record_type = r.int16()
    group = r.string()
    member = r.string() if record_type in MEMBER_RECORD_TYPES else None
    if group is None or (record_type in MEMBER_RECORD_TYPES and member is None):
        raise ValueError("null in share group key")
    return record_type, group, member


@dataclass
class StoredShareMember:
    """Member metadata (type 10) and current assignment (type 14) of one member."""

    rack_id: Optional[str] = None
    client_id: str = ""
    client_host: str = ""
    subscribed_topic_names: list[str] = field(default_factory=list)
    member_epoch: int = 0
    previous_member_epoch: int = 0
    assigned: Assignment = field(default_factory=dict)
    target: Assignment = field(default_factory=dict)   # type 13


def group_value(epoch: int) -> bytes:
    """Group metadata (11): the group epoch, then Kafka's MetadataHash (int64, not a tagged field
    here, unlike type 3's); fastlog keeps no hash of the subscribed topics' metadata, so 0."""
    return _value(struct.pack(">iq", epoch, 0))


def target_metadata_value(assignment_epoch: int) -> bytes:
    """Target assignment metadata (12): the assignment epoch (AssignmentTimestamp is tagged, left out)."""
    return _value(struct.pack(">i", assignment_epoch))


def member_value(m: StoredShareMember) -> bytes:
    return _value(_cstr(m.rack_id), _cstr(m.client_id), _cstr(m.client_host), _strings(m.subscribed_topic_names))


def target_member_value(assignment: Assignment) -> bytes:
    return _value(_assignment(assignment))


def current_member_value(m: StoredShareMember) -> bytes:
    return _value(struct.pack(">iib", m.member_epoch, m.previous_member_epoch, STABLE), _assignment(m.assigned))


def decode_epoch(data: bytes) -> int:
    """The epoch of a type 11 or 12 value. Type 11 values written before fastlog matched Kafka's
    layout end after the epoch (no MetadataHash): the epoch comes first in both, so both read."""
    return _reader(data).int32()


def decode_member(data: bytes, into: StoredShareMember) -> None:
    r = _reader(data)
    into.rack_id = r.cstr()
    into.client_id, into.client_host = r.cstr() or "", r.cstr() or ""
    into.subscribed_topic_names = r.strings()


def decode_current(data: bytes, into: StoredShareMember) -> None:
    r = _reader(data)
    into.member_epoch, into.previous_member_epoch = r.int32(), r.int32()
    r.take(1)  # state: always STABLE
    into.assigned = r.assignment()


@dataclass
class StoredShareGroup:
    """What replay rebuilds of one share group; a group whose epoch is None was deleted."""

    epoch: Optional[int] = None
    assignment_epoch: int = 0
    members: dict[str, StoredShareMember] = field(default_factory=dict)
    has_metadata: set[str] = field(default_factory=set)   # members with a type-10 record


def replay(groups: dict[str, StoredShareGroup], key_bytes: bytes, value: Optional[bytes]) -> None:
    """Apply one record of types 10-14 (last one per key wins; None = tombstone)."""
    record_type, group_id, member_id = decode_key(key_bytes)
    g = groups.setdefault(group_id, StoredShareGroup())
    if record_type == GROUP_METADATA:
        g.epoch = None if value is None else decode_epoch(value)
    elif record_type == TARGET_METADATA:
        g.assignment_epoch = 0 if value is None else decode_epoch(value)
    elif member_id is None:
        pass
    elif value is None:
        if record_type == MEMBER_METADATA:
            g.has_metadata.discard(member_id)
            g.members.pop(member_id, None)
    else:
        m = g.members.setdefault(member_id, StoredShareMember())
        if record_type == MEMBER_METADATA:
            decode_member(value, m)
            g.has_metadata.add(member_id)
        elif record_type == TARGET_MEMBER:
            m.target = _reader(value).assignment()
        else:
            decode_current(value, m)


def member_tombstones(group_id: str, member_id: str) -> list[Record]:
    return [(key(t, group_id, member_id), None) for t in MEMBER_RECORD_TYPES]


def group_tombstones(group_id: str) -> list[Record]:
    return [(key(TARGET_METADATA, group_id), None), (key(GROUP_METADATA, group_id), None)]
