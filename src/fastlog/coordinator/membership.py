"""Membership and rebalance: Kafka's classic group protocol as a state machine.

States Empty -> PreparingRebalance -> CompletingRebalance -> Stable, and Dead:

- JoinGroup parks the member's request until the rebalance completes: when every known member
  has rejoined, or when the rebalance timeout (largest of the members') expires. A new group
  first waits group.initial.rebalance.delay.ms (extended while members keep arriving).
- The leader's SyncGroup carries the assignment; it is written to the offsets log before the
  members get it, so a restart keeps the group Stable with the same generation.
- A member that neither heartbeats nor has a request parked for session.timeout.ms is removed,
  which starts a rebalance for the others. Each group has one timer, set to the moment its next
  session (or pending member id) runs out, as Kafka's per-member heartbeat timers: a member is
  gone exactly at its deadline, not on a later tick.

Every change of a group's state happens while holding that group's asyncio lock, in code that
does not await.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from typing import TYPE_CHECKING, Callable, Optional

from fastlog.coordinator.group_log import WRITE_ERRORS
from fastlog.coordinator.group_state import Group, GroupState, JoinRequest, JoinResult, Member, SyncRequest, SyncResult
from fastlog.coordinator.group_table import GroupTable
from fastlog.protocol.errors import ErrorCode

if TYPE_CHECKING:
    from fastlog.coordinator.consumer_migration import Migration

log = logging.getLogger("fastlog.groups")

E = ErrorCode
EMPTY, PREPARING, COMPLETING, STABLE, DEAD = (
    GroupState.EMPTY, GroupState.PREPARING_REBALANCE, GroupState.COMPLETING_REBALANCE,
    GroupState.STABLE, GroupState.DEAD)

# Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: a member that joined but never got its
# JoinGroup answer (client gone mid-rebalance) is dropped after this long.
NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000


def resolve(fut: Optional[asyncio.Future], value: object) -> None:
    if fut is not None and not fut.done():
        fut.set_result(value)


class Membership:
    def __init__(self, table: GroupTable, downgrade: Callable[[Group], bool] = lambda group: True,
                 migration: Optional["Migration"] = None) -> None:
        self.table = table
        # Turns an empty KIP-848 consumer group into a classic one when the policy allows
        # (consumer_groups.ConsumerGroups.downgrade); False: it stays a consumer group.
        self.downgrade = downgrade
        # Serves classic members inside a consumer group with members (online migration).
        self.migration = migration
        if migration is not None:
            migration.on_downgraded = self.after_downgrade
        self.settings = table.settings
        self.groups = table.groups
        self._timers: set[asyncio.TimerHandle] = set()

    def stop(self) -> None:
        """Cancel the timers; parked requests get Kafka's "go find the coordinator again"."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for group in self.groups.values():
            for member in group.members.values():
                resolve(member.join_future, JoinResult(E.NOT_COORDINATOR, member.member_id))
                resolve(member.sync_future, SyncResult(E.NOT_COORDINATOR))
                member.join_future = member.sync_future = None

    # =========================================================================================
    # JoinGroup
    # =========================================================================================
    async def join_group(self, req: JoinRequest) -> JoinResult:
        error = self.table.check(req.group_id)
        if error is not None:
            return JoinResult(error, req.member_id)
        if not self.settings.min_session_ms <= req.session_timeout_ms <= self.settings.max_session_ms:
            return JoinResult(E.INVALID_SESSION_TIMEOUT, req.member_id)
        if req.rebalance_timeout_ms < 0:  # v0 has no rebalance timeout: the session timeout serves
            req = dataclasses.replace(req, rebalance_timeout_ms=req.session_timeout_ms)
        unknown = req.member_id == ""
        group = self.groups.get(req.group_id)
        if group is None:
            if not unknown:
                return JoinResult(E.UNKNOWN_MEMBER_ID, req.member_id)
            group = self.table.new_group(req.group_id)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        async with group.lock:
            if group.consumer is not None and group.consumer.members and self.migration is not None:
                # A consumer group with members: the classic member joins it as such (Kafka's
                # classicGroupJoinToConsumerGroup), answered at once.
                try:
                    return self.migration.join(group, req)
                except WRITE_ERRORS:
                    log.exception("storing consumer group %s failed", group.group_id)
                    return JoinResult(E.COORDINATOR_NOT_AVAILABLE, req.member_id)
            if group.consumer is not None and not self._downgraded(group):
                # An empty consumer group the policy keeps: Kafka refuses a classic member.
                return JoinResult(E.INCONSISTENT_GROUP_PROTOCOL, req.member_id)
            if unknown and len(group.members) >= self.settings.max_group_size:
                resolve(fut, JoinResult(E.GROUP_MAX_SIZE_REACHED, ""))
            elif unknown:
                self._join_unknown(group, fut, req)
            else:
                self._join_known(group, fut, req)
            if group.is_(PREPARING):
                self._try_complete_join(group)
            self._arm_expiry(group)
        return await fut

    def _downgraded(self, group: Group) -> bool:
        try:
            return self.downgrade(group)
        except WRITE_ERRORS:
            log.exception("converting group %s to a classic group failed", group.group_id)
            return False

    def _join_unknown(self, group: Group, fut: asyncio.Future, req: JoinRequest) -> None:
        if group.is_(DEAD):
            return resolve(fut, JoinResult(E.COORDINATOR_NOT_AVAILABLE, ""))
        if not group.supports_protocols(req.protocol_type, req.protocols):
            return resolve(fut, JoinResult(E.INCONSISTENT_GROUP_PROTOCOL, ""))
        instance_id = req.group_instance_id
        new_id = f"{instance_id if instance_id is not None else req.client_id}-{uuid.uuid4()}"
        if instance_id is not None and instance_id in group.static_members:
            self._replace_static_member(group, fut, req, instance_id, new_id)
        elif req.api_version >= 4 and instance_id is None:
            # v4+: a dynamic member must come back with the id we hand out (KIP-394).
            group.pending_members[new_id] = time.monotonic() + req.session_timeout_ms / 1000
            resolve(fut, JoinResult(E.MEMBER_ID_REQUIRED, new_id))
        else:
            self._add_member_and_rebalance(group, fut, req, new_id)

    def _join_known(self, group: Group, fut: asyncio.Future, req: JoinRequest) -> None:
        member_id, instance_id, protocols = req.member_id, req.group_instance_id, req.protocols
        if group.is_(DEAD):
            return resolve(fut, JoinResult(E.COORDINATOR_NOT_AVAILABLE, member_id))
        if not group.supports_protocols(req.protocol_type, protocols):
            return resolve(fut, JoinResult(E.INCONSISTENT_GROUP_PROTOCOL, member_id))
        if member_id in group.pending_members:
            if instance_id is not None:  # pending ids are only handed to dynamic members
                return resolve(fut, JoinResult(E.UNKNOWN_MEMBER_ID, member_id))
            return self._add_member_and_rebalance(group, fut, req, member_id)
        if group.is_static_member_fenced(member_id, instance_id):
            return resolve(fut, JoinResult(E.FENCED_INSTANCE_ID, member_id))
        member = group.members.get(member_id)
        if member is None or (instance_id is not None and instance_id not in group.static_members):
            return resolve(fut, JoinResult(E.UNKNOWN_MEMBER_ID, member_id))
        if group.state in (EMPTY, DEAD):
            return resolve(fut, JoinResult(E.UNKNOWN_MEMBER_ID, member_id))
        if group.is_(PREPARING):
            return self._update_member_and_rebalance(group, member, fut, req)
        if group.is_(COMPLETING) and member.matches(protocols):
            # The member lost our JoinGroup answer: send the same generation again.
            return resolve(fut, self._join_answer(group, member))
        if group.is_(STABLE) and member.matches(protocols) and group.leader_id != member_id:
            # A follower rejoining with unchanged metadata just gets the current generation.
            return resolve(fut, self._join_answer(group, member, with_members=False))
        # Changed metadata, or the leader asking for a rebalance (e.g. topic metadata changed).
        self._update_member_and_rebalance(group, member, fut, req)

    def _join_answer(self, group: Group, member: Member, with_members: bool = True) -> JoinResult:
        leader = group.leader_id == member.member_id
        return JoinResult(E.NONE, member.member_id, group.generation_id, group.protocol_type,
                          group.protocol_name, group.leader_id or "",
                          members=group.member_list() if leader and with_members else [])

    def _replace_static_member(self, group: Group, fut: asyncio.Future, req: JoinRequest, instance_id: str,
                               new_id: str) -> None:
        """A static member restarted (new member id, same group.instance.id): it takes over the old
        member's place and assignment; the old id is fenced."""
        old_id = group.static_members[instance_id]
        log.info("static member %s of group %s rejoined: %s replaces %s", instance_id, group.group_id, new_id, old_id)
        old = group.members.pop(old_id)
        resolve(old.join_future, JoinResult(E.FENCED_INSTANCE_ID, old_id))
        resolve(old.sync_future, SyncResult(E.FENCED_INSTANCE_ID))
        old_protocols = old.protocols
        was_leader = group.leader_id == old_id
        old.member_id, old.client_id, old.client_host = new_id, req.client_id, req.client_host
        old.session_timeout_ms, old.rebalance_timeout_ms = req.session_timeout_ms, req.rebalance_timeout_ms
        old.join_future = old.sync_future = None
        old.last_heartbeat = time.monotonic()
        group.members[new_id] = old
        group.static_members[instance_id] = new_id
        if was_leader:
            group.leader_id = new_id
        if old_id in group.pending_sync:
            group.pending_sync.discard(old_id)
            group.pending_sync.add(new_id)
        member = old
        member.protocols = req.protocols
        if group.is_(STABLE):
            if group.select_protocol() == group.protocol_name:
                # Same protocol: no rebalance (KIP-345). Persist the new member id first.
                try:
                    self.table.log.write_group(group)
                except WRITE_ERRORS:
                    log.exception("storing group %s failed; reverting the static member", group.group_id)
                    del group.members[new_id]
                    old.member_id, old.protocols = old_id, old_protocols
                    group.members[old_id] = old
                    group.static_members[instance_id] = old_id
                    if was_leader:
                        group.leader_id = old_id
                    return resolve(fut, JoinResult(E.UNKNOWN_SERVER_ERROR, ""))
                # The leader gets the member list with skip_assignment (v9, KIP-814); older
                # versions get the old leader id so the new one does not reassign by itself.
                return resolve(fut, JoinResult(
                    E.NONE, new_id, group.generation_id, group.protocol_type, group.protocol_name,
                    new_id if was_leader else (group.leader_id or ""), skip_assignment=was_leader,
                    members=group.member_list() if was_leader else [],
                    ))
            member.join_future = fut
            return self._maybe_prepare_rebalance(group, f"static member {instance_id} changed protocols")
        member.join_future = fut
        if group.is_(COMPLETING):
            self._maybe_prepare_rebalance(group, f"static member {instance_id} rejoined during sync")
        # PreparingRebalance: it simply waits for the join to complete.

    def _add_member_and_rebalance(self, group: Group, fut: asyncio.Future, req: JoinRequest, member_id: str) -> None:
        member = Member(member_id, req.group_instance_id, req.client_id, req.client_host, req.rebalance_timeout_ms,
                        req.session_timeout_ms, req.protocol_type, req.protocols, is_new=True,
                        last_heartbeat=time.monotonic())
        member.join_future = fut
        if group.is_(PREPARING) and group.generation_id == 0:
            group.new_member_added = True  # lets the initial delay extend itself
        group.add(member)
        self._maybe_prepare_rebalance(group, f"adding member {member_id}")

    def _update_member_and_rebalance(self, group: Group, member: Member, fut: asyncio.Future,
                                     req: JoinRequest) -> None:
        # A retried JoinGroup replaces the earlier parked one; answer that one so nothing hangs.
        resolve(member.join_future, JoinResult(E.REBALANCE_IN_PROGRESS, member.member_id))
        member.protocols = req.protocols
        member.session_timeout_ms, member.rebalance_timeout_ms = req.session_timeout_ms, req.rebalance_timeout_ms
        member.join_future = fut
        self._maybe_prepare_rebalance(group, f"member {member.member_id} rejoined")

    # =========================================================================================
    # Rebalance mechanics
    # =========================================================================================
    def after_downgrade(self, group: Group, rebalance: bool) -> None:
        """A consumer group just became a Stable classic group (consumer_migration.py): its
        members' sessions are timed; after a member left, they rejoin (Kafka's
        convertToClassicGroup prepares a rebalance unless a static member replacement did it). Lock held."""
        if rebalance:
            self._maybe_prepare_rebalance(group, f"Downgrade group {group.group_id} from consumer to classic.")
        self._arm_expiry(group)

    def _maybe_prepare_rebalance(self, group: Group, reason: str) -> None:
        if group.can_rebalance():
            self._prepare_rebalance(group, reason)

    def _prepare_rebalance(self, group: Group, reason: str) -> None:
        if group.is_(COMPLETING):
            # Members waiting for their assignment must rejoin instead.
            for member in group.members.values():
                member.assignment = b""
            self._propagate_assignment(group, E.REBALANCE_IN_PROGRESS)
        now = time.monotonic()
        if group.is_(EMPTY):
            delay = self.settings.initial_delay_ms
            group.initial_delay_remaining_ms = max(group.rebalance_timeout_ms() - delay, 0)
            group.in_initial_delay = True
        else:
            delay = group.rebalance_timeout_ms()
            group.in_initial_delay = False
        group.new_member_added = False
        group.pending_sync.clear()
        group.sync_deadline = None
        group.join_deadline = now + delay / 1000
        group.transition(PREPARING, self.table.now_ms())
        self._schedule(group, group.join_deadline)
        log.info("group %s preparing to rebalance (generation %d): %s", group.group_id, group.generation_id, reason)
        # Already complete when everyone left is parked in JoinGroup (or nobody is left).
        self._try_complete_join(group)

    def _try_complete_join(self, group: Group) -> None:
        if group.is_(PREPARING) and not group.in_initial_delay and group.has_all_members_joined():
            self._complete_join(group)

    def _on_join_deadline(self, group: Group) -> None:
        if group.in_initial_delay and group.new_member_added and group.initial_delay_remaining_ms > 0:
            # Members are still arriving: wait another delay, within the rebalance timeout.
            delay = min(self.settings.initial_delay_ms, group.initial_delay_remaining_ms)
            group.initial_delay_remaining_ms = max(group.initial_delay_remaining_ms - delay, 0)
            group.new_member_added = False
            group.join_deadline = time.monotonic() + delay / 1000
            self._schedule(group, group.join_deadline)
            return
        group.in_initial_delay = False
        self._complete_join(group)

    def _complete_join(self, group: Group) -> None:
        group.join_deadline = None
        group.in_initial_delay = False
        # Dynamic members that did not rejoin in time are dropped; static ones keep their place
        # (their session timeout decides) and get an assignment from the leader.
        for member in [m for m in group.members.values() if not m.awaiting_join and m.group_instance_id is None]:
            # Quietly: the group must not react (complete the join again) while we complete it.
            self._remove_member(group, member, react=False)
        if group.is_(DEAD):
            return
        if group.members and not self._elect_joined_leader(group):
            # Nobody rejoined (only static members left): wait for them or their session expiry.
            group.join_deadline = time.monotonic() + group.rebalance_timeout_ms() / 1000
            self._schedule(group, group.join_deadline)
            return
        now_ms = self.table.now_ms()
        group.generation_id += 1
        if not group.members:
            group.protocol_name = None
            group.transition(EMPTY, now_ms)
            log.info("group %s is empty at generation %d", group.group_id, group.generation_id)
            try:
                self.table.log.write_group(group)
            except WRITE_ERRORS:  # an empty generation lost on a crash is harmless (Kafka: warn)
                log.exception("writing empty group %s failed", group.group_id)
            return
        group.protocol_name = group.select_protocol()
        group.transition(COMPLETING, now_ms)
        now = time.monotonic()
        for member in group.members.values():
            if member.join_future is not None:
                resolve(member.join_future, self._join_answer(group, member))
                member.join_future = None
                member.is_new = False
                member.last_heartbeat = now
        # Everyone must SyncGroup within the rebalance timeout or be removed (Kafka 3.x).
        group.pending_sync = set(group.members)
        group.sync_deadline = now + group.rebalance_timeout_ms() / 1000
        self._schedule(group, group.sync_deadline)
        log.info("group %s generation %d: %d members, protocol %s, leader %s", group.group_id,
                 group.generation_id, len(group.members), group.protocol_name, group.leader_id)

    def _elect_joined_leader(self, group: Group) -> bool:
        leader = group.members.get(group.leader_id or "")
        if leader is not None and leader.awaiting_join:
            return True
        for member in group.members.values():
            if member.awaiting_join:
                group.leader_id = member.member_id
                return True
        return False

    def _propagate_assignment(self, group: Group, error: int) -> None:
        now = time.monotonic()
        for member in group.members.values():
            if member.sync_future is not None:
                resolve(member.sync_future, SyncResult(error, member.assignment if error == E.NONE else b"",
                                                        group.protocol_type, group.protocol_name))
                member.sync_future = None
                member.last_heartbeat = now

    def _remove_member(self, group: Group, member: Member, react: bool = True) -> None:
        """Take a member out (left, expired, fenced) and let the group react."""
        resolve(member.join_future, JoinResult(E.UNKNOWN_MEMBER_ID, ""))
        resolve(member.sync_future, SyncResult(E.UNKNOWN_MEMBER_ID))
        member.join_future = member.sync_future = None
        group.remove(member.member_id)
        if not react:
            return
        if group.state in (STABLE, COMPLETING):
            self._maybe_prepare_rebalance(group, f"member {member.member_id} removed")
        elif group.is_(PREPARING):
            self._try_complete_join(group)

    @staticmethod
    def _member_deadline(member: Member) -> Optional[float]:
        """When the member expires (monotonic seconds); None while it has a request parked."""
        if member.is_new:
            return member.last_heartbeat + NEW_MEMBER_JOIN_TIMEOUT_MS / 1000
        if member.awaiting_join or member.awaiting_sync:
            return None  # a parked request counts as a sign of life
        return member.last_heartbeat + member.session_timeout_ms / 1000

    def expire_due(self, group: Group) -> None:
        """Expire whatever is due in this group. Called with the group's lock held."""
        now = time.monotonic()
        for pending_id, deadline in list(group.pending_members.items()):
            if deadline <= now:
                del group.pending_members[pending_id]
                self._try_complete_join(group)
        for member in list(group.members.values()):
            if member.member_id not in group.members:
                continue
            session_end = self._member_deadline(member)
            if session_end is not None and session_end <= now:
                log.info("member %s of group %s expired (session timeout)", member.member_id, group.group_id)
                self._remove_member(group, member)
        if group.is_(PREPARING) and group.join_deadline is not None and group.join_deadline <= now:
            self._on_join_deadline(group)
        if group.sync_deadline is not None and group.sync_deadline <= now:
            group.sync_deadline = None
            if group.state in (COMPLETING, STABLE) and group.pending_sync:
                missing = [group.members[m] for m in group.pending_sync if m in group.members]
                group.pending_sync.clear()
                log.info("group %s: %d members never sent SyncGroup; removing them", group.group_id, len(missing))
                for member in missing:
                    self._remove_member(group, member)
        self._arm_expiry(group)

    def _arm_expiry(self, group: Group) -> None:
        """Set the group's expiry timer to its earliest session or pending-id deadline, unless it
        is already set that early. Called with the lock held after anything that may bring a
        deadline forward (a member or pending id added, a parked request answered); a heartbeat
        only moves one later, so the timer then fires early, finds nothing due and re-arms."""
        deadlines = [*group.pending_members.values()]
        deadlines += [d for d in map(self._member_deadline, group.members.values()) if d is not None]
        if not deadlines or not self.table.active:
            return
        due = min(deadlines)
        if group.expiry_timer is not None and group.expiry_due is not None and group.expiry_due <= due:
            return
        if group.expiry_timer is not None:
            group.expiry_timer.cancel()
            self._timers.discard(group.expiry_timer)

        def fire() -> None:
            self._timers.discard(handle)
            if group.expiry_timer is handle:
                group.expiry_timer = group.expiry_due = None
            if self.table.active:
                asyncio.ensure_future(self._run_deadlines(group))

        handle = asyncio.get_running_loop().call_later(max(due - time.monotonic(), 0), fire)
        group.expiry_timer, group.expiry_due = handle, due
        self._timers.add(handle)

    def arm_all(self) -> None:
        """Start the expiry timers of the groups loaded from the offsets log."""
        for group in self.groups.values():
            self._arm_expiry(group)

    def _schedule(self, group: Group, deadline: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(handle)
            if self.table.active:
                asyncio.ensure_future(self._run_deadlines(group))

        handle = loop.call_later(max(deadline - time.monotonic(), 0), fire)
        self._timers.add(handle)

    async def _run_deadlines(self, group: Group) -> None:
        try:
            async with group.lock:
                if self.groups.get(group.group_id) is group:
                    self.expire_due(group)
        except Exception:  # a timer has no caller to tell: log it; the next request or timer re-arms
            log.exception("group %s: deadline handling failed", group.group_id)

    # =========================================================================================
    # SyncGroup
    # =========================================================================================
    async def sync_group(self, req: SyncRequest) -> SyncResult:
        error = self.table.check(req.group_id)
        if error == E.COORDINATOR_LOAD_IN_PROGRESS:
            return SyncResult(E.REBALANCE_IN_PROGRESS)  # the rebalance state was lost: rejoin
        if error is not None:
            return SyncResult(error)
        group = self.groups.get(req.group_id)
        if group is None:
            return SyncResult(E.UNKNOWN_MEMBER_ID)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        async with group.lock:
            if group.consumer is not None and self.migration is not None:
                return self.migration.sync(group, req)
            result = self._sync(group, fut, req)
            self._arm_expiry(group)
            if result is not None:
                return result
        return await fut

    def _sync(self, group: Group, fut: asyncio.Future, req: SyncRequest) -> Optional[SyncResult]:
        member_id, protocol_type, protocol_name = req.member_id, req.protocol_type, req.protocol_name
        if group.is_(DEAD):
            return SyncResult(E.COORDINATOR_NOT_AVAILABLE)
        if group.is_static_member_fenced(member_id, req.group_instance_id):
            return SyncResult(E.FENCED_INSTANCE_ID)
        member = group.members.get(member_id)
        if member is None:
            return SyncResult(E.UNKNOWN_MEMBER_ID)
        if req.generation_id != group.generation_id:
            return SyncResult(E.ILLEGAL_GENERATION)
        if (protocol_type is not None and protocol_type != group.protocol_type) or \
                (protocol_name is not None and protocol_name != group.protocol_name):
            return SyncResult(E.INCONSISTENT_GROUP_PROTOCOL)
        if group.is_(EMPTY):
            return SyncResult(E.UNKNOWN_MEMBER_ID)
        if group.is_(PREPARING):
            return SyncResult(E.REBALANCE_IN_PROGRESS)
        group.pending_sync.discard(member_id)
        if not group.pending_sync:
            group.sync_deadline = None
        member.last_heartbeat = time.monotonic()
        if group.is_(STABLE):
            return SyncResult(E.NONE, member.assignment, group.protocol_type, group.protocol_name)
        # CompletingRebalance: park until the leader's assignment is stored.
        resolve(member.sync_future, SyncResult(E.REBALANCE_IN_PROGRESS))
        member.sync_future = fut
        if group.leader_id == member_id:
            full = {mid: bytes(req.assignments.get(mid) or b"") for mid in group.members}
            previous = {mid: m.assignment for mid, m in group.members.items()}
            for mid, m in group.members.items():
                m.assignment = full[mid]
            try:
                self.table.log.write_group(group)
            except WRITE_ERRORS:
                log.exception("storing the assignment of group %s failed", group.group_id)
                for mid, m in group.members.items():
                    m.assignment = previous[mid]
                self._propagate_assignment(group, E.COORDINATOR_NOT_AVAILABLE)
                self._maybe_prepare_rebalance(group, "storing the assignment failed")
                return None
            self._propagate_assignment(group, E.NONE)
            group.transition(STABLE, self.table.now_ms())
            log.info("group %s stable at generation %d", group.group_id, group.generation_id)
        return None

    # =========================================================================================
    # Heartbeat and LeaveGroup
    # =========================================================================================
    async def heartbeat(self, group_id: str, generation_id: int, member_id: str,
                        group_instance_id: Optional[str]) -> int:
        error = self.table.check(group_id)
        if error == E.COORDINATOR_LOAD_IN_PROGRESS:
            return E.NONE  # Kafka answers blindly while loading
        if error is not None:
            return error
        group = self.groups.get(group_id)
        if group is None:
            return E.UNKNOWN_MEMBER_ID
        async with group.lock:
            if group.is_(DEAD):
                return E.COORDINATOR_NOT_AVAILABLE
            if group.consumer is not None and self.migration is not None:
                return self.migration.heartbeat(group, generation_id, member_id, group_instance_id)
            if group.is_static_member_fenced(member_id, group_instance_id):
                return E.FENCED_INSTANCE_ID
            member = group.members.get(member_id)
            if member is None:
                return E.UNKNOWN_MEMBER_ID
            if generation_id != group.generation_id:
                return E.ILLEGAL_GENERATION
            if group.is_(EMPTY):
                return E.UNKNOWN_MEMBER_ID
            member.last_heartbeat = time.monotonic()
            if group.is_(PREPARING):
                return E.REBALANCE_IN_PROGRESS
            return E.NONE

    async def leave_group(self, group_id: str, members: list[tuple[str, Optional[str]]]
                          ) -> tuple[int, list[int]]:
        """(top-level error, one error per leaving member identity)."""
        error = self.table.check(group_id)
        if error is not None:
            return error, []
        group = self.groups.get(group_id)
        if group is None:
            return E.NONE, [E.UNKNOWN_MEMBER_ID] * len(members)
        results: list[int] = []
        async with group.lock:
            if group.is_(DEAD):
                return E.COORDINATOR_NOT_AVAILABLE, []
            if group.consumer is not None and self.migration is not None:
                try:
                    return E.NONE, self.migration.leave(group, members)
                except WRITE_ERRORS:
                    log.exception("storing consumer group %s failed", group.group_id)
                    return E.COORDINATOR_NOT_AVAILABLE, []
            for member_id, instance_id in members:
                if member_id != "" and group.is_static_member_fenced(member_id, instance_id):
                    results.append(E.FENCED_INSTANCE_ID)
                elif member_id in group.pending_members:
                    del group.pending_members[member_id]
                    self._try_complete_join(group)
                    results.append(E.NONE)
                else:
                    target = None
                    if instance_id is not None and instance_id in group.static_members:
                        target = group.members.get(group.static_members[instance_id])
                    elif member_id in group.members:
                        target = group.members[member_id]
                    if target is None:
                        results.append(E.UNKNOWN_MEMBER_ID)
                    else:
                        log.info("member %s leaves group %s", target.member_id, group_id)
                        self._remove_member(group, target)
                        results.append(E.NONE)
            self._arm_expiry(group)
        return E.NONE, results

