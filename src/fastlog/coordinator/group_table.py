"""What the membership and offsets halves of the coordinator share: the settings, the table of
groups, whether the coordinator serves, the clock and the group log."""
from __future__ import annotations

import dataclasses
import time
from typing import Callable, Container, Optional

from fastlog.config import Config
from fastlog.coordinator.group_log import GroupLog
from fastlog.coordinator.group_state import Group, GroupState
from fastlog.protocol.errors import ErrorCode


@dataclasses.dataclass(frozen=True)
class GroupSettings:
    """The group.* and offsets.* broker configs, read once at start."""

    initial_delay_ms: int
    min_session_ms: int
    max_session_ms: int
    max_group_size: int
    retention_ms: int
    retention_check_ms: int
    metadata_max_bytes: int
    offsets_partitions: int
    offsets_segment_bytes: int

    @classmethod
    def from_config(cls, cfg: Config) -> "GroupSettings":
        # keys and defaults: fastlog.config.BROKER_KEYS
        return cls(
            initial_delay_ms=cfg.get_int("group.initial.rebalance.delay.ms"),
            min_session_ms=cfg.get_int("group.min.session.timeout.ms"),
            max_session_ms=cfg.get_int("group.max.session.timeout.ms"),
            max_group_size=cfg.get_int("group.max.size"),
            retention_ms=cfg.get_int("offsets.retention.minutes") * 60_000,
            retention_check_ms=cfg.get_int("offsets.retention.check.interval.ms"),
            metadata_max_bytes=cfg.get_int("offset.metadata.max.bytes"),
            offsets_partitions=cfg.get_int("offsets.topic.num.partitions"),
            offsets_segment_bytes=cfg.get_int("offsets.topic.segment.bytes"),
        )


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class GroupTable:
    def __init__(self, settings: GroupSettings, log: GroupLog, now_ms: Callable[[], int]) -> None:
        self.settings = settings
        self.log = log
        self.groups: dict[str, Group] = log.groups
        self.now_ms = now_ms  # wall clock (timestamps that are stored); deadlines use time.monotonic
        self.active = False
        self.loading = False
        # The ids of share groups (the share coordinator's table, set by the broker): one group id
        # namespace, so the classic and consumer protocols refuse them as Kafka does.
        self.share_group_ids: Container[str] = ()

    def is_share_group(self, group_id: str) -> bool:
        return group_id in self.share_group_ids

    def check(self, group_id: Optional[str], allow_empty_id: bool = False) -> Optional[int]:
        """The error every group API answers before looking at the group, or None."""
        if group_id is None or (group_id == "" and not allow_empty_id):
            return ErrorCode.INVALID_GROUP_ID
        if not self.active:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE
        if self.loading:
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        return None

    def new_group(self, group_id: str) -> Group:
        group = Group(group_id, self.now_ms())
        self.groups[group_id] = group
        return group

    def forget(self, group: Group) -> None:
        """The group is gone (deleted or expired): Dead, and out of the table. Lock held."""
        group.transition(GroupState.DEAD, self.now_ms())
        self.log.persisted.pop(group.group_id, None)
        if self.groups.get(group.group_id) is group:
            del self.groups[group.group_id]
