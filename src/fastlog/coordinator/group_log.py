"""Groups and offsets in `__consumer_offsets`: what is written, and the replay that loads it.

Kafka's GroupMetadataManager seam: the membership state machine (membership.py) and the offset
rules (offsets.py) decide; this module turns their decisions into records (offsets_log.py holds
the record formats and the partition files) and rebuilds the groups from the records at start.
"""
from __future__ import annotations

import logging
import struct
import time
from typing import Callable, Iterable, Optional, Protocol

from fastlog import _native
from fastlog.coordinator import consumer_records, share_records
from fastlog.coordinator.group_state import CommittedOffset, Group, GroupState, Member
from fastlog.coordinator.offsets_log import (
    OffsetsLog,
    StoredGroup,
    StoredMember,
    decode_group_value,
    decode_key,
    decode_marker_is_commit,
    decode_offset_value,
    group_key,
    group_value,
    offset_key,
    offset_value,
)
from fastlog.storage.log_manager import TopicError

log = logging.getLogger("fastlog.groups")

# What a write to the offsets log can fail with: the storage engine's errors (disk, size),
# the file system's, creating the internal topic, and a string too long for the record format.
WRITE_ERRORS = (_native.StorageError, OSError, TopicError, ValueError)

Record = tuple[bytes, Optional[bytes]]


class ConsumerGroupRecords(Protocol):
    """What consumer_groups.py gives the log: a deleted consumer group's tombstones (the log
    cleaner keeps the last record of each key, so nothing else is needed for a rewrite)."""

    def tombstones(self, group: Group) -> list[Record]: ...


class GroupLog:
    """Writes a coordinator's groups to the offsets log. `groups` is the coordinator's table of
    live groups."""

    def __init__(self, store: OffsetsLog, groups: dict[str, Group]) -> None:
        self.store = store
        self.groups = groups
        # Transactional offsets awaiting their marker: producer id -> group -> partition -> offset.
        self.pending: dict[int, dict[str, dict[tuple[str, int], CommittedOffset]]] = {}
        # Next sequence number of a producer's transactional offset batch, per (partition, producer
        # id): (epoch, sequence). The engine checks them like any idempotent producer's.
        self._txn_sequences: dict[tuple[int, int], tuple[int, int]] = {}
        # Last group metadata value written per group (a deleted group's key gets a tombstone).
        self.persisted: dict[str, bytes] = {}
        # KIP-848 consumer groups: set by the coordinator; their records replayed at start.
        self.consumer: Optional[ConsumerGroupRecords] = None
        self.consumer_groups: dict[str, consumer_records.StoredConsumerGroup] = {}
        # Share groups' membership (share_records.py), replayed at start for share_groups.py.
        self.share_groups: dict[str, share_records.StoredShareGroup] = {}

    # -- writes (each raises one of WRITE_ERRORS when the record did not reach the log) ------
    def append(self, group_id: str, records: list[Record]) -> None:
        if records:
            self.store.append(self.store.partition_for(group_id), records)

    def write_offsets(self, group_id: str, offsets: dict[tuple[str, int], CommittedOffset]) -> None:
        self.append(group_id, [(offset_key(group_id, t, p), offset_value(o)) for (t, p), o in offsets.items()])

    def write_txn_offsets(self, group_id: str, offsets: dict[tuple[str, int], CommittedOffset],
                          producer_id: int, producer_epoch: int) -> None:
        """Offsets of a transaction: one transactional batch of the producer (Kafka's layout)."""
        if not offsets:
            return
        partition = self.store.partition_for(group_id)
        if (partition, producer_id) not in self._txn_sequences:
            self._txn_sequences[(partition, producer_id)] = self._engine_sequence(partition, producer_id)
        epoch, seq = self._txn_sequences[(partition, producer_id)]
        if epoch != producer_epoch:
            seq = 0
        records: list[Record] = [(offset_key(group_id, t, p), offset_value(o)) for (t, p), o in offsets.items()]
        self.store.append_transactional(partition, records, producer_id, producer_epoch, seq)
        self._txn_sequences[(partition, producer_id)] = (producer_epoch, seq + len(records))

    def _engine_sequence(self, partition: int, producer_id: int) -> tuple[int, int]:
        """(epoch, next sequence) of the producer as the partition's log remembers it (after a
        restart our own count is gone), or (-1, 0) for a producer it does not know."""
        topic = self.store.topic
        if topic is not None and partition < len(topic.partitions):
            for state in topic.partitions[partition].producer_states():
                if state.producer_id == producer_id:
                    return state.producer_epoch, state.last_sequence + 1
        return -1, 0

    def apply_txn_marker(self, producer_id: int, partition: int, commit: bool) -> None:
        """The producer's transaction ended in `partition`: its pending offsets of the groups of
        that partition are committed (already in the log, before the marker) or dropped."""
        by_group = self.pending.get(producer_id, {})
        for group_id in [g for g in by_group if self.store.partition_for(g) == partition]:
            offsets = by_group.pop(group_id)
            if commit:
                group = self.groups.get(group_id)
                if group is None:  # removed meanwhile (empty, no offsets yet): it has some now
                    group = self.groups[group_id] = Group(group_id, int(time.time() * 1000))
                group.offsets.update(offsets)
        if not by_group:
            self.pending.pop(producer_id, None)

    def delete_offsets(self, group_id: str, partitions: Iterable[tuple[str, int]]) -> None:
        self.append(group_id, [(offset_key(group_id, t, p), None) for t, p in partitions])

    def write_group(self, group: Group) -> None:
        """Write the group's metadata (members and assignment of this generation)."""
        record = self.group_record(group)
        self.append(group.group_id, [record])
        self.persisted[group.group_id] = record[1] or b""

    @staticmethod
    def group_record(group: Group) -> Record:
        """The classic group's metadata record (key version 2)."""
        stored = StoredGroup(
            group.protocol_type or "", group.generation_id, group.protocol_name, group.leader_id,
            group.state_timestamp,
            [StoredMember(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                          m.rebalance_timeout_ms, m.session_timeout_ms, m.metadata(group.protocol_name),
                          m.assignment) for m in group.members.values()])
        return group_key(group.group_id), group_value(stored)

    def delete_group(self, group: Group) -> None:
        """Tombstone the group's metadata and every offset it still has."""
        records: list[Record] = [(offset_key(group.group_id, t, p), None) for t, p in group.offsets]
        if group.group_id in self.persisted:
            records.append((group_key(group.group_id), None))
        if self.consumer is not None:
            records += self.consumer.tombstones(group)
        self.append(group.group_id, records)
        self.persisted.pop(group.group_id, None)

    # -- loading ------------------------------------------------------------------------
    def load(self, now_ms: Callable[[], int]) -> None:
        """Replay the offsets log into `groups` (the last record of each key wins)."""
        stored: dict[str, Optional[StoredGroup]] = {}
        offsets: dict[str, dict[tuple[str, int], CommittedOffset]] = {}
        raw: dict[str, bytes] = {}
        bad = 0
        # Transactional offsets seen but not yet followed by their marker, per (partition, producer).
        open_txns: dict[tuple[int, int], dict[str, dict[tuple[str, int], CommittedOffset]]] = {}
        for partition, record in self.store.replay_records():
            key, value = record.key or b"", record.value
            try:
                if record.is_control:
                    txn = open_txns.pop((partition, record.producer_id), {})
                    if decode_marker_is_commit(key):
                        for gid, txn_offsets in txn.items():
                            offsets.setdefault(gid, {}).update(txn_offsets)
                    continue
                record_type = int.from_bytes(key[:2], "big", signed=True) if len(key) >= 2 else -1
                if record_type in consumer_records.RECORD_TYPES:
                    consumer_records.replay(self.consumer_groups, key, value)
                    continue
                if record_type in share_records.RECORD_TYPES:
                    share_records.replay(self.share_groups, key, value)
                    continue
                k = decode_key(key)
                if k[0] == "offset":
                    _, gid, topic, part = k  # type: ignore[misc]
                    if record.is_transactional:
                        txn = open_txns.setdefault((partition, record.producer_id), {})
                        if value is not None:
                            txn.setdefault(gid, {})[(topic, part)] = decode_offset_value(value)
                        continue
                    group_offsets = offsets.setdefault(gid, {})
                    if value is None:
                        group_offsets.pop((topic, part), None)
                    else:
                        group_offsets[(topic, part)] = decode_offset_value(value)
                else:
                    gid = k[1]
                    if value is None:
                        stored[gid] = None
                        raw.pop(gid, None)
                    else:
                        stored[gid] = decode_group_value(value)
                        raw[gid] = value
            except (ValueError, UnicodeDecodeError, struct.error) as e:
                bad += 1
                log.warning("skipping an unreadable record in the offsets log: %s", e)
        for gid in set(stored) | set(offsets):
            meta = stored.get(gid)
            group_offsets = offsets.get(gid, {})
            if meta is None and not group_offsets:
                continue
            group = Group(gid, now_ms())
            group.offsets = group_offsets
            if meta is not None:
                _restore(group, meta)
                self.persisted[gid] = raw[gid]
            self.groups[gid] = group
        for (_partition, pid), txn in open_txns.items():
            # Still open: visible once the transaction coordinator writes its marker.
            for gid, txn_offsets in txn.items():
                if gid not in self.groups:
                    self.groups[gid] = Group(gid, now_ms())
                self.pending.setdefault(pid, {}).setdefault(gid, {}).update(txn_offsets)
        log.info("loaded %d groups from %s (%d unreadable records)", len(self.groups), self.store.topic and
                 self.store.topic.name, bad)


def _restore(group: Group, meta: StoredGroup) -> None:
    group.protocol_type = meta.protocol_type or None
    group.generation_id = meta.generation_id
    group.protocol_name = meta.protocol_name
    group.state_timestamp = meta.state_timestamp
    now = time.monotonic()
    for sm in meta.members:
        member = Member(sm.member_id, sm.group_instance_id, sm.client_id, sm.client_host,
                        sm.rebalance_timeout_ms, sm.session_timeout_ms, meta.protocol_type,
                        [(meta.protocol_name or "", sm.subscription)], sm.assignment)
        member.last_heartbeat = now  # members get a full session from the restart
        group.add(member)
    group.leader_id = meta.leader_id if meta.leader_id in group.members else group.leader_id
    # Only Stable and Empty groups are ever written (at SyncGroup / when emptied).
    group.state = GroupState.STABLE if group.members else GroupState.EMPTY
