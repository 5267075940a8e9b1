"""An internal compacted topic that a coordinator keeps its state in (`__consumer_offsets`,
`__transaction_state`): created on first use with cleanup.policy=compact, written as key/value
records in ordinary record batches v2 (built by the storage engine, `_native.build_batch`),
read back by replaying every partition from its log start. The log cleaner
(fastlog.storage.cleaner) keeps such a topic small like any compacted topic: the last record of
a key is the state, a null value deletes the key.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Iterator, Optional

from fastlog import _native
from fastlog.storage.log_manager import TopicError

if TYPE_CHECKING:
    from fastlog.storage.log_manager import LogManager, Topic

log = logging.getLogger("fastlog.coordinator")

# Split appended records into batches of at most this many bytes (below message.max.bytes).
BATCH_TARGET_BYTES = 512 * 1024

Records = list[tuple[bytes, Optional[bytes]]]


def build_batches(records: Records, now_ms: int) -> bytes:
    """Records split into uncompressed batches of about BATCH_TARGET_BYTES (no producer id, every
    record stamped `now_ms`), concatenated for one append."""
    out: list[bytes] = []
    chunk: list[tuple[bytes, Optional[bytes], list[tuple[str, Optional[bytes]]], int]] = []
    size = 0
    for key, value in records:
        chunk.append((key, value, [], now_ms))
        size += len(key) + (len(value) if value else 0) + 16
        if size >= BATCH_TARGET_BYTES:
            out.append(_native.build_batch(chunk))
            chunk, size = [], 0
    if chunk:
        out.append(_native.build_batch(chunk))
    return b"".join(out)


def java_string_hash(s: str) -> int:
    """Java's String.hashCode over UTF-16 code units, as a signed int32."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


class InternalTopicLog:
    """Appends to and replays one internal topic. Used from the event loop only."""

    def __init__(self, logs: "LogManager", name: str, num_partitions: int, segment_bytes: int) -> None:
        self.logs = logs
        self.name = name
        self.wanted_partitions = max(1, num_partitions)
        self.segment_bytes = segment_bytes

    @property
    def topic(self) -> Optional["Topic"]:
        return self.logs.get(self.name)

    @property
    def num_partitions(self) -> int:
        topic = self.topic
        # An existing topic keeps its partition count: state must stay where its records are.
        return len(topic.partitions) if topic is not None else self.wanted_partitions

    def partition_for(self, key: str) -> int:
        # Kafka's mapping (Utils.abs(id.hashCode) % partitions): a group or transactional id lands
        # on the same partition number as on a Kafka broker with the same partition count.
        return (java_string_hash(key) & 0x7FFFFFFF) % self.num_partitions

    def ensure_topic(self) -> "Topic":
        topic = self.topic
        if topic is None:
            # cleanup.policy=compact: the log cleaner keeps the last record of each key, and
            # retention never deletes live state.
            topic = self.logs.create_topic(
                self.name, self.wanted_partitions,
                configs={"cleanup.policy": "compact", "segment.bytes": str(self.segment_bytes)},
                internal=True)
        return topic

    def create_if_missing(self) -> bool:
        """ensure_topic for a client's FindCoordinator (Kafka creates the topic then); False, with
        a log line, when it cannot be created now (a full disk, say): the client is then told
        COORDINATOR_NOT_AVAILABLE and retries."""
        try:
            self.ensure_topic()
            return True
        except (_native.StorageError, OSError, TopicError) as e:
            log.warning("cannot create %s now: %s", self.name, e)
            return False

    def append(self, partition: int, records: Records) -> None:
        """Write records durably (to the OS; a process crash keeps them). Raises on failure."""
        if not records:
            return
        topic = self.ensure_topic()
        now_ms = int(time.time() * 1000)
        self.logs.append(topic, partition, build_batches(records, now_ms), now_ms)

    def replay_records(self) -> Iterator[tuple[int, "_native.Record"]]:
        """(partition, record) of every record, transaction markers included, partition by
        partition in log order. A partition that cannot be read further is logged and left."""
        topic = self.topic
        if topic is None:
            return
        for index, plog in enumerate(topic.partitions):
            count = 0
            try:
                for record in plog.records(plog.log_start_offset):
                    if not record.is_control:
                        count += 1
                    yield index, record
            except _native.StorageError as e:
                log.error("%s-%d: %s; stopping replay of it after %d records", self.name, index, e, count)
