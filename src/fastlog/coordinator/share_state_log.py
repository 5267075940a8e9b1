"""`__share_group_state`: where share-partition state survives a restart (docs/storage-format.md).

Kafka keeps it through its share coordinator (ShareSnapshot/ShareUpdate records); fastlog, one
node, writes one record per share-partition change to a compacted topic of its own layout:

    key   = int16 version (0) | int16 length + UTF-8 group id | 16-byte topic id | int32 partition
    value = UTF-8 JSON {"start": SPSO, "end": first never-delivered offset,
                        "batches": [[first, last, state, delivery count], ...]}
            or null (a tombstone: the share-partition is gone)

The last record of a key wins (the log cleaner keeps only it). Replayed once at start.
"""
from __future__ import annotations

import json
import logging
import struct
from typing import Iterator, Optional

from fastlog.coordinator.internal_topic import InternalTopicLog
from fastlog.storage.log_manager import LogManager

TOPIC = "__share_group_state"
log = logging.getLogger("fastlog.share")

StateKey = tuple[str, bytes, int]   # (group id, topic id, partition)


def encode_key(key: StateKey) -> bytes:
    group = key[0].encode()
    return struct.pack(">hh", 0, len(group)) + group + key[1] + struct.pack(">i", key[2])


def decode_key(data: bytes) -> StateKey:
    version, length = struct.unpack_from(">hh", data)
    if version != 0:
        raise ValueError(f"unknown share state key version {version}")
    group = data[4:4 + length].decode()
    topic_id = data[4 + length:20 + length]
    (partition,) = struct.unpack_from(">i", data, 20 + length)
    return group, bytes(topic_id), partition


def encode_value(start: int, end: int, batches: list[tuple[int, int, int, int]]) -> bytes:
    return json.dumps({"start": start, "end": end, "batches": batches}, separators=(",", ":")).encode()


class ShareStateLog:
    def __init__(self, logs: LogManager, segment_bytes: int) -> None:
        # One partition: one node keeps every share-partition's state.
        self.store = InternalTopicLog(logs, TOPIC, 1, segment_bytes)

    def write(self, key: StateKey, value: Optional[bytes]) -> None:
        """Append durably (to the OS). Raises on failure (disk full, I/O error)."""
        self.store.append(0, [(encode_key(key), value)])

    def replay(self) -> Iterator[tuple[StateKey, Optional[dict]]]:
        """The last state of every share-partition, in log order of their last write."""
        latest: dict[StateKey, Optional[dict]] = {}
        for _, record in self.store.replay_records():
            if record.is_control or not record.key:
                continue
            try:
                key = decode_key(record.key)
                latest[key] = json.loads(record.value) if record.value is not None else None
            except (ValueError, struct.error) as e:
                log.error("%s: unreadable record at offset %d: %s", TOPIC, record.offset, e)
        yield from latest.items()
