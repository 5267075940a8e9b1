"""The classic ConsumerProtocol encodings (subscription, assignment): to show a KIP-848 consumer
group's members through DescribeGroups, as Kafka does, and to read and answer the classic members
of a group that migrates between the protocols (versions 0-3; never flexible)."""
from __future__ import annotations

import dataclasses
import struct
from typing import TYPE_CHECKING, Optional

from fastlog.coordinator.offsets_log import _Reader, _str

if TYPE_CHECKING:
    from fastlog.coordinator.consumer_state import Assignment
    from fastlog.storage.log_manager import LogManager


def encode_subscription(topics: list[str]) -> bytes:
    """ConsumerProtocolSubscription v0: version, [topic], user_data (null)."""
    return (struct.pack(">hi", 0, len(topics)) + b"".join(_str(t) for t in topics)
            + struct.pack(">i", -1))


def encode_assignment(assignment: dict[str, list[int]], version: int = 0) -> bytes:
    """ConsumerProtocolAssignment: version, [topic, [partition]], user_data (null); versions 0-3
    share this layout, and a member is answered in the version of its subscription."""
    out = [struct.pack(">hi", min(max(version, 0), 3), len(assignment))]
    for topic, parts in sorted(assignment.items()):
        out += [_str(topic), struct.pack(f">i{len(parts)}i", len(parts), *parts)]
    out.append(struct.pack(">i", -1))
    return b"".join(out)


def by_name(assignment: "Assignment", logs: "LogManager") -> dict[str, list[int]]:
    """Topic id -> partitions, as topic name -> sorted partitions (deleted topics left out)."""
    out = {}
    for topic_id, parts in assignment.items():
        topic = logs.get_by_id(topic_id)
        if topic is not None and parts:
            out[topic.name] = sorted(parts)
    return out



@dataclasses.dataclass(frozen=True)
class Subscription:
    version: int
    topics: list[str]
    owned: dict[str, list[int]]      # v1+: partitions the member still owns when it rejoins
    rack_id: Optional[str]           # v3+


def _topic_partitions(r: _Reader) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for _ in range(_count(r)):
        topic = r.string()
        parts = [r.int32() for _ in range(_count(r))]
        if topic is None:
            raise ValueError("null topic")
        out.setdefault(topic, []).extend(parts)
    return out


def _count(r: _Reader) -> int:
    n = r.int32()
    if n < 0 or n > len(r.data):
        raise ValueError("bad array length")
    return n


def decode_subscription(data: bytes) -> Subscription:
    """ConsumerProtocolSubscription v0-v3 (later versions start the same way); ValueError when
    the bytes are not one (Kafka: "the embedded consumer protocol is malformed")."""
    try:
        r = _Reader(data)
        version = r.int16()
        if version < 0:
            raise ValueError("negative version")
        topics = [t for t in (r.string() for _ in range(_count(r))) if t is not None]
        owned: dict[str, list[int]] = {}
        rack = None
        if r.pos < len(data):
            n = r.int32()  # user data
            if n > 0:
                r.take(n)
            if version >= 1:
                owned = _topic_partitions(r)
            if version >= 2:
                r.int32()  # generation id
            if version >= 3:
                rack = r.string()
        return Subscription(version, topics, owned, rack)
    except (struct.error, UnicodeDecodeError) as e:
        raise ValueError(str(e)) from None


def decode_assignment(data: bytes) -> dict[str, list[int]]:
    """ConsumerProtocolAssignment's partitions (empty bytes: nothing assigned yet)."""
    if not data:
        return {}
    try:
        r = _Reader(data)
        if r.int16() < 0:
            raise ValueError("negative version")
        return _topic_partitions(r)
    except (struct.error, UnicodeDecodeError) as e:
        raise ValueError(str(e)) from None
