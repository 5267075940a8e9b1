"""The classic ConsumerProtocol encodings (subscription, assignment), version 0, for showing a
KIP-848 consumer group's members through DescribeGroups, as Kafka does."""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from fastlog.coordinator.offsets_log import _str

if TYPE_CHECKING:
    from fastlog.coordinator.consumer_state import Assignment
    from fastlog.storage.log_manager import LogManager


def encode_subscription(topics: list[str]) -> bytes:
    """ConsumerProtocolSubscription v0: version, [topic], user_data (null)."""
    return (struct.pack(">hi", 0, len(topics)) + b"".join(_str(t) for t in topics)
            + struct.pack(">i", -1))


def encode_assignment(assignment: dict[str, list[int]]) -> bytes:
    """ConsumerProtocolAssignment v0: version, [topic, [partition]], user_data (null)."""
    out = [struct.pack(">hi", 0, len(assignment))]
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

