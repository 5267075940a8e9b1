"""Online migration of live groups between the classic and the consumer protocol (KIP-848's
upgrade and downgrade), following Kafka's GroupMetadataManager:

- Upgrade (`convertToConsumerGroup`): the first ConsumerGroupHeartbeat join to a classic group
  with members, when `group.consumer.migration.policy` is `upgrade` or `bidirectional`, the
  group's protocol type is `consumer` and it has at most `group.consumer.max.size` members,
  turns it into a consumer group. Its group epoch and target assignment epoch are the classic
  generation; each classic member becomes a Stable member of that epoch, owning (and targeted
  with) the partitions of its last classic assignment. Parked JoinGroup/SyncGroup requests get
  REBALANCE_IN_PROGRESS.
- Classic members inside a consumer group keep speaking JoinGroup/SyncGroup/Heartbeat/LeaveGroup
  (`classicGroupJoinToConsumerGroup` and friends): a JoinGroup updates the member's
  subscription and reconciles it with the target assignment at once (no waiting for the other
  members, no leader: the answer's generation is the member epoch), SyncGroup hands out its
  assigned partitions, and Heartbeat answers REBALANCE_IN_PROGRESS when the member must rejoin
  to move on (a newer group epoch, partitions to revoke, or partitions that became free).
- Downgrade (`convertToClassicGroup`): when the last consumer-protocol member leaves or is
  fenced and the others all speak the classic protocol, with policy `downgrade` or
  `bidirectional` and at most `group.max.size` of them, the group turns back into a Stable
  classic group (generation = group epoch, each member's assignment its target) and a rebalance
  starts at once.

Every change is written to `__consumer_offsets` (Kafka's records: the classic group tombstoned
and the consumer group's records written on upgrade, and the reverse on downgrade) before the
member hears of it. Everything runs under the group's lock, without awaiting.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Callable, Optional, Protocol

from fastlog.coordinator import consumer_records as rec
from fastlog.coordinator.consumer_protocol import by_name, decode_assignment, decode_subscription, encode_assignment
from fastlog.coordinator.consumer_state import (
    Assignment,
    ClassicMetadata,
    ConsumerGroupState,
    ConsumerMember,
    MemberState,
    flatten,
    reconcile,
)
from fastlog.coordinator.group_state import Group, GroupState, JoinRequest, JoinResult, Member, SyncRequest, SyncResult
from fastlog.coordinator.group_table import GroupTable
from fastlog.coordinator.offsets_log import group_key
from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.groups")
E = ErrorCode
PROTOCOL_TYPE = "consumer"


class _Settings(Protocol):
    """consumer_groups.ConsumerSettings, as far as the migration reads it."""
    @property
    def max_size(self) -> int: ...
    def allows_upgrade(self) -> bool: ...
    def allows_downgrade(self) -> bool: ...


class _ConsumerGroups(Protocol):
    """What the migration uses of consumer_groups.ConsumerGroups (which owns it)."""
    table: GroupTable
    logs: LogManager

    @property
    def settings(self) -> _Settings: ...
    def refresh(self, group: Group, force_bump: bool) -> bool: ...
    def group_records(self, group: Group, target_changed: bool, epoch_changed: bool) -> list[rec.Record]: ...
    def member_records(self, gid: str, m: ConsumerMember) -> list[rec.Record]: ...
    def changed_member_records(self, gid: str, m: ConsumerMember) -> list[rec.Record]: ...
    def write(self, gid: str, records: list[rec.Record]) -> None: ...
    def sync_classic_state(self, group: Group) -> None: ...
    def tombstones(self, group: Group) -> list[rec.Record]: ...


class MigrationError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Migration:
    def __init__(self, consumer: _ConsumerGroups) -> None:
        self.consumer = consumer
        self.table = consumer.table
        self.logs = consumer.logs
        self.settings = consumer.settings
        # Set by the coordinator: times the sessions of a group just downgraded and, when the
        # flag says so, starts its classic rebalance.
        self.on_downgraded: Callable[[Group, bool], None] = lambda group, rebalance: None

    # =========================================================================================
    # Upgrade: a consumer-protocol member joins a classic group with members
    # =========================================================================================
    def can_upgrade(self, group: Group) -> bool:
        """Kafka's validateOnlineUpgrade."""
        why = None
        if not self.settings.allows_upgrade():
            why = "the online upgrade is disabled"
        elif group.protocol_type != PROTOCOL_TYPE:
            why = "the group does not use the consumer embedded protocol"
        elif len(group.members) > self.settings.max_size:
            why = "the group size exceeds the consumer group maximum size"
        if why is not None:
            log.info("Cannot upgrade classic group %s to consumer group because %s.", group.group_id, why)
        return why is None

    def upgrade(self, group: Group) -> None:
        """Turn the classic group into a consumer group keeping its members (lock held). Raises
        MigrationError (GROUP_ID_NOT_FOUND) when a member's embedded protocol does not decode,
        or one of WRITE_ERRORS; the group is unchanged then."""
        now = time.monotonic()
        gid = group.group_id
        cg = ConsumerGroupState()
        cg.group_epoch = cg.assignment_epoch = group.generation_id
        for m in group.members.values():
            try:
                subscription = decode_subscription(m.metadata(group.protocol_name) if group.protocol_name
                                                   else m.protocols[0][1])
                assigned = self.by_id(decode_assignment(m.assignment))
            except (ValueError, IndexError):
                raise MigrationError(E.GROUP_ID_NOT_FOUND,
                                     f"Cannot upgrade the classic group {gid} to consumer group because the "
                                     f"embedded consumer protocol is malformed.") from None
            member = ConsumerMember(
                m.member_id, m.group_instance_id, subscription.rack_id, m.client_id, m.client_host,
                sorted(set(subscription.topics)), rebalance_timeout_ms=m.rebalance_timeout_ms,
                member_epoch=group.generation_id, previous_member_epoch=group.generation_id,
                state=MemberState.STABLE, assigned=assigned,
                session_deadline=now + m.session_timeout_ms / 1000,
                classic=ClassicMetadata(m.session_timeout_ms, tuple(m.protocols)))
            cg.add(member)
            cg.target[m.member_id] = {t: set(p) for t, p in assigned.items()}
        records: list[rec.Record] = [(group_key(gid), None)]
        written = []
        for member in cg.members.values():
            member_records = self.consumer.member_records(gid, member)
            records += member_records
            written.append((member, (member_records[0][1] or b"", member_records[1][1] or b"")))
        records.append((rec.key(rec.GROUP_METADATA, gid), rec.group_value(cg.group_epoch)))
        records += [(rec.key(rec.TARGET_MEMBER, gid, m), rec.target_member_value(a)) for m, a in cg.target.items()]
        records.append((rec.key(rec.TARGET_METADATA, gid), rec.target_metadata_value(cg.assignment_epoch)))
        self.table.log.append(gid, records)
        for member, values in written:
            member.written = values
        self.table.log.persisted.pop(gid, None)
        # Members parked in a classic rebalance learn that another one started: they rejoin.
        for m in group.members.values():
            _resolve(m.join_future, JoinResult(E.REBALANCE_IN_PROGRESS, m.member_id))
            _resolve(m.sync_future, SyncResult(E.REBALANCE_IN_PROGRESS))
            m.join_future = m.sync_future = None
        group.drop_classic_members()
        group.make_consumer(cg)
        log.info("classic group %s with %d members converted to a consumer group (epoch %d)", gid,
                 len(cg.members), cg.group_epoch)

    def by_id(self, assignment: dict[str, list[int]]) -> Assignment:
        """Topic name -> partitions as topic id -> partitions (unknown topics left out)."""
        out: Assignment = {}
        for name, parts in assignment.items():
            topic = self.logs.topics.get(name)
            if topic is not None:
                valid = {p for p in parts if 0 <= p < len(topic.partitions)}
                if valid:
                    out.setdefault(topic.topic_id, set()).update(valid)
        return out

    # =========================================================================================
    # Classic requests to a consumer group
    # =========================================================================================
    def join(self, group: Group, req: JoinRequest) -> JoinResult:
        """JoinGroup of a classic member to a consumer group with members (lock held)."""
        cg = group.consumer
        assert cg is not None
        now = time.monotonic()
        member_id = req.member_id or str(uuid.uuid4())
        if member_id not in cg.members and len(cg.members) >= self.settings.max_size:
            return JoinResult(E.GROUP_MAX_SIZE_REACHED, member_id)
        if not self._supports(cg, req.protocol_type, {name for name, _ in req.protocols}):
            return JoinResult(E.INCONSISTENT_GROUP_PROTOCOL, member_id)
        if req.member_id == "" and req.api_version >= 4 and req.group_instance_id is None:
            return JoinResult(E.MEMBER_ID_REQUIRED, member_id)
        try:
            subscription = decode_subscription(req.protocols[0][1])
        except ValueError:
            # Kafka: IllegalStateException "Malformed embedded consumer protocol", an unknown error.
            return JoinResult(E.UNKNOWN_SERVER_ERROR, member_id)
        records: list[rec.Record] = []
        bump = False
        replaced_consumer_member = False
        member: Optional[ConsumerMember]
        if req.group_instance_id is not None:
            old_id = cg.static_members.get(req.group_instance_id)
            if old_id is None or old_id == member_id:
                member = cg.members.get(member_id)
            elif req.member_id == "":
                replaced_consumer_member = cg.members[old_id].classic is None
                member = self._replace_static(group, old_id, member_id, records)
            else:
                return JoinResult(E.FENCED_INSTANCE_ID, member_id)
        else:
            member = cg.members.get(member_id)
        if member is None:
            member = ConsumerMember(member_id, instance_id=req.group_instance_id)
            cg.add(member)
            bump = True
        topics = sorted(set(subscription.topics))
        if topics != member.subscribed_topic_names:
            member.subscribed_topic_names = topics
            bump = True
        if subscription.rack_id is not None:
            member.rack_id = subscription.rack_id
        member.rebalance_timeout_ms = req.rebalance_timeout_ms
        member.client_id, member.client_host = req.client_id, req.client_host
        member.classic = ClassicMetadata(req.session_timeout_ms, tuple(req.protocols))
        member.session_deadline = now + req.session_timeout_ms / 1000
        # Kafka's sync timeout: the member must SyncGroup within its rebalance timeout.
        member.classic_deadline = now + req.rebalance_timeout_ms / 1000
        # Kafka: a static member that replaced the last consumer-protocol member turns the group into
        # a Stable classic group at once (no rebalance), each member keeping its target assignment.
        if replaced_consumer_member and all(m.classic is not None for m in cg.members.values()) \
                and self._convert_to_classic(group, list(cg.members.values()), records, rebalance=False):
            return JoinResult(E.NONE, member_id, group.generation_id, PROTOCOL_TYPE, req.protocols[0][0])
        epoch_before = cg.group_epoch
        target_changed = self.consumer.refresh(group, force_bump=bump)
        reconcile(cg, member, self.by_id(subscription.owned), now)
        records += self.consumer.group_records(group, target_changed, cg.group_epoch != epoch_before)
        records += self.consumer.changed_member_records(group.group_id, member)
        self.consumer.write(group.group_id, records)
        self.consumer.sync_classic_state(group)
        return JoinResult(E.NONE, member_id, member.member_epoch, PROTOCOL_TYPE, req.protocols[0][0])

    def _replace_static(self, group: Group, old_id: str, member_id: str,
                        records: list[rec.Record]) -> ConsumerMember:
        """A static classic member rejoining under a new member id takes the old one's place,
        epoch and assignment (the old id is fenced)."""
        cg = group.consumer
        assert cg is not None
        old = cg.members[old_id]
        target = cg.target.get(old_id, {})
        cg.remove(old_id)
        old.member_id, old.written = member_id, (b"", b"")
        cg.add(old)
        cg.target[member_id] = target
        records += [(rec.key(t, group.group_id, old_id), None)
                    for t in (rec.MEMBER_METADATA, rec.TARGET_MEMBER, rec.CURRENT_MEMBER)]
        records.append((rec.key(rec.TARGET_MEMBER, group.group_id, member_id), rec.target_member_value(target)))
        log.info("static member %s of group %s rejoined: %s replaces %s", old.instance_id, group.group_id,
                 member_id, old_id)
        return old

    @staticmethod
    def _supports(cg: ConsumerGroupState, protocol_type: str, names: set[str]) -> bool:
        """Kafka's ConsumerGroup.supportsClassicProtocols: type `consumer`, and one protocol every
        classic member supports."""
        if protocol_type != PROTOCOL_TYPE or not names:
            return False
        for m in cg.members.values():
            if m.classic is not None:
                names &= {name for name, _ in m.classic.protocols}
        return bool(names)

    def _classic_member(self, cg: ConsumerGroupState, member_id: str,
                        instance_id: Optional[str]) -> tuple[int, Optional[ConsumerMember]]:
        """Kafka's validateConsumerGroupMember + throwIfMemberDoesNotUseClassicProtocol."""
        if instance_id is None:
            member = cg.members.get(member_id)
        else:
            static_id = cg.static_members.get(instance_id)
            if static_id is None:
                return E.UNKNOWN_MEMBER_ID, None
            if static_id != member_id:
                return E.FENCED_INSTANCE_ID, None
            member = cg.members.get(static_id)
        if member is None or member.classic is None:
            return E.UNKNOWN_MEMBER_ID, None
        return E.NONE, member

    def sync(self, group: Group, req: SyncRequest) -> SyncResult:
        cg = group.consumer
        assert cg is not None
        error, member = self._classic_member(cg, req.member_id, req.group_instance_id)
        if member is None or member.classic is None:
            return SyncResult(error)
        if req.generation_id != member.member_epoch:
            return SyncResult(E.ILLEGAL_GENERATION)
        if (req.protocol_type is not None and req.protocol_type != PROTOCOL_TYPE) or \
                (req.protocol_name is not None and req.protocol_name != member.classic.protocols[0][0]):
            return SyncResult(E.INCONSISTENT_GROUP_PROTOCOL)
        now = time.monotonic()
        if cg.group_epoch > member.member_epoch and member.state is not MemberState.UNREVOKED_PARTITIONS:
            self._must_rejoin_by(member, now)
            return SyncResult(E.REBALANCE_IN_PROGRESS)
        member.classic_deadline = None
        member.session_deadline = now + member.classic.session_timeout_ms / 1000
        return SyncResult(E.NONE, self.assignment_bytes(member, member.assigned),
                          req.protocol_type, req.protocol_name)

    def heartbeat(self, group: Group, generation_id: int, member_id: str, instance_id: Optional[str]) -> int:
        cg = group.consumer
        assert cg is not None
        error, member = self._classic_member(cg, member_id, instance_id)
        if member is None or member.classic is None:
            return error
        if generation_id != member.member_epoch:
            return E.ILLEGAL_GENERATION
        now = time.monotonic()
        member.session_deadline = now + member.classic.session_timeout_ms / 1000
        # Rejoin when: a newer group epoch; partitions to revoke; partitions it waits for are free.
        if member.member_epoch < cg.group_epoch or member.state is MemberState.UNREVOKED_PARTITIONS or \
                (member.state is MemberState.UNRELEASED_PARTITIONS and not self._waiting_on_unreleased(cg, member)):
            self._must_rejoin_by(member, now)
            return E.REBALANCE_IN_PROGRESS
        return E.NONE

    def leave(self, group: Group, members: list[tuple[str, Optional[str]]]) -> list[int]:
        """LeaveGroup of classic members of a consumer group: removed, one new group epoch."""
        cg = group.consumer
        assert cg is not None
        results: list[int] = []
        records: list[rec.Record] = []
        for member_id, instance_id in members:
            if instance_id is None:
                member = cg.members.get(member_id)
            else:
                static_id = cg.static_members.get(instance_id)
                member = cg.members.get(static_id) if static_id is not None else None
                if member is not None and member_id != "" and member.member_id != member_id:
                    results.append(E.FENCED_INSTANCE_ID)
                    continue
            if member is None or member.classic is None:
                results.append(E.UNKNOWN_MEMBER_ID)
                continue
            cg.remove(member.member_id)
            records += [(rec.key(t, group.group_id, member.member_id), None)
                        for t in (rec.CURRENT_MEMBER, rec.TARGET_MEMBER, rec.MEMBER_METADATA)]
            log.info("classic member %s leaves consumer group %s", member.member_id, group.group_id)
            results.append(E.NONE)
        if records:
            cg.group_epoch += 1
            records += self.consumer.group_records(group, False, True)
            self.consumer.write(group.group_id, records)
            self.consumer.sync_classic_state(group)
        return results

    def _must_rejoin_by(self, member: ConsumerMember, now: float) -> None:
        """Kafka's join timeout, armed when the member is told to rejoin (if not armed yet)."""
        if member.classic_deadline is None:
            member.classic_deadline = now + max(member.rebalance_timeout_ms, 0) / 1000

    @staticmethod
    def _waiting_on_unreleased(cg: ConsumerGroupState, member: ConsumerMember) -> bool:
        """A partition of its target it does not have yet is still owned by another member."""
        missing = flatten(cg.target.get(member.member_id, {})) - flatten(member.assigned)
        return any(missing & other.owns() for other in cg.members.values() if other is not member)

    def assignment_bytes(self, member: ConsumerMember, assignment: Assignment,
                         protocol: Optional[str] = None) -> bytes:
        """The ConsumerProtocolAssignment for a classic member, in its subscription's version."""
        assert member.classic is not None
        metadata = next((data for name, data in member.classic.protocols if name == protocol),
                        member.classic.protocols[0][1])
        try:
            version = decode_subscription(metadata).version
        except ValueError:
            version = 0
        return encode_assignment(by_name(assignment, self.logs), version)

    # =========================================================================================
    # Downgrade: the last consumer-protocol member leaves
    # =========================================================================================
    def downgrade_on_removal(self, group: Group, leaving: ConsumerMember) -> bool:
        """Kafka's validateOnlineDowngradeWithFencedMember + convertToClassicGroup: True when the
        group became a classic group without `leaving` (lock held; raises WRITE_ERRORS)."""
        cg = group.consumer
        assert cg is not None
        others = [m for m in cg.members.values() if m is not leaving]
        if leaving.classic is not None or not others or any(m.classic is None for m in others):
            return False
        return self._convert_to_classic(group, others, [], rebalance=True)

    def _convert_to_classic(self, group: Group, others: list[ConsumerMember], records: list[rec.Record],
                            rebalance: bool) -> bool:
        """Kafka's convertToClassicGroup: the consumer group becomes a Stable classic group of
        `others` (all classic members) when the policy and group.max.size allow; `records` are
        written first, in the same append. True when converted (lock held; raises WRITE_ERRORS)."""
        cg = group.consumer
        assert cg is not None
        why = None
        if not self.settings.allows_downgrade():
            why = "the online downgrade is disabled"
        elif len(others) > self.table.settings.max_group_size:
            why = "its group size is greater than classic group max size"
        if why is not None:
            log.info("Cannot downgrade consumer group %s to classic group because %s.", group.group_id, why)
            return False
        now = time.monotonic()
        classic = Group(group.group_id, self.table.now_ms())
        classic.protocol_type = PROTOCOL_TYPE
        classic.generation_id = cg.group_epoch
        for m in others:
            assert m.classic is not None
            classic.add(Member(m.member_id, m.instance_id, m.client_id, m.client_host, m.rebalance_timeout_ms,
                               m.classic.session_timeout_ms, PROTOCOL_TYPE, list(m.classic.protocols),
                               last_heartbeat=now))
        classic.protocol_name = classic.select_protocol()
        for m in others:
            classic.members[m.member_id].assignment = self.assignment_bytes(m, cg.target.get(m.member_id, {}),
                                                                             classic.protocol_name)
        classic.state = GroupState.STABLE
        self.table.log.append(group.group_id, records + self.consumer.tombstones(group)
                              + [self.table.log.group_record(classic)])
        self.table.log.persisted[group.group_id] = self.table.log.group_record(classic)[1] or b""
        group.take_classic_state(classic)
        log.info("consumer group %s converted to a classic group with %d members (generation %d)",
                 group.group_id, len(group.members), group.generation_id)
        self.on_downgraded(group, rebalance)
        return True


def _resolve(fut: Optional[asyncio.Future], value: object) -> None:
    if fut is not None and not fut.done():
        fut.set_result(value)
