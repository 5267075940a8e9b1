"""KIP-848 consumer groups: ConsumerGroupHeartbeat, ConsumerGroupDescribe, their timers and records.

A consumer group lives in the same table as classic groups (a `Group` whose `consumer` is set),
so committed offsets, ListGroups, DeleteGroups and offset expiry treat both kinds alike. The
model and the reconciliation rule are in consumer_state.py, the assignors in assignors.py, the
record formats in consumer_records.py. Every change happens under the group's lock, without
awaiting, and is appended to `__consumer_offsets` before the member hears of it.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
import uuid
from typing import Optional

from fastlog.config import Config
from fastlog.coordinator import consumer_records as rec
from fastlog.coordinator.assignors import ASSIGNORS, CLASS_NAMES
from fastlog.coordinator.consumer_migration import Migration, MigrationError
from fastlog.coordinator.consumer_state import (
    JOIN_EPOCH,
    LEAVE_EPOCH,
    STATIC_LEAVE_EPOCH,
    Assignment,
    ClassicMetadata,
    ConsumerGroupState,
    ConsumerMember,
    HeartbeatResult,
    MemberState,
    reconcile,
)
from fastlog.coordinator.group_log import WRITE_ERRORS
from fastlog.coordinator.group_state import Group, GroupState
from fastlog.coordinator.group_table import GroupTable
from fastlog.coordinator.offsets_log import group_key
from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.groups")
E = ErrorCode
TICK_SECONDS = 0.25


@dataclasses.dataclass(frozen=True)
class ConsumerSettings:
    """group.consumer.* and the conversion policy, read once at start (the session timeout and
    heartbeat interval are per group: ConsumerGroups.session_timeout_ms)."""

    max_size: int
    assignors: tuple[str, ...]      # short names; the first is the default
    migration_policy: str
    enabled: bool                   # "consumer" in group.coordinator.rebalance.protocols

    @classmethod
    def from_config(cls, cfg: Config) -> "ConsumerSettings":
        names = tuple(CLASS_NAMES.get(n, n) for n in cfg.get("group.consumer.assignors"))
        return cls(cfg.get_int("group.consumer.max.size"), names or ("uniform",),
                   str(cfg.get("group.consumer.migration.policy")),
                   "consumer" in cfg.get("group.coordinator.rebalance.protocols"))

    def allows_upgrade(self) -> bool:
        return self.migration_policy in ("bidirectional", "upgrade")

    def allows_downgrade(self) -> bool:
        return self.migration_policy in ("bidirectional", "downgrade")


@dataclasses.dataclass(frozen=True)
class HeartbeatRequest:
    group_id: str
    member_id: str
    member_epoch: int
    instance_id: Optional[str]
    rack_id: Optional[str]
    rebalance_timeout_ms: int
    subscribed_topic_names: Optional[list[str]]
    subscribed_topic_regex: Optional[str]
    server_assignor: Optional[str]
    owned: Optional[Assignment]
    client_id: str
    client_host: str
    api_version: int


class InvalidRequest(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _compile(regex: str) -> "re.Pattern[str]":
    """RE2/J is Kafka's engine; Python's `re` with a full match agrees on the common syntax
    (classes, alternation, repetition). RE2 rejects lookarounds and backreferences, which `re`
    accepts: those are refused here too, as Kafka would."""
    if re.search(r"\(\?[=!<]|\\[1-9]", regex):
        raise re.error("lookarounds and backreferences are not RE2 syntax")
    return re.compile(regex)


class ConsumerGroups:
    def __init__(self, table: GroupTable, logs: LogManager, config: Config) -> None:
        self.table = table
        self.groups = table.groups
        self.logs = logs
        self.settings = ConsumerSettings.from_config(config)
        # Online migration of live groups between the protocols, and the classic members inside.
        self.migration = Migration(self)

    # -- the group's own session timeout and heartbeat interval (IncrementalAlterConfigs on the
    # group, within the broker's bounds), else the broker's; read at each heartbeat, as Kafka does
    def session_timeout_ms(self, group_id: str) -> int:
        return int(self.logs.dynamic.group_setting(group_id, "consumer.session.timeout.ms"))

    def heartbeat_interval_ms(self, group_id: str) -> int:
        return int(self.logs.dynamic.group_setting(group_id, "consumer.heartbeat.interval.ms"))

    # =========================================================================================
    # ConsumerGroupHeartbeat
    # =========================================================================================
    def _validate(self, req: HeartbeatRequest) -> None:
        """Kafka's request checks (INVALID_REQUEST and friends), before the group is looked at."""
        if not req.group_id:
            raise InvalidRequest(E.INVALID_REQUEST, "GroupId can't be empty.")
        if req.api_version >= 1 and not req.member_id:
            raise InvalidRequest(E.INVALID_REQUEST, "MemberId can't be empty.")
        if req.instance_id is not None and not req.instance_id:
            raise InvalidRequest(E.INVALID_REQUEST, "InstanceId can't be empty.")
        if req.member_epoch == JOIN_EPOCH:
            if req.rebalance_timeout_ms == -1:
                raise InvalidRequest(E.INVALID_REQUEST, "RebalanceTimeoutMs must be provided in first request.")
            if req.owned is None or req.owned:  # Kafka wants an empty list here, not null
                raise InvalidRequest(E.INVALID_REQUEST, "TopicPartitions must be empty when (re-)joining.")
            if req.subscribed_topic_names is None and req.subscribed_topic_regex is None:
                raise InvalidRequest(E.INVALID_REQUEST,
                                     "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when "
                                     "(re-)joining.")
        elif req.member_epoch == STATIC_LEAVE_EPOCH:
            if req.instance_id is None:
                raise InvalidRequest(E.INVALID_REQUEST, "InstanceId can't be null.")
        elif req.member_epoch < STATIC_LEAVE_EPOCH:
            raise InvalidRequest(E.INVALID_REQUEST, "MemberEpoch is invalid.")
        if req.subscribed_topic_regex:
            try:
                _compile(req.subscribed_topic_regex)
            except re.error as e:
                raise InvalidRequest(E.INVALID_REGULAR_EXPRESSION,
                                     f"SubscribedTopicRegex `{req.subscribed_topic_regex}` is not a valid "
                                     f"regular expression: {e}.") from None
        if req.server_assignor is not None and req.server_assignor not in self.settings.assignors:
            raise InvalidRequest(E.UNSUPPORTED_ASSIGNOR,
                                 f"ServerAssignor {req.server_assignor} is not supported. Supported assignors: "
                                 f"{', '.join(self.settings.assignors)}.")

    async def heartbeat(self, req: HeartbeatRequest) -> HeartbeatResult:
        try:
            self._validate(req)
        except InvalidRequest as e:
            return HeartbeatResult(e.code, str(e), req.member_id or None)
        if not self.settings.enabled:
            return HeartbeatResult(E.UNSUPPORTED_VERSION, "The consumer group protocol is not enabled.")
        error = self.table.check(req.group_id)
        if error is not None:
            return HeartbeatResult(error, None, req.member_id)
        group = self.groups.get(req.group_id)
        if group is None:
            if req.member_epoch != JOIN_EPOCH:
                return HeartbeatResult(E.GROUP_ID_NOT_FOUND, f"Consumer group {req.group_id} not found.",
                                       req.member_id)
            group = self.table.new_group(req.group_id)
            group.make_consumer(ConsumerGroupState())
        async with group.lock:
            if group.is_(GroupState.DEAD):
                return HeartbeatResult(E.COORDINATOR_NOT_AVAILABLE, None, req.member_id)
            if group.consumer is None:
                # A classic group: converted when the policy allows (online if it has members).
                if req.member_epoch != JOIN_EPOCH or not (
                        self.migration.can_upgrade(group) if group.members else self.settings.allows_upgrade()):
                    return HeartbeatResult(E.GROUP_ID_NOT_FOUND, f"Group {req.group_id} is not a consumer group",
                                           req.member_id)
                try:
                    if group.members:
                        self.migration.upgrade(group)
                    else:
                        self._upgrade(group)
                except MigrationError as e:
                    return HeartbeatResult(e.code, str(e), req.member_id)
                except WRITE_ERRORS:
                    log.exception("converting group %s failed", group.group_id)
                    return HeartbeatResult(E.COORDINATOR_NOT_AVAILABLE, None, req.member_id)
            try:
                if req.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
                    return self._leave(group, req)
                return self._heartbeat(group, req)
            except InvalidRequest as e:
                return HeartbeatResult(e.code, str(e), req.member_id)
            except WRITE_ERRORS:
                log.exception("storing consumer group %s failed", group.group_id)
                return HeartbeatResult(E.COORDINATOR_NOT_AVAILABLE, None, req.member_id)

    def _heartbeat(self, group: Group, req: HeartbeatRequest) -> HeartbeatResult:
        cg = group.consumer
        assert cg is not None
        now = time.monotonic()
        member_id = req.member_id or str(uuid.uuid4())  # v0: the coordinator may hand out the id
        member = cg.members.get(member_id)
        bump = False
        send_assignment = False
        if req.member_epoch == JOIN_EPOCH:
            send_assignment = True
            replaced = self._take_static_place(cg, req, member_id) if req.instance_id is not None else None
            if replaced is not None:
                member = replaced
            elif member is None:
                if len(cg.members) >= self.settings.max_size:
                    raise InvalidRequest(E.GROUP_MAX_SIZE_REACHED,
                                         f"The consumer group has reached its maximum capacity of "
                                         f"{self.settings.max_size} members.")
                member = ConsumerMember(member_id, instance_id=req.instance_id)
                cg.add(member)
                bump = True
            else:
                # A known member starting over: it owns nothing now.
                member.assigned, member.pending_revocation = {}, {}
                member.state, member.revocation_deadline = MemberState.STABLE, None
                member.member_epoch = 0
        else:
            if member is None:
                raise InvalidRequest(E.UNKNOWN_MEMBER_ID, f"Member {member_id} is not a member of group "
                                                          f"{req.group_id}.")
            if req.instance_id is not None and cg.static_members.get(req.instance_id) != member_id:
                raise InvalidRequest(E.FENCED_INSTANCE_ID, f"Static member {req.instance_id} was replaced.")
            if req.member_epoch != member.member_epoch:
                lost_response = (req.member_epoch == member.previous_member_epoch and req.owned is not None
                                 and _pairs(req.owned) <= _pairs(member.assigned))
                if not lost_response:
                    raise InvalidRequest(E.FENCED_MEMBER_EPOCH,
                                         f"The consumer group member has a smaller member epoch "
                                         f"({req.member_epoch}) than the one known by the group coordinator "
                                         f"({member.member_epoch}). The member must abandon all its partitions "
                                         f"and rejoin."
                                         if req.member_epoch < member.member_epoch else
                                         f"The consumer group member has a greater member epoch "
                                         f"({req.member_epoch}) than the one known by the group coordinator "
                                         f"({member.member_epoch}). The member must abandon all its partitions "
                                         f"and rejoin.")
                send_assignment = True
        # A classic member (online migration) that heartbeats with this API now uses the consumer
        # protocol: Kafka drops its classic metadata (ConsumerGroupDescribe shows member type 1).
        member.classic, member.classic_deadline = None, None
        bump |= self._update_member(member, req)
        member.session_deadline = now + self.session_timeout_ms(group.group_id) / 1000
        epoch_before = cg.group_epoch
        target_changed = self.refresh(group, force_bump=bump)
        changed = reconcile(cg, member, req.owned, now)
        records = self.group_records(group, target_changed, cg.group_epoch != epoch_before)
        records += self.changed_member_records(group.group_id, member)
        self.write(group.group_id, records)
        self.sync_classic_state(group)
        if req.owned is not None and _pairs(req.owned) != _pairs(member.assigned):
            send_assignment = True
        return HeartbeatResult(E.NONE, None, member_id, member.member_epoch, self.heartbeat_interval_ms(group.group_id),
                               dict(member.assigned) if (send_assignment or changed) else None)

    def _take_static_place(self, cg: ConsumerGroupState, req: HeartbeatRequest,
                           member_id: str) -> Optional[ConsumerMember]:
        """A static member rejoining under a new member id takes the old one's place, epoch and
        assignment (no new group epoch, so no reassignment); None when it is new to the group."""
        assert req.instance_id is not None
        old_id = cg.static_members.get(req.instance_id)
        if old_id is None or old_id == member_id:
            return None
        old = cg.members[old_id]
        if old.member_epoch != STATIC_LEAVE_EPOCH:
            raise InvalidRequest(E.UNRELEASED_INSTANCE_ID,
                                 f"Static member {member_id} with instance id {req.instance_id} cannot join the group "
                                 f"because the instance id is owned by {old_id} member.")
        cg.remove(old_id)
        target = cg.target.pop(old_id, {})
        new = dataclasses.replace(old, member_id=member_id, member_epoch=old.previous_member_epoch, written=(b"", b""),
                                  previous_member_epoch=old.previous_member_epoch)
        cg.add(new)
        cg.target[member_id] = target
        self.table.log.append(req.group_id, [(rec.key(t, req.group_id, old_id), None) for t in
                                                  (rec.MEMBER_METADATA, rec.TARGET_MEMBER, rec.CURRENT_MEMBER)]
                              + [(rec.key(rec.TARGET_MEMBER, req.group_id, member_id),
                                  rec.target_member_value(target))])
        log.info("static member %s of group %s rejoined: %s replaces %s", req.instance_id, req.group_id,
                 member_id, old_id)
        return new

    def _update_member(self, member: ConsumerMember, req: HeartbeatRequest) -> bool:
        """Apply the fields the request sets (null = unchanged); True when the group must
        compute a new assignment."""
        bump = False
        member.client_id, member.client_host = req.client_id, req.client_host
        if req.rack_id is not None:
            member.rack_id = req.rack_id
        if req.rebalance_timeout_ms != -1:
            member.rebalance_timeout_ms = req.rebalance_timeout_ms
        if req.subscribed_topic_names is not None and sorted(req.subscribed_topic_names) != \
                sorted(member.subscribed_topic_names):
            member.subscribed_topic_names = sorted(set(req.subscribed_topic_names))
            bump = True
        if req.subscribed_topic_regex is not None:
            regex = req.subscribed_topic_regex or None  # "" clears it
            if regex != member.subscribed_topic_regex:
                member.subscribed_topic_regex = regex
                bump = True
        if req.server_assignor is not None and req.server_assignor != member.server_assignor:
            member.server_assignor = req.server_assignor
            bump = True
        return bump

    def _leave(self, group: Group, req: HeartbeatRequest) -> HeartbeatResult:
        cg = group.consumer
        assert cg is not None
        member = cg.members.get(req.member_id)
        if member is None:
            raise InvalidRequest(E.UNKNOWN_MEMBER_ID, f"Member {req.member_id} is not a member of group "
                                                      f"{req.group_id}.")
        if req.member_epoch == STATIC_LEAVE_EPOCH:
            # The static member comes back soon: it keeps its place and assignment (KIP-848).
            if member.member_epoch != STATIC_LEAVE_EPOCH:
                member.previous_member_epoch = member.member_epoch
            member.member_epoch = STATIC_LEAVE_EPOCH
            self.write(group.group_id, self.changed_member_records(group.group_id, member))
        else:
            self.remove_member(group, member, "left")
        return HeartbeatResult(E.NONE, None, req.member_id, req.member_epoch, 0)

    def remove_member(self, group: Group, member: ConsumerMember, why: str) -> None:
        cg = group.consumer
        assert cg is not None
        if self.migration.downgrade_on_removal(group, member):
            log.info("member %s of group %s %s; the group is classic again", member.member_id, group.group_id, why)
            return
        cg.remove(member.member_id)
        records: list[rec.Record] = [(rec.key(t, group.group_id, member.member_id), None)
                                     for t in (rec.CURRENT_MEMBER, rec.TARGET_MEMBER, rec.MEMBER_METADATA)]
        # As Kafka: a new group epoch now, its target assignment at the next heartbeat of any
        # member (the group reports Assigning until then).
        cg.group_epoch += 1
        records += self.group_records(group, False, True)
        self.write(group.group_id, records)
        self.sync_classic_state(group)
        log.info("member %s of consumer group %s %s (group epoch %d)", member.member_id, group.group_id, why,
                 cg.group_epoch)

    # -- the target assignment ------------------------------------------------------------
    def _resolve_subscriptions(self, cg: ConsumerGroupState) -> dict[str, set[bytes]]:
        """Member id -> ids of the existing topics it subscribes to (names and regex)."""
        topics = {name: t for name, t in self.logs.topics.items()}
        patterns: dict[str, Optional[re.Pattern[str]]] = {}
        out: dict[str, set[bytes]] = {}
        for m in cg.members.values():
            ids = {topics[n].topic_id for n in m.subscribed_topic_names if n in topics}
            if m.subscribed_topic_regex:
                if m.subscribed_topic_regex not in patterns:
                    try:
                        patterns[m.subscribed_topic_regex] = _compile(m.subscribed_topic_regex)
                    except re.error:
                        patterns[m.subscribed_topic_regex] = None
                pattern = patterns[m.subscribed_topic_regex]
                if pattern is not None:
                    # Internal topics too, as Kafka: whether to consume them is the client's choice.
                    ids |= {t.topic_id for name, t in topics.items() if pattern.fullmatch(name)}
            out[m.member_id] = ids
        return out

    def refresh(self, group: Group, force_bump: bool) -> bool:
        """Bump the group epoch when asked or when the subscribed topics' metadata changed, then
        compute a new target assignment if the group epoch moved. True when it did."""
        cg = group.consumer
        assert cg is not None
        subscriptions = self._resolve_subscriptions(cg)
        partitions: dict[bytes, int] = {}
        for ids in subscriptions.values():
            for topic_id in ids:
                topic = self.logs.get_by_id(topic_id)
                if topic is not None:
                    partitions[topic_id] = len(topic.partitions)
        metadata = frozenset(partitions.items())
        if force_bump or metadata != cg.subscribed_metadata:
            cg.group_epoch += 1
        cg.subscribed_metadata = metadata
        group.subscribed_names = {t.name for t in (self.logs.get_by_id(i) for i in partitions) if t is not None}
        if cg.assignment_epoch >= cg.group_epoch:
            return False
        assignor = ASSIGNORS[cg.preferred_assignor(self.settings.assignors[0])]
        cg.target = assignor(subscriptions, partitions, cg.target)
        cg.assignment_epoch = cg.group_epoch
        group.assignor_name = cg.preferred_assignor(self.settings.assignors[0])
        return True

    # -- records --------------------------------------------------------------------------
    def group_records(self, group: Group, target_changed: bool, epoch_changed: bool) -> list[rec.Record]:
        cg = group.consumer
        assert cg is not None
        gid = group.group_id
        out: list[rec.Record] = []
        if epoch_changed:
            out.append((rec.key(rec.GROUP_METADATA, gid), rec.group_value(cg.group_epoch)))
        if target_changed:
            out += [(rec.key(rec.TARGET_MEMBER, gid, m), rec.target_member_value(a)) for m, a in cg.target.items()]
            out.append((rec.key(rec.TARGET_METADATA, gid), rec.target_metadata_value(cg.assignment_epoch)))
        return out

    def member_records(self, gid: str, m: ConsumerMember) -> list[rec.Record]:
        stored = rec.StoredMember(m.instance_id, m.rack_id, m.client_id, m.client_host, m.subscribed_topic_names,
                                  m.subscribed_topic_regex, m.server_assignor, m.rebalance_timeout_ms,
                                  m.member_epoch, m.previous_member_epoch, int(m.state), m.assigned,
                                  m.pending_revocation,
                                  None if m.classic is None else m.classic.session_timeout_ms,
                                  [] if m.classic is None else list(m.classic.protocols))
        return [(rec.key(rec.MEMBER_METADATA, gid, m.member_id), rec.member_value(stored)),
                (rec.key(rec.CURRENT_MEMBER, gid, m.member_id), rec.current_member_value(stored))]

    def changed_member_records(self, gid: str, m: ConsumerMember) -> list[rec.Record]:
        """The member's records whose value differs from the last one written: a plain
        heartbeat writes nothing."""
        records = self.member_records(gid, m)
        values = (records[0][1] or b"", records[1][1] or b"")
        changed = [r for r, old in zip(records, m.written) if r[1] != old]
        m.written = values
        return changed

    def write(self, gid: str, records: list[rec.Record]) -> None:
        if records:
            self.table.log.append(gid, records)

    def tombstones(self, group: Group) -> list[rec.Record]:
        """Records that delete the consumer group's state (not its offsets)."""
        cg = group.consumer
        if cg is None:
            return []
        out: list[rec.Record] = []
        for member_id in set(cg.members) | set(cg.target):
            out += [(rec.key(t, group.group_id, member_id), None)
                    for t in (rec.CURRENT_MEMBER, rec.TARGET_MEMBER, rec.MEMBER_METADATA)]
        out += [(rec.key(rec.TARGET_METADATA, group.group_id), None),
                (rec.key(rec.GROUP_METADATA, group.group_id), None)]
        return out

    # -- conversion between classic and consumer groups (empty groups only) -----------------
    def _upgrade(self, group: Group) -> None:
        """An empty classic group becomes a consumer group; its offsets stay. Lock held."""
        if group.group_id in self.table.log.persisted:
            self.table.log.append(group.group_id, [(group_key(group.group_id), None)])
            self.table.log.persisted.pop(group.group_id, None)
        group.make_consumer(ConsumerGroupState())
        log.info("empty classic group %s converted to a consumer group", group.group_id)

    def downgrade(self, group: Group) -> bool:
        """An empty consumer group becomes a classic group when the policy allows (for a classic
        JoinGroup); True when the group is now classic. Lock held."""
        cg = group.consumer
        if cg is None:
            return True
        if cg.members or not self.settings.allows_downgrade():
            return False
        self.table.log.append(group.group_id, self.tombstones(group))
        group.make_classic()
        log.info("empty consumer group %s converted to a classic group", group.group_id)
        return True

    def sync_classic_state(self, group: Group) -> None:
        """Keep the classic view (Empty/Stable) in step: offset expiry and DeleteGroups use it."""
        cg = group.consumer
        assert cg is not None
        state = GroupState.STABLE if cg.members else GroupState.EMPTY
        if group.state is not state:
            group.state = state
            group.state_timestamp = self.table.now_ms()

    # =========================================================================================
    # Timers: sessions and revocation deadlines
    # =========================================================================================
    async def run_ticker(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            for group in list(self.groups.values()):
                if group.consumer is not None and group.consumer.members:
                    async with group.lock:
                        self._expire(group, time.monotonic())

    def _expire(self, group: Group, now: float) -> None:
        cg = group.consumer
        if cg is None or self.groups.get(group.group_id) is not group:
            return
        for member in list(cg.members.values()):
            if group.consumer is not cg:
                return  # downgraded to a classic group by the removal of a member before
            why = None
            if now >= member.session_deadline:
                why = "session timed out"
            elif member.revocation_deadline is not None and now >= member.revocation_deadline:
                why = "did not revoke its partitions within the rebalance timeout"
            elif member.classic_deadline is not None and now >= member.classic_deadline:
                why = "did not rejoin or sync within the rebalance timeout"
            if why is not None:
                try:
                    self.remove_member(group, member, f"removed: {why}")
                except WRITE_ERRORS:
                    log.exception("storing consumer group %s failed", group.group_id)

    # =========================================================================================
    # Start: rebuild from the replayed records
    # =========================================================================================
    def restore(self, stored: dict[str, rec.StoredConsumerGroup]) -> None:
        now = time.monotonic()
        for gid, sg in stored.items():
            if sg.epoch is None:
                continue
            group = self.groups.get(gid)
            if group is None:
                group = self.table.new_group(gid)
            cg = ConsumerGroupState()
            cg.group_epoch = sg.epoch
            cg.assignment_epoch = sg.assignment_epoch or 0
            for member_id, sm in sg.members.items():
                if member_id not in sg.has_metadata:
                    continue
                member = ConsumerMember(
                    member_id, sm.instance_id, sm.rack_id, sm.client_id, sm.client_host, sm.subscribed_topic_names,
                    sm.subscribed_topic_regex, sm.server_assignor, sm.rebalance_timeout_ms, sm.member_epoch,
                    sm.previous_member_epoch, MemberState(sm.state) if sm.state in (0, 1, 2) else MemberState.STABLE,
                    sm.assigned, sm.pending_revocation,
                    session_deadline=now + (sm.classic_session_timeout_ms or self.session_timeout_ms(gid)) / 1000,
                    classic=None if sm.classic_session_timeout_ms is None else
                    ClassicMetadata(sm.classic_session_timeout_ms, tuple(sm.classic_protocols)))
                if member.state is MemberState.UNREVOKED_PARTITIONS:
                    member.revocation_deadline = now + max(member.rebalance_timeout_ms, 0) / 1000
                cg.add(member)
            cg.target = {m: a for m, a in sg.targets.items() if m in cg.members}
            group.make_consumer(cg)
            group.subscribed_names = set()
            group.assignor_name = cg.preferred_assignor(self.settings.assignors[0])
            # The topics' metadata is recomputed on the next heartbeat; keep the epoch stable
            # until then unless the topics really changed.
            subscriptions = self._resolve_subscriptions(cg)
            partitions = {i: len(t.partitions) for ids in subscriptions.values() for i in ids
                          if (t := self.logs.get_by_id(i)) is not None}
            cg.subscribed_metadata = frozenset(partitions.items())
            group.subscribed_names = {t.name for i in partitions if (t := self.logs.get_by_id(i)) is not None}
            self.sync_classic_state(group)


def _pairs(assignment: Assignment) -> set[tuple[bytes, int]]:
    return {(t, p) for t, parts in assignment.items() for p in parts}


# -- OffsetCommit / OffsetFetch rules for members of consumer groups ------------------------------
def commit_error(cg: ConsumerGroupState, member_id: str, member_epoch: int, api_version: int,
                 transactional: bool = False) -> Optional[int]:
    """Kafka's ConsumerGroup.validateOffsetCommit: an admin commit (epoch < 0) only to an empty
    group; a member must exist, use OffsetCommit v9+, and give its current epoch. TxnOffsetCommit
    (any version) has no STALE_MEMBER_EPOCH: Kafka answers ILLEGAL_GENERATION there."""
    if member_epoch < 0 and not cg.members:
        return None
    member = cg.members.get(member_id)
    if member is None:
        return E.UNKNOWN_MEMBER_ID
    if not transactional and member.classic is None and api_version < 9:
        return E.UNSUPPORTED_VERSION
    if member_epoch != member.member_epoch:
        # A classic member (online migration) commits with its generation: Kafka's ILLEGAL_GENERATION.
        return E.ILLEGAL_GENERATION if transactional or member.classic is not None else E.STALE_MEMBER_EPOCH
    return None


def fetch_error(cg: ConsumerGroupState, member_id: Optional[str], member_epoch: int) -> Optional[int]:
    """Kafka's ConsumerGroup.validateOffsetFetch: epoch -1 (admin) always reads; a member must
    exist and give its current epoch."""
    if member_epoch < 0:
        return None
    member = cg.members.get(member_id or "")
    if member is None:
        return E.UNKNOWN_MEMBER_ID
    if member_epoch != member.member_epoch:
        return E.ILLEGAL_GENERATION if member.classic is not None else E.STALE_MEMBER_EPOCH
    return None
