"""Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete and their expiry.

Offsets are written to `__consumer_offsets` before a commit is acknowledged. Kafka's retention
rules (offsets.retention.minutes) and the removal of offsets of deleted topics run in `cleanup`.

Transactional offsets (TxnOffsetCommit) are written as a transactional batch of the producer and
held in `table.pending` until the transaction coordinator's marker reaches the group's partition:
`complete_txn` then makes them the committed offsets (commit) or drops them (abort).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Optional

from fastlog import _native
from fastlog.coordinator.consumer_groups import commit_error, fetch_error
from fastlog.coordinator.group_log import WRITE_ERRORS
from fastlog.coordinator.group_state import CommitRequest, CommittedOffset, Group, GroupState
from fastlog.coordinator.group_table import GroupTable
from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.groups")

E = ErrorCode
EMPTY, COMPLETING, STABLE, DEAD = (
    GroupState.EMPTY, GroupState.COMPLETING_REBALANCE, GroupState.STABLE, GroupState.DEAD)
TopicPartition = tuple[str, int]


class Offsets:
    def __init__(self, table: GroupTable, logs: LogManager) -> None:
        self.table = table
        self.settings = table.settings
        self.groups = table.groups
        self.logs = logs

    def _partition_exists(self, tp: TopicPartition) -> bool:
        topic = self.logs.get(tp[0])
        return topic is not None and 0 <= tp[1] < len(topic.partitions)

    def _split_known(self, req: CommitRequest) -> tuple[dict[TopicPartition, int], dict]:
        """(UNKNOWN_TOPIC_OR_PARTITION for each partition that does not exist, the offsets of
        those that do): both commits answer unknown partitions before any group check."""
        results: dict[TopicPartition, int] = {}
        valid = {}
        for tp, value in req.offsets.items():
            if self._partition_exists(tp):
                valid[tp] = value
            else:
                results[tp] = E.UNKNOWN_TOPIC_OR_PARTITION
        return results, valid

    def _accept(self, valid: dict, results: dict[TopicPartition, int], now_ms: int,
                expire_ms: int) -> dict[TopicPartition, CommittedOffset]:
        """The offsets to write; one whose metadata exceeds offset.metadata.max.bytes gets
        OFFSET_METADATA_TOO_LARGE in `results` instead."""
        accepted: dict[TopicPartition, CommittedOffset] = {}
        for tp, o in valid.items():
            if o.metadata is not None and len(o.metadata.encode("utf-8")) > self.settings.metadata_max_bytes:
                results[tp] = E.OFFSET_METADATA_TOO_LARGE
                continue
            accepted[tp] = CommittedOffset(o.offset, o.leader_epoch, o.metadata if o.metadata is not None else "",
                                           now_ms, expire_ms)
        return accepted

    async def commit_offsets(self, req: CommitRequest) -> dict[TopicPartition, int]:
        """The error per partition (OffsetCommit has no top-level error)."""
        results, valid = self._split_known(req)

        def fail(code: int) -> dict[TopicPartition, int]:
            results.update({tp: code for tp in valid})
            return results

        group_id = req.group_id
        error = self.table.check(group_id, allow_empty_id=True)
        if error is not None:
            return fail(error)
        group = self.groups.get(group_id)
        if group is None:
            if req.generation_id >= 0:
                # A member of a group that is gone. v9+ says so; older versions say generation.
                return fail(E.GROUP_ID_NOT_FOUND if req.api_version >= 9 else E.ILLEGAL_GENERATION)
            group = self.table.new_group(group_id)  # a "simple" group that only stores offsets
        async with group.lock:
            if group.is_(DEAD):
                return fail(E.COORDINATOR_NOT_AVAILABLE)
            if group.consumer is not None:
                consumer_error = commit_error(group.consumer, req.member_id, req.generation_id, req.api_version)
                if consumer_error is not None:
                    return fail(consumer_error)
            elif group.is_static_member_fenced(req.member_id, req.group_instance_id):
                return fail(E.FENCED_INSTANCE_ID)
            if group.consumer is None and not (req.generation_id < 0 and group.is_(EMPTY)):
                member = group.members.get(req.member_id)
                if member is None:
                    return fail(E.UNKNOWN_MEMBER_ID)
                if req.generation_id != group.generation_id:
                    return fail(E.ILLEGAL_GENERATION)
                if group.is_(COMPLETING):
                    return fail(E.REBALANCE_IN_PROGRESS)
                # Stable, or PreparingRebalance (commits before rejoining are allowed).
                member.last_heartbeat = time.monotonic()
            now_ms = self.table.now_ms()
            expire = now_ms + req.retention_time_ms if req.retention_time_ms >= 0 else -1
            accepted = self._accept(valid, results, now_ms, expire)
            try:
                self.table.log.write_offsets(group_id, accepted)
            except WRITE_ERRORS as e:
                log.exception("writing offsets of group %s failed", group_id)
                too_large = isinstance(e, _native.StorageError) and e.code == E.MESSAGE_TOO_LARGE
                code = E.INVALID_COMMIT_OFFSET_SIZE if too_large else E.COORDINATOR_NOT_AVAILABLE
                results.update({tp: code for tp in accepted})
                return results
            group.offsets.update(accepted)
            results.update({tp: E.NONE for tp in accepted})
        return results

    # -- transactional offsets (KIP-98, KIP-447) -------------------------------------------
    async def txn_commit_offsets(self, req: CommitRequest, producer_id: int, producer_epoch: int,
                                 check_producer: Callable[[], int]) -> dict[TopicPartition, int]:
        """TxnOffsetCommit: the error per partition. `check_producer` is the transaction
        coordinator's fencing check of the producer id and epoch."""
        results, valid = self._split_known(req)

        def fail(code: int) -> dict[TopicPartition, int]:
            results.update({tp: code for tp in valid})
            return results

        group_id = req.group_id
        error = self.table.check(group_id)
        if error is not None:
            return fail(error)
        error = check_producer()
        if error:
            return fail(error)
        group = self.groups.get(group_id) or self.table.new_group(group_id)
        async with group.lock:
            if group.is_(DEAD):
                return fail(E.COORDINATOR_NOT_AVAILABLE)
            # Kafka's rule: a member is checked only when the request names one (older versions
            # of the API carry neither generation nor member id).
            if group.consumer is not None and (req.generation_id >= 0 or req.member_id):
                consumer_error = commit_error(group.consumer, req.member_id, req.generation_id, req.api_version,
                                              transactional=True)
                if consumer_error is not None:
                    return fail(consumer_error)
            elif req.generation_id >= 0 or req.member_id or req.group_instance_id is not None:
                if group.is_static_member_fenced(req.member_id, req.group_instance_id):
                    return fail(E.FENCED_INSTANCE_ID)
                if req.member_id not in group.members:
                    return fail(E.UNKNOWN_MEMBER_ID)
                if req.generation_id != group.generation_id:
                    return fail(E.ILLEGAL_GENERATION)
            now_ms = self.table.now_ms()
            accepted = self._accept(valid, results, now_ms, -1)
            try:
                self.table.log.write_txn_offsets(group_id, accepted, producer_id, producer_epoch)
            except WRITE_ERRORS as e:
                log.exception("writing transactional offsets of group %s failed", group_id)
                too_large = isinstance(e, _native.StorageError) and e.code == E.MESSAGE_TOO_LARGE
                fenced = isinstance(e, _native.StorageError) and e.code == E.INVALID_PRODUCER_EPOCH
                code = (E.INVALID_COMMIT_OFFSET_SIZE if too_large else E.INVALID_PRODUCER_EPOCH if fenced
                        else E.COORDINATOR_NOT_AVAILABLE)
                results.update({tp: code for tp in accepted})
                return results
            self.table.log.pending.setdefault(producer_id, {}).setdefault(group_id, {}).update(accepted)
            results.update({tp: E.NONE for tp in accepted})
        return results

    def complete_txn(self, producer_id: int, offsets_partition: int, commit: bool) -> None:
        """The marker of `producer_id`'s transaction is in `__consumer_offsets` partition
        `offsets_partition`: its pending offsets of the groups there become committed or go."""
        self.table.log.apply_txn_marker(producer_id, offsets_partition, commit)

    def has_pending(self, group_id: str, tp: TopicPartition) -> bool:
        """A transaction holds an offset of this group and partition not yet committed or aborted."""
        return any(tp in by_group.get(group_id, {}) for by_group in self.table.log.pending.values())

    def fetch_offsets(self, group_id: str, partitions: Optional[list[TopicPartition]],
                      member_id: Optional[str] = None, member_epoch: int = -1,
                      ) -> tuple[int, list[tuple[str, int, Optional[CommittedOffset]]]]:
        """(error, [(topic, partition, committed or None)]); partitions None = all committed.
        A member of a consumer group (v9+) gives its id and epoch, checked like a commit's."""
        error = self.table.check(group_id, allow_empty_id=True)
        if error is not None:
            return error, []
        group = self.groups.get(group_id)
        if group is not None and group.consumer is not None:
            error = fetch_error(group.consumer, member_id, member_epoch)
            if error is not None:
                return error, []
        offsets = group.offsets if group is not None and not group.is_(DEAD) else {}
        if partitions is None:
            return E.NONE, [(t, p, o) for (t, p), o in sorted(offsets.items())]
        return E.NONE, [(t, p, offsets.get((t, p))) for t, p in partitions]

    async def delete_offsets(self, group_id: str, partitions: list[TopicPartition]
                             ) -> tuple[int, dict[TopicPartition, int]]:
        """OffsetDelete: (top-level error, error per partition)."""
        error = self.table.check(group_id, allow_empty_id=True)
        if error is not None:
            return error, {}
        group = self.groups.get(group_id)
        if group is None:
            return E.GROUP_ID_NOT_FOUND, {}
        results: dict[TopicPartition, int] = {}
        async with group.lock:
            if group.is_(DEAD):
                return E.GROUP_ID_NOT_FOUND, {}
            subscribed: set[str] = set()
            if not group.is_(EMPTY):
                topics = group.subscribed_topics()
                if group.protocol_type != "consumer" or topics is None:
                    return E.NON_EMPTY_GROUP, {}
                subscribed = topics
            deletable = []
            for tp in partitions:
                if not self._partition_exists(tp):
                    results[tp] = E.UNKNOWN_TOPIC_OR_PARTITION
                elif tp[0] in subscribed:
                    results[tp] = E.GROUP_SUBSCRIBED_TO_TOPIC
                else:
                    deletable.append(tp)
            present = [tp for tp in deletable if tp in group.offsets]
            try:
                self.table.log.delete_offsets(group_id, present)
            except WRITE_ERRORS:
                log.exception("deleting offsets of group %s failed", group_id)
                return E.COORDINATOR_NOT_AVAILABLE, {}
            for tp in present:
                del group.offsets[tp]
            results.update({tp: E.NONE for tp in deletable})
        return E.NONE, results


    # =========================================================================================
    # Cleanup: expired offsets, offsets of deleted topics, expired empty groups
    # =========================================================================================
    async def run_cleaner(self) -> None:
        """`cleanup` every offsets.retention.check.interval.ms while the coordinator serves."""
        while True:
            await asyncio.sleep(max(self.settings.retention_check_ms, 100) / 1000)
            try:
                await self.cleanup()
            except WRITE_ERRORS:  # the next pass tries again
                log.exception("offsets cleanup failed")

    async def cleanup(self, now_ms: Optional[int] = None) -> int:
        """One pass of offsets.retention.minutes expiry and deleted-topic cleanup; returns how
        many offsets were removed."""
        removed = 0
        now_ms = self.table.now_ms() if now_ms is None else now_ms
        for group in list(self.groups.values()):
            async with group.lock:
                if self.groups.get(group.group_id) is not group:
                    continue
                removed += self._cleanup_group(group, now_ms)
        return removed

    def _cleanup_group(self, group: Group, now_ms: int) -> int:
        # Offsets of a deleted topic or partition go, and expired ones.
        expired = {tp for tp in group.offsets if not self._partition_exists(tp)}
        expired |= self._expired_offsets(group, now_ms)
        if expired:
            self.table.log.delete_offsets(group.group_id, expired)
            for tp in expired:
                group.offsets.pop(tp, None)
            log.info("group %s: removed %d expired or orphaned offsets", group.group_id, len(expired))
        if group.is_(EMPTY) and not group.offsets:
            # Nothing left to remember: the group goes away (Kafka: Dead + tombstone).
            self.table.log.delete_group(group)
            self.table.forget(group)
        return len(expired)

    def _expired_offsets(self, group: Group, now_ms: int) -> set[TopicPartition]:
        """Kafka's rules: an Empty group's offsets expire retention after it became empty (or
        after the commit, if later); a Stable consumer group's offsets of topics it no longer
        subscribes to expire retention after the commit; a simple group's after the commit."""
        subscribed: set[str] = set()
        if group.protocol_type is not None and group.is_(EMPTY):
            def base(o: CommittedOffset) -> int:
                return max(group.state_timestamp, o.commit_timestamp)
        elif group.protocol_type == "consumer" and group.is_(STABLE):
            topics = group.subscribed_topics()
            if topics is None:
                return set()
            subscribed = topics

            def base(o: CommittedOffset) -> int:
                return o.commit_timestamp
        elif group.protocol_type is None:
            def base(o: CommittedOffset) -> int:
                return o.commit_timestamp
        else:
            return set()
        out = set()
        for tp, o in group.offsets.items():
            if tp[0] in subscribed:
                continue
            if (o.expire_timestamp >= 0 and now_ms >= o.expire_timestamp) or \
                    (o.expire_timestamp < 0 and now_ms - base(o) >= self.settings.retention_ms):
                out.add(tp)
        return out

    def on_topic_deleted(self, topic: str) -> None:
        """Hook for DeleteTopics: drop the topic's offsets soon (the cleaner also finds them)."""
        if self.table.active:
            asyncio.ensure_future(self.cleanup())

