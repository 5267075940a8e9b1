"""The group coordinator: Kafka's classic group protocol, the KIP-848 consumer protocol, and
committed offsets.

fastlog is a single node, so it coordinates every group. This module is the face the handlers
see; the work is split along Kafka's own seams:

- membership.py   JoinGroup, SyncGroup, Heartbeat, LeaveGroup: the rebalance state machine
- consumer_groups.py  ConsumerGroupHeartbeat (KIP-848): broker-side assignment, reconciliation
- offsets.py      OffsetCommit, OffsetFetch, OffsetDelete, and offset expiry
- group_log.py    writing groups and offsets to `__consumer_offsets`, and loading them at start
- group_table.py  what those share: settings, the table of groups, the clock
- group_state.py  the in-memory group and member, and the request/result dataclasses

Handlers only call the public coroutines below and translate the results.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Iterable, Optional

from fastlog.config import Config
from fastlog.coordinator.consumer_groups import ConsumerGroups, HeartbeatRequest
from fastlog.coordinator.consumer_state import HeartbeatResult
from fastlog.coordinator.group_log import WRITE_ERRORS, GroupLog
from fastlog.coordinator.group_state import (
    CommitRequest,
    CommittedOffset,
    Group,
    GroupState,
    JoinRequest,
    JoinResult,
    SyncRequest,
    SyncResult,
)
from fastlog.coordinator.group_table import GroupSettings, GroupTable, wall_clock_ms
from fastlog.coordinator.membership import Membership
from fastlog.coordinator.offsets import Offsets, TopicPartition
from fastlog.coordinator.offsets_log import OffsetsLog
from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.groups")

E = ErrorCode


class GroupCoordinator:
    def __init__(self, logs: LogManager, config: Config,
                 now_ms: Callable[[], int] = wall_clock_ms) -> None:
        settings = GroupSettings.from_config(config)
        store = OffsetsLog(logs, num_partitions=settings.offsets_partitions,
                           segment_bytes=settings.offsets_segment_bytes)
        self.table = GroupTable(settings, GroupLog(store, {}), now_ms)
        self.groups: dict[str, Group] = self.table.groups
        self.consumer = ConsumerGroups(self.table, logs, config)
        self.table.log.consumer = self.consumer
        self.membership = Membership(self.table, self.consumer.downgrade, self.consumer.migration)
        self.offsets = Offsets(self.table, logs)
        self._tasks: list[asyncio.Task] = []

    @property
    def active(self) -> bool:
        """Serving requests: loaded and not stopped."""
        return self.table.active

    def ensure_offsets_topic(self) -> bool:
        """Create `__consumer_offsets` if it does not exist yet: Kafka does it at FindCoordinator,
        so a client sees the topic (and its partition count) before the first commit. False: it
        cannot be created now."""
        return self.table.log.store.create_if_missing()

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Rebuild groups and offsets from the internal log, then start the timers."""
        self.table.loading = True
        try:
            self.table.log.load(self.table.now_ms)
            self.consumer.restore(self.table.log.consumer_groups)
            self.table.log.consumer_groups.clear()
        finally:
            self.table.loading = False
        self.table.active = True
        self.membership.arm_all()
        self._tasks.append(asyncio.create_task(self.offsets.run_cleaner(), name="groups-cleaner"))
        self._tasks.append(asyncio.create_task(self.consumer.run_ticker(), name="consumer-groups-ticker"))

    async def stop(self) -> None:
        self.table.active = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.membership.stop()

    # -- membership (membership.py) -----------------------------------------------------
    async def join_group(self, req: JoinRequest) -> JoinResult:
        if self.table.is_share_group(req.group_id):   # Kafka: a share group has no classic members
            return JoinResult(E.INCONSISTENT_GROUP_PROTOCOL, req.member_id)
        return await self.membership.join_group(req)

    async def sync_group(self, req: SyncRequest) -> SyncResult:
        return await self.membership.sync_group(req)

    async def heartbeat(self, group_id: str, generation_id: int, member_id: str,
                        group_instance_id: Optional[str]) -> int:
        return await self.membership.heartbeat(group_id, generation_id, member_id, group_instance_id)

    async def leave_group(self, group_id: str, members: list[tuple[str, Optional[str]]]) -> tuple[int, list[int]]:
        """(top-level error, one error per leaving (member id, instance id))."""
        return await self.membership.leave_group(group_id, members)

    # -- KIP-848 consumer groups (consumer_groups.py) -------------------------------------
    async def consumer_group_heartbeat(self, req: HeartbeatRequest) -> HeartbeatResult:
        if self.table.is_share_group(req.group_id):
            return HeartbeatResult(E.GROUP_ID_NOT_FOUND, f"Group {req.group_id} is not a consumer group.")
        return await self.consumer.heartbeat(req)

    # -- offsets (offsets.py) -----------------------------------------------------------
    async def commit_offsets(self, req: CommitRequest) -> dict[TopicPartition, int]:
        if self.table.is_share_group(req.group_id):   # a share group keeps no committed offsets
            return {tp: E.GROUP_ID_NOT_FOUND for tp in req.offsets}
        return await self.offsets.commit_offsets(req)

    def fetch_offsets(self, group_id: str, partitions: Optional[list[TopicPartition]],
                      member_id: Optional[str] = None, member_epoch: int = -1,
                      ) -> tuple[int, list[tuple[str, int, Optional[CommittedOffset]]]]:
        return self.offsets.fetch_offsets(group_id, partitions, member_id, member_epoch)

    async def txn_commit_offsets(self, req: CommitRequest, producer_id: int, producer_epoch: int,
                                 check_producer: Callable[[], int]) -> dict[TopicPartition, int]:
        if self.table.is_share_group(req.group_id):   # Kafka: GROUP_ID_NOT_FOUND, member id or not
            return {tp: E.GROUP_ID_NOT_FOUND for tp in req.offsets}
        return await self.offsets.txn_commit_offsets(req, producer_id, producer_epoch, check_producer)

    def offsets_partition(self, group_id: str) -> int:
        """The `__consumer_offsets` partition of a group (AddOffsetsToTxn adds it to a transaction)."""
        return self.table.log.store.partition_for(group_id)

    async def delete_offsets(self, group_id: str, partitions: list[TopicPartition]
                             ) -> tuple[int, dict[TopicPartition, int]]:
        if self.table.is_share_group(group_id):
            return E.GROUP_ID_NOT_FOUND, {}
        return await self.offsets.delete_offsets(group_id, partitions)

    async def cleanup(self, now_ms: Optional[int] = None) -> int:
        return await self.offsets.cleanup(now_ms)

    def on_topic_deleted(self, topic: str) -> None:
        self.offsets.on_topic_deleted(topic)

    # -- describe, list, delete ---------------------------------------------------------
    def describe_group(self, group_id: str) -> tuple[int, Optional[Group]]:
        """(error, group or None when it does not exist)."""
        error = self.table.check(group_id, allow_empty_id=True)
        if error is not None:
            return error, None
        group = self.groups.get(group_id)
        if group is None or group.is_(GroupState.DEAD):
            return E.NONE, None
        return E.NONE, group

    def list_groups(self, states: Iterable[str] = (), types: Iterable[str] = ()) -> tuple[int, list[Group]]:
        if not self.table.active:
            return E.COORDINATOR_NOT_AVAILABLE, []
        state_filter = {s.lower() for s in states}
        type_filter = {t.lower() for t in types}
        out = []
        for group in self.groups.values():
            if group.is_(GroupState.DEAD):
                continue
            if state_filter and group.state_name().lower() not in state_filter:
                continue
            if type_filter and group.group_type not in type_filter:
                continue
            out.append(group)
        return (E.COORDINATOR_LOAD_IN_PROGRESS if self.table.loading else E.NONE), out

    async def delete_groups(self, group_ids: list[str]) -> dict[str, int]:
        results: dict[str, int] = {}
        for group_id in group_ids:
            error = self.table.check(group_id, allow_empty_id=True)
            if error is not None:
                results[group_id] = error
                continue
            group = self.groups.get(group_id)
            if group is None:
                results[group_id] = E.GROUP_ID_NOT_FOUND
                continue
            async with group.lock:
                self.membership.expire_due(group)  # a session that ran out just now counts as gone
                if group.is_(GroupState.DEAD):
                    results[group_id] = E.GROUP_ID_NOT_FOUND
                elif not group.is_(GroupState.EMPTY):
                    results[group_id] = E.NON_EMPTY_GROUP
                else:
                    try:
                        self._delete_group(group)
                        results[group_id] = E.NONE
                    except WRITE_ERRORS:
                        log.exception("deleting group %s failed", group_id)
                        results[group_id] = E.COORDINATOR_NOT_AVAILABLE
        return results

    def _delete_group(self, group: Group) -> None:
        """Tombstone every key of an Empty group and forget it. Lock held."""
        self.table.log.delete_group(group)
        group.offsets.clear()
        self.table.forget(group)
        log.info("group %s deleted", group.group_id)
