"""The records a KIP-848 consumer group leaves in `__consumer_offsets` (format: docs/groups.md).

The key versions (record types) are Kafka's new coordinator's: 3 group metadata (the group
epoch), 5 member metadata (subscription), 6 target assignment metadata (the assignment epoch),
7 target assignment of a member, 8 current assignment of a member (its epoch and state). Keys
are non-flexible (int16 type, then int16-length strings) like the classic keys; values carry an
int16 version 0 and then the flexible encoding (unsigned-varint lengths + 1, tagged fields at
the end). Assignments are per topic id (uuid). Record type 4 (partition metadata) is not
written: the group recomputes its subscribed topics' metadata at start instead.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Optional

from fastlog.coordinator.offsets_log import _Reader, _str

GROUP_METADATA = 3
MEMBER_METADATA = 5
TARGET_METADATA = 6
TARGET_MEMBER = 7
CURRENT_MEMBER = 8
RECORD_TYPES = (GROUP_METADATA, MEMBER_METADATA, TARGET_METADATA, TARGET_MEMBER, CURRENT_MEMBER)

Assignment = dict[bytes, set[int]]  # topic id -> partitions


# -- keys ------------------------------------------------------------------------------------
def key(record_type: int, group_id: str, member_id: Optional[str] = None) -> bytes:
    out = struct.pack(">h", record_type) + _str(group_id)
    return out + _str(member_id) if member_id is not None else out


def decode_key(data: bytes) -> tuple[int, str, Optional[str]]:
    """(record type, group, member or None)."""
    r = _Reader(data)
    record_type = r.int16()
    group = r.string()
    member = r.string() if record_type in (MEMBER_METADATA, TARGET_MEMBER, CURRENT_MEMBER) else None
    if group is None or (record_type in (MEMBER_METADATA, TARGET_MEMBER, CURRENT_MEMBER) and member is None):
        raise ValueError("null in consumer group key")
    return record_type, group, member


# -- flexible value encoding -----------------------------------------------------------------
def _uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _cstr(value: Optional[str]) -> bytes:
    if value is None:
        return b"\x00"
    data = value.encode("utf-8")
    return _uvarint(len(data) + 1) + data


def _strings(values: list[str]) -> bytes:
    return _uvarint(len(values) + 1) + b"".join(_cstr(v) for v in values)


def _assignment(assignment: Assignment) -> bytes:
    out = [_uvarint(len(assignment) + 1)]
    for topic_id, partitions in sorted(assignment.items()):
        parts = sorted(partitions)
        out += [topic_id, _uvarint(len(parts) + 1), struct.pack(f">{len(parts)}i", *parts), b"\x00"]
    return b"".join(out)


class _FlexReader(_Reader):
    def uvarint(self) -> int:
        shift = result = 0
        while True:
            b = self.take(1)[0]
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 28:
                raise ValueError("varint too long")

    def cstr(self) -> Optional[str]:
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode("utf-8")

    def count(self) -> int:
        n = self.uvarint() - 1
        if n < 0 or n > len(self.data):
            raise ValueError("bad array length")
        return n

    def strings(self) -> list[str]:
        return [self.cstr() or "" for _ in range(self.count())]

    def assignment(self) -> Assignment:
        out: Assignment = {}
        for _ in range(self.count()):
            topic_id = self.take(16)
            parts = self.count()
            out[topic_id] = set(struct.unpack(f">{parts}i", self.take(4 * parts)))
            self.skip_tags()
        return out

    def skip_tags(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def _value(*parts: bytes, tagged: Optional[dict[int, bytes]] = None) -> bytes:
    """Version 0, the fields, then the tagged-field section (tag -> encoded field)."""
    tags = b"".join(_uvarint(tag) + _uvarint(len(data)) + data for tag, data in sorted((tagged or {}).items()))
    return struct.pack(">h", 0) + b"".join(parts) + _uvarint(len(tagged or {})) + tags


def _classic_metadata(session_timeout_ms: int, protocols: list[tuple[str, bytes]]) -> bytes:
    """ClassicMemberMetadata (tag 0 of the member metadata): session timeout, [name, metadata]."""
    out = [struct.pack(">i", session_timeout_ms), _uvarint(len(protocols) + 1)]
    for name, metadata in protocols:
        out += [_cstr(name), _uvarint(len(metadata) + 1), metadata, b"\x00"]
    return b"".join(out) + b"\x00"


def _reader(data: bytes) -> _FlexReader:
    r = _FlexReader(data)
    if r.int16() != 0:
        raise ValueError("unknown consumer group value version")
    return r


# -- values ------------------------------------------------------------------------------------
@dataclass
class StoredMember:
    """Member metadata (type 5) and current assignment (type 8) of one member."""

    instance_id: Optional[str] = None
    rack_id: Optional[str] = None
    client_id: str = ""
    client_host: str = ""
    subscribed_topic_names: list[str] = field(default_factory=list)
    subscribed_topic_regex: Optional[str] = None
    server_assignor: Optional[str] = None
    rebalance_timeout_ms: int = -1
    member_epoch: int = 0
    previous_member_epoch: int = -1
    state: int = 0
    assigned: Assignment = field(default_factory=dict)
    pending_revocation: Assignment = field(default_factory=dict)
    # A member speaking the classic protocol (online migration): its session timeout and protocols.
    classic_session_timeout_ms: Optional[int] = None
    classic_protocols: list[tuple[str, bytes]] = field(default_factory=list)


def group_value(epoch: int) -> bytes:
    return _value(struct.pack(">i", epoch))


def target_metadata_value(assignment_epoch: int) -> bytes:
    return _value(struct.pack(">i", assignment_epoch))


def member_value(m: StoredMember) -> bytes:
    return _value(_cstr(m.instance_id), _cstr(m.rack_id), _cstr(m.client_id), _cstr(m.client_host),
                  _strings(m.subscribed_topic_names), _cstr(m.subscribed_topic_regex),
                  struct.pack(">i", m.rebalance_timeout_ms), _cstr(m.server_assignor),
                  tagged=None if m.classic_session_timeout_ms is None else
                  {0: _classic_metadata(m.classic_session_timeout_ms, m.classic_protocols)})


def target_member_value(assignment: Assignment) -> bytes:
    return _value(_assignment(assignment))


def current_member_value(m: StoredMember) -> bytes:
    return _value(struct.pack(">iib", m.member_epoch, m.previous_member_epoch, m.state),
                  _assignment(m.assigned), _assignment(m.pending_revocation))


def decode_epoch(data: bytes) -> int:
    return _reader(data).int32()


def decode_member(data: bytes, into: StoredMember) -> None:
    """Kafka's layout (RebalanceTimeoutMs before ServerAssignor). Logs written before fastlog
    matched it have the two swapped: a value Kafka's layout does not consume exactly is read
    with that old layout, so an upgrade keeps the members."""
    try:
        _decode_member(data, into, timeout_first=True)
    except (ValueError, IndexError, UnicodeDecodeError, struct.error):
        _decode_member(data, into, timeout_first=False)


def _decode_member(data: bytes, into: StoredMember, timeout_first: bool) -> None:
    r = _reader(data)
    into.instance_id, into.rack_id = r.cstr(), r.cstr()
    into.client_id, into.client_host = r.cstr() or "", r.cstr() or ""
    into.subscribed_topic_names = r.strings()
    into.subscribed_topic_regex = r.cstr()
    if timeout_first:
        into.rebalance_timeout_ms, into.server_assignor = r.int32(), r.cstr()
    else:
        into.server_assignor, into.rebalance_timeout_ms = r.cstr(), r.int32()
    into.classic_session_timeout_ms, into.classic_protocols = None, []
    for _ in range(r.uvarint()):
        tag, size = r.uvarint(), r.uvarint()
        if tag != 0:
            r.take(size)
            continue
        c = _FlexReader(r.take(size))
        into.classic_session_timeout_ms = c.int32()
        for _ in range(c.count()):
            name = c.cstr() or ""
            n = c.uvarint() - 1
            into.classic_protocols.append((name, c.take(n) if n > 0 else b""))
            c.skip_tags()
    if r.pos != len(data):
        raise ValueError("trailing bytes after a member metadata value")


def decode_current(data: bytes, into: StoredMember) -> None:
    r = _reader(data)
    into.member_epoch, into.previous_member_epoch = r.int32(), r.int32()
    into.state = struct.unpack(">b", r.take(1))[0]
    into.assigned, into.pending_revocation = r.assignment(), r.assignment()


def decode_target(data: bytes) -> Assignment:
    return _reader(data).assignment()


@dataclass
class StoredConsumerGroup:
    """What replay rebuilds of one consumer group; None fields were tombstoned or never written."""

    epoch: Optional[int] = None
    assignment_epoch: Optional[int] = None
    members: dict[str, StoredMember] = field(default_factory=dict)
    has_metadata: set[str] = field(default_factory=set)   # members with a type-5 record
    targets: dict[str, Assignment] = field(default_factory=dict)


def replay(groups: dict[str, StoredConsumerGroup], key_bytes: bytes, value: Optional[bytes]) -> None:
    """Apply one record of types 3-8 (last one per key wins; None = tombstone)."""
    record_type, group_id, member_id = decode_key(key_bytes)
    g = groups.setdefault(group_id, StoredConsumerGroup())
    if record_type == GROUP_METADATA:
        g.epoch = None if value is None else decode_epoch(value)
    elif record_type == TARGET_METADATA:
        g.assignment_epoch = None if value is None else decode_epoch(value)
    elif member_id is None:
        pass
    elif record_type == TARGET_MEMBER:
        if value is None:
            g.targets.pop(member_id, None)
        else:
            g.targets[member_id] = decode_target(value)
    elif value is None:
        if record_type == MEMBER_METADATA:
            g.has_metadata.discard(member_id)
            g.members.pop(member_id, None)
    else:
        m = g.members.setdefault(member_id, StoredMember())
        if record_type == MEMBER_METADATA:
            decode_member(value, m)
            g.has_metadata.add(member_id)
        else:
            decode_current(value, m)


Record = tuple[bytes, Optional[bytes]]
