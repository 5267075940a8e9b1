"""The group coordinator: Kafka's classic consumer-group protocol and committed offsets.

fastlog is a single node, so it coordinates every group. The rules follow Apache Kafka's classic
GroupCoordinator (states Empty -> PreparingRebalance -> CompletingRebalance -> Stable, Dead):

- JoinGroup parks the member's request until the rebalance completes: when every known member
  has rejoined, or when the rebalance timeout (largest of the members') expires. A new group
  first waits group.initial.rebalance.delay.ms (extended while members keep arriving).
- The leader's SyncGroup carries the assignment; it is written to the offsets log before the
  members get it, so a restart keeps the group Stable with the same generation.
- A member that neither heartbeats nor has a request parked for session.timeout.ms is removed,
  which starts a rebalance for the others.
- Offsets are written to `__consumer_offsets` before a commit is acknowledged (offsets_log.py).

Every change of a group's state happens while holding that group's asyncio lock, in code that
does not await: handlers only call the public coroutines below and translate the results.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Callable, Iterable, Optional

from fastlog.coordinator.group_state import (
    CommittedOffset, Group, GroupState, JoinResult, Member, SyncResult,
)
from fastlog.coordinator.offsets_log import (
    OffsetsLog, StoredGroup, StoredMember, decode_group_value, decode_key, decode_offset_value,
    group_key, group_value, offset_key, offset_value,
)
from fastlog.config import Config
from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.groups")

E = ErrorCode
EMPTY, PREPARING, COMPLETING, STABLE, DEAD = (
    GroupState.EMPTY, GroupState.PREPARING_REBALANCE, GroupState.COMPLETING_REBALANCE,
    GroupState.STABLE, GroupState.DEAD)

# Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: a member that joined but never got its
# JoinGroup answer (client gone mid-rebalance) is dropped after this long.
NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000
# How often session timeouts and pending member ids are checked.
TICK_SECONDS = 0.1


def _now_ms() -> int:
    return int(time.time() * 1000)


def _resolve(fut: Optional[asyncio.Future], value: object) -> None:
    if fut is not None and not fut.done():
        fut.set_result(value)


class GroupCoordinator:
    def __init__(self, logs: LogManager, config: Config, compact_min_records: int = 10000) -> None:
        self.logs = logs
        cfg = config  # keys and defaults: fastlog.config.BROKER_KEYS
        self.initial_delay_ms = cfg.get_int("group.initial.rebalance.delay.ms")
        self.min_session_ms = cfg.get_int("group.min.session.timeout.ms")
        self.max_session_ms = cfg.get_int("group.max.session.timeout.ms")
        self.max_group_size = cfg.get_int("group.max.size")
        self.retention_ms = cfg.get_int("offsets.retention.minutes") * 60_000
        self.retention_check_ms = cfg.get_int("offsets.retention.check.interval.ms")
        self.metadata_max_bytes = cfg.get_int("offset.metadata.max.bytes")
        self.store = OffsetsLog(
            logs,
            num_partitions=cfg.get_int("offsets.topic.num.partitions"),
            segment_bytes=cfg.get_int("offsets.topic.segment.bytes"),
            compact_min_records=compact_min_records)
        self.groups: dict[str, Group] = {}
        # Last group metadata value written per group: what a log rewrite must carry forward.
        self.persisted: dict[str, bytes] = {}
        self.active = False
        self.loading = False
        self._tasks: list[asyncio.Task] = []
        self._timers: set[asyncio.TimerHandle] = set()

    # =========================================================================================
    # Lifecycle
    # =========================================================================================
    async def start(self) -> None:
        """Rebuild groups and offsets from the internal log, then start the timers."""
        self.loading = True
        try:
            self._load()
        finally:
            self.loading = False
        self.active = True
        self._tasks.append(asyncio.create_task(self._ticker(), name="groups-ticker"))
        self._tasks.append(asyncio.create_task(self._cleaner(), name="groups-cleaner"))

    async def stop(self) -> None:
        self.active = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        # Parked requests get Kafka's "go find the coordinator again" answer.
        for group in self.groups.values():
            for member in group.members.values():
                _resolve(member.join_future, JoinResult(E.NOT_COORDINATOR, member.member_id))
                _resolve(member.sync_future, SyncResult(E.NOT_COORDINATOR))
                member.join_future = member.sync_future = None

    def _load(self) -> None:
        stored: dict[str, Optional[StoredGroup]] = {}
        offsets: dict[str, dict[tuple[str, int], CommittedOffset]] = {}
        raw: dict[str, bytes] = {}
        bad = 0
        for _partition, key, value in self.store.replay():
            try:
                k = decode_key(key)
                if k[0] == "offset":
                    _, gid, topic, part = k  # type: ignore[misc]
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
            except (ValueError, UnicodeDecodeError) as e:
                bad += 1
                log.warning("skipping an unreadable record in the offsets log: %s", e)
        now_ms, now = _now_ms(), time.monotonic()
        for gid in set(stored) | set(offsets):
            meta = stored.get(gid)
            group_offsets = offsets.get(gid, {})
            if meta is None and not group_offsets:
                continue
            group = Group(gid, now_ms)
            group.offsets = group_offsets
            if meta is not None:
                group.protocol_type = meta.protocol_type or None
                group.generation_id = meta.generation_id
                group.protocol_name = meta.protocol_name
                group.state_timestamp = meta.state_timestamp
                for sm in meta.members:
                    member = Member(sm.member_id, sm.group_instance_id, sm.client_id, sm.client_host,
                                    sm.rebalance_timeout_ms, sm.session_timeout_ms, meta.protocol_type,
                                    [(meta.protocol_name or "", sm.subscription)], sm.assignment)
                    member.last_heartbeat = now  # members get a full session from the restart
                    group.add(member)
                group.leader_id = meta.leader_id if meta.leader_id in group.members else group.leader_id
                # Only Stable and Empty groups are ever written (at SyncGroup / when emptied).
                group.state = STABLE if group.members else EMPTY
                self.persisted[gid] = raw[gid]
            self.groups[gid] = group
        log.info("loaded %d groups from %s (%d unreadable records)", len(self.groups), self.store.topic and
                 self.store.topic.name, bad)

    # =========================================================================================
    # Validation shared by the APIs
    # =========================================================================================
    def _check(self, group_id: Optional[str], allow_empty_id: bool = False) -> Optional[int]:
        if group_id is None or (group_id == "" and not allow_empty_id):
            return E.INVALID_GROUP_ID
        if not self.active:
            return E.COORDINATOR_NOT_AVAILABLE
        if self.loading:
            return E.COORDINATOR_LOAD_IN_PROGRESS
        return None

    def _new_group(self, group_id: str) -> Group:
        group = Group(group_id, _now_ms())
        self.groups[group_id] = group
        return group

    # =========================================================================================
    # JoinGroup
    # =========================================================================================
    async def join_group(self, group_id: str, member_id: str, group_instance_id: Optional[str],
                         client_id: str, client_host: str, session_timeout_ms: int,
                         rebalance_timeout_ms: int, protocol_type: str,
                         protocols: list[tuple[str, bytes]], api_version: int) -> JoinResult:
        error = self._check(group_id)
        if error is not None:
            return JoinResult(error, member_id)
        if not self.min_session_ms <= session_timeout_ms <= self.max_session_ms:
            return JoinResult(E.INVALID_SESSION_TIMEOUT, member_id)
        if rebalance_timeout_ms < 0:  # v0 has no rebalance timeout: the session timeout serves
            rebalance_timeout_ms = session_timeout_ms
        unknown = member_id == ""
        group = self.groups.get(group_id)
        if group is None:
            if not unknown:
                return JoinResult(E.UNKNOWN_MEMBER_ID, member_id)
            group = self._new_group(group_id)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        args = (group_instance_id, client_id, client_host, session_timeout_ms, rebalance_timeout_ms,
                protocol_type, protocols)
        async with group.lock:
            if unknown and len(group.members) >= self.max_group_size:
                _resolve(fut, JoinResult(E.GROUP_MAX_SIZE_REACHED, ""))
            elif unknown:
                # v4+: a dynamic member must come back with the id we hand out (KIP-394).
                require_known = api_version >= 4 and group_instance_id is None
                self._join_unknown(group, fut, require_known, *args)
            else:
                self._join_known(group, fut, member_id, *args)
            if group.is_(PREPARING):
                self._try_complete_join(group)
        return await fut

    def _join_unknown(self, group: Group, fut: asyncio.Future, require_known: bool,
                      instance_id: Optional[str], client_id: str, client_host: str, session_ms: int,
                      rebalance_ms: int, protocol_type: str, protocols: list[tuple[str, bytes]]) -> None:
        if group.is_(DEAD):
            return _resolve(fut, JoinResult(E.COORDINATOR_NOT_AVAILABLE, ""))
        if not group.supports_protocols(protocol_type, protocols):
            return _resolve(fut, JoinResult(E.INCONSISTENT_GROUP_PROTOCOL, ""))
        new_id = f"{instance_id if instance_id is not None else client_id}-{uuid.uuid4()}"
        if instance_id is not None and instance_id in group.static_members:
            self._replace_static_member(group, fut, instance_id, new_id, client_id, client_host,
                                        session_ms, rebalance_ms, protocols)
        elif require_known:
            group.pending_members[new_id] = time.monotonic() + session_ms / 1000
            _resolve(fut, JoinResult(E.MEMBER_ID_REQUIRED, new_id))
        else:
            self._add_member_and_rebalance(group, fut, new_id, instance_id, client_id, client_host,
                                           session_ms, rebalance_ms, protocol_type, protocols)

    def _join_known(self, group: Group, fut: asyncio.Future, member_id: str, instance_id: Optional[str],
                    client_id: str, client_host: str, session_ms: int, rebalance_ms: int,
                    protocol_type: str, protocols: list[tuple[str, bytes]]) -> None:
        if group.is_(DEAD):
            return _resolve(fut, JoinResult(E.COORDINATOR_NOT_AVAILABLE, member_id))
        if not group.supports_protocols(protocol_type, protocols):
            return _resolve(fut, JoinResult(E.INCONSISTENT_GROUP_PROTOCOL, member_id))
        if member_id in group.pending_members:
            if instance_id is not None:  # pending ids are only handed to dynamic members
                return _resolve(fut, JoinResult(E.UNKNOWN_MEMBER_ID, member_id))
            return self._add_member_and_rebalance(group, fut, member_id, None, client_id, client_host,
                                                  session_ms, rebalance_ms, protocol_type, protocols)
        if group.is_static_member_fenced(member_id, instance_id):
            return _resolve(fut, JoinResult(E.FENCED_INSTANCE_ID, member_id))
        member = group.members.get(member_id)
        if member is None or (instance_id is not None and instance_id not in group.static_members):
            return _resolve(fut, JoinResult(E.UNKNOWN_MEMBER_ID, member_id))
        if group.state in (EMPTY, DEAD):
            return _resolve(fut, JoinResult(E.UNKNOWN_MEMBER_ID, member_id))
        if group.is_(PREPARING):
            return self._update_member_and_rebalance(group, member, fut, session_ms, rebalance_ms, protocols)
        if group.is_(COMPLETING) and member.matches(protocols):
            # The member lost our JoinGroup answer: send the same generation again.
            return _resolve(fut, self._join_answer(group, member))
        if group.is_(STABLE) and member.matches(protocols) and group.leader_id != member_id:
            # A follower rejoining with unchanged metadata just gets the current generation.
            return _resolve(fut, self._join_answer(group, member, with_members=False))
        # Changed metadata, or the leader asking for a rebalance (e.g. topic metadata changed).
        self._update_member_and_rebalance(group, member, fut, session_ms, rebalance_ms, protocols)

    def _join_answer(self, group: Group, member: Member, with_members: bool = True) -> JoinResult:
        leader = group.leader_id == member.member_id
        return JoinResult(E.NONE, member.member_id, group.generation_id, group.protocol_type,
                          group.protocol_name, group.leader_id or "",
                          members=group.member_list() if leader and with_members else [])

    def _replace_static_member(self, group: Group, fut: asyncio.Future, instance_id: str, new_id: str,
                               client_id: str, client_host: str, session_ms: int, rebalance_ms: int,
                               protocols: list[tuple[str, bytes]]) -> None:
        """A static member restarted (new member id, same group.instance.id): it takes over the old
        member's place and assignment; the old id is fenced."""
        old_id = group.static_members[instance_id]
        log.info("static member %s of group %s rejoined: %s replaces %s", instance_id, group.group_id, new_id, old_id)
        old = group.members.pop(old_id)
        _resolve(old.join_future, JoinResult(E.FENCED_INSTANCE_ID, old_id))
        _resolve(old.sync_future, SyncResult(E.FENCED_INSTANCE_ID))
        old_protocols = old.protocols
        was_leader = group.leader_id == old_id
        old.member_id, old.client_id, old.client_host = new_id, client_id, client_host
        old.session_timeout_ms, old.rebalance_timeout_ms = session_ms, rebalance_ms
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
        member.protocols = protocols
        if group.is_(STABLE):
            if group.select_protocol() == group.protocol_name:
                # Same protocol: no rebalance (KIP-345). Persist the new member id first.
                try:
                    self._store_group(group)
                except Exception:
                    log.exception("storing group %s failed; reverting the static member", group.group_id)
                    del group.members[new_id]
                    old.member_id, old.protocols = old_id, old_protocols
                    group.members[old_id] = old
                    group.static_members[instance_id] = old_id
                    if was_leader:
                        group.leader_id = old_id
                    return _resolve(fut, JoinResult(E.UNKNOWN_SERVER_ERROR, ""))
                # The leader gets the member list with skip_assignment (v9, KIP-814); older
                # versions get the old leader id so the new one does not reassign by itself.
                return _resolve(fut, JoinResult(
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

    def _add_member_and_rebalance(self, group: Group, fut: asyncio.Future, member_id: str,
                                  instance_id: Optional[str], client_id: str, client_host: str,
                                  session_ms: int, rebalance_ms: int, protocol_type: str,
                                  protocols: list[tuple[str, bytes]]) -> None:
        member = Member(member_id, instance_id, client_id, client_host, rebalance_ms, session_ms,
                        protocol_type, protocols, is_new=True, last_heartbeat=time.monotonic())
        member.join_future = fut
        if group.is_(PREPARING) and group.generation_id == 0:
            group.new_member_added = True  # lets the initial delay extend itself
        group.add(member)
        self._maybe_prepare_rebalance(group, f"adding member {member_id}")

    def _update_member_and_rebalance(self, group: Group, member: Member, fut: asyncio.Future,
                                     session_ms: int, rebalance_ms: int,
                                     protocols: list[tuple[str, bytes]]) -> None:
        # A retried JoinGroup replaces the earlier parked one; answer that one so nothing hangs.
        _resolve(member.join_future, JoinResult(E.REBALANCE_IN_PROGRESS, member.member_id))
        member.protocols = protocols
        member.session_timeout_ms, member.rebalance_timeout_ms = session_ms, rebalance_ms
        member.join_future = fut
        self._maybe_prepare_rebalance(group, f"member {member.member_id} rejoined")

    # =========================================================================================
    # Rebalance mechanics
    # =========================================================================================
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
            delay = self.initial_delay_ms
            group.initial_delay_remaining_ms = max(group.rebalance_timeout_ms() - delay, 0)
            group.in_initial_delay = True
        else:
            delay = group.rebalance_timeout_ms()
            group.in_initial_delay = False
        group.new_member_added = False
        group.pending_sync.clear()
        group.sync_deadline = None
        group.join_deadline = now + delay / 1000
        group.transition(PREPARING, _now_ms())
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
            delay = min(self.initial_delay_ms, group.initial_delay_remaining_ms)
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
        now_ms = _now_ms()
        group.generation_id += 1
        if not group.members:
            group.protocol_name = None
            group.transition(EMPTY, now_ms)
            log.info("group %s is empty at generation %d", group.group_id, group.generation_id)
            try:
                self._store_group(group)
            except Exception:  # an empty generation lost on a crash is harmless (Kafka: warn)
                log.exception("writing empty group %s failed", group.group_id)
            return
        group.protocol_name = group.select_protocol()
        group.transition(COMPLETING, now_ms)
        now = time.monotonic()
        for member in group.members.values():
            if member.join_future is not None:
                _resolve(member.join_future, self._join_answer(group, member))
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
                _resolve(member.sync_future, SyncResult(error, member.assignment if error == E.NONE else b"",
                                                        group.protocol_type, group.protocol_name))
                member.sync_future = None
                member.last_heartbeat = now

    def _remove_member(self, group: Group, member: Member, react: bool = True) -> None:
        """Take a member out (left, expired, fenced) and let the group react."""
        _resolve(member.join_future, JoinResult(E.UNKNOWN_MEMBER_ID, ""))
        _resolve(member.sync_future, SyncResult(E.UNKNOWN_MEMBER_ID))
        member.join_future = member.sync_future = None
        group.remove(member.member_id)
        if not react:
            return
        if group.state in (STABLE, COMPLETING):
            self._maybe_prepare_rebalance(group, f"member {member.member_id} removed")
        elif group.is_(PREPARING):
            self._try_complete_join(group)

    def _check_deadlines(self, group: Group) -> None:
        """Expire whatever is due in this group. Called with the group's lock held."""
        now = time.monotonic()
        for pending_id, deadline in list(group.pending_members.items()):
            if deadline <= now:
                del group.pending_members[pending_id]
                self._try_complete_join(group)
        for member in list(group.members.values()):
            if member.member_id not in group.members:
                continue
            if member.is_new:
                alive = member.last_heartbeat + NEW_MEMBER_JOIN_TIMEOUT_MS / 1000 > now
            elif member.awaiting_join or member.awaiting_sync:
                alive = True  # a parked request counts as a sign of life
            else:
                alive = member.last_heartbeat + member.session_timeout_ms / 1000 > now
            if not alive:
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

    def _schedule(self, group: Group, deadline: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(handle)
            if self.active:
                asyncio.ensure_future(self._run_deadlines(group))

        handle = loop.call_later(max(deadline - time.monotonic(), 0), fire)
        self._timers.add(handle)

    async def _run_deadlines(self, group: Group) -> None:
        try:
            async with group.lock:
                if self.groups.get(group.group_id) is group:
                    self._check_deadlines(group)
        except Exception:
            log.exception("group %s: deadline handling failed", group.group_id)

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            for group in list(self.groups.values()):
                if group.members or group.pending_members:
                    await self._run_deadlines(group)

    # =========================================================================================
    # SyncGroup
    # =========================================================================================
    async def sync_group(self, group_id: str, generation_id: int, member_id: str,
                         group_instance_id: Optional[str], protocol_type: Optional[str],
                         protocol_name: Optional[str], assignments: dict[str, bytes]) -> SyncResult:
        error = self._check(group_id)
        if error == E.COORDINATOR_LOAD_IN_PROGRESS:
            return SyncResult(E.REBALANCE_IN_PROGRESS)  # the rebalance state was lost: rejoin
        if error is not None:
            return SyncResult(error)
        group = self.groups.get(group_id)
        if group is None:
            return SyncResult(E.UNKNOWN_MEMBER_ID)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        async with group.lock:
            result = self._sync(group, fut, generation_id, member_id, group_instance_id,
                                protocol_type, protocol_name, assignments)
            if result is not None:
                return result
        return await fut

    def _sync(self, group: Group, fut: asyncio.Future, generation_id: int, member_id: str,
              instance_id: Optional[str], protocol_type: Optional[str], protocol_name: Optional[str],
              assignments: dict[str, bytes]) -> Optional[SyncResult]:
        if group.is_(DEAD):
            return SyncResult(E.COORDINATOR_NOT_AVAILABLE)
        if group.is_static_member_fenced(member_id, instance_id):
            return SyncResult(E.FENCED_INSTANCE_ID)
        member = group.members.get(member_id)
        if member is None:
            return SyncResult(E.UNKNOWN_MEMBER_ID)
        if generation_id != group.generation_id:
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
        _resolve(member.sync_future, SyncResult(E.REBALANCE_IN_PROGRESS))
        member.sync_future = fut
        if group.leader_id == member_id:
            full = {mid: bytes(assignments.get(mid) or b"") for mid in group.members}
            previous = {mid: m.assignment for mid, m in group.members.items()}
            for mid, m in group.members.items():
                m.assignment = full[mid]
            try:
                self._store_group(group)
            except Exception:
                log.exception("storing the assignment of group %s failed", group.group_id)
                for mid, m in group.members.items():
                    m.assignment = previous[mid]
                self._propagate_assignment(group, E.COORDINATOR_NOT_AVAILABLE)
                self._maybe_prepare_rebalance(group, "storing the assignment failed")
                return None
            self._propagate_assignment(group, E.NONE)
            group.transition(STABLE, _now_ms())
            log.info("group %s stable at generation %d", group.group_id, group.generation_id)
        return None

    # =========================================================================================
    # Heartbeat and LeaveGroup
    # =========================================================================================
    async def heartbeat(self, group_id: str, generation_id: int, member_id: str,
                        group_instance_id: Optional[str]) -> int:
        error = self._check(group_id)
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
        error = self._check(group_id)
        if error is not None:
            return error, []
        group = self.groups.get(group_id)
        if group is None:
            return E.NONE, [E.UNKNOWN_MEMBER_ID] * len(members)
        results = []
        async with group.lock:
            if group.is_(DEAD):
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
        return E.NONE, results

    # =========================================================================================
    # Offsets
    # =========================================================================================
    async def commit_offsets(self, group_id: str, generation_id: int, member_id: str,
                             group_instance_id: Optional[str], retention_time_ms: int,
                             offsets: dict[tuple[str, int], tuple[int, int, Optional[str]]],
                             api_version: int) -> dict[tuple[str, int], int]:
        """offsets: (topic, partition) -> (offset, leader epoch, metadata). Returns the error per
        partition (OffsetCommit has no top-level error)."""
        results: dict[tuple[str, int], int] = {}
        valid: dict[tuple[str, int], tuple[int, int, Optional[str]]] = {}
        for tp, value in offsets.items():
            topic = self.logs.get(tp[0])
            if topic is None or not 0 <= tp[1] < len(topic.partitions):
                results[tp] = E.UNKNOWN_TOPIC_OR_PARTITION
            else:
                valid[tp] = value

        def fail(code: int) -> dict[tuple[str, int], int]:
            results.update({tp: code for tp in valid})
            return results

        error = self._check(group_id, allow_empty_id=True)
        if error is not None:
            return fail(error)
        group = self.groups.get(group_id)
        if group is None:
            if generation_id >= 0:
                # A member of a group that is gone. v9+ says so; older versions say generation.
                return fail(E.GROUP_ID_NOT_FOUND if api_version >= 9 else E.ILLEGAL_GENERATION)
            group = self._new_group(group_id)  # a "simple" group that only stores offsets
        async with group.lock:
            if group.is_(DEAD):
                return fail(E.COORDINATOR_NOT_AVAILABLE)
            if group.is_static_member_fenced(member_id, group_instance_id):
                return fail(E.FENCED_INSTANCE_ID)
            if not (generation_id < 0 and group.is_(EMPTY)):
                member = group.members.get(member_id)
                if member is None:
                    return fail(E.UNKNOWN_MEMBER_ID)
                if generation_id != group.generation_id:
                    return fail(E.ILLEGAL_GENERATION)
                if group.is_(COMPLETING):
                    return fail(E.REBALANCE_IN_PROGRESS)
                # Stable, or PreparingRebalance (commits before rejoining are allowed).
                member.last_heartbeat = time.monotonic()
            now_ms = _now_ms()
            expire = now_ms + retention_time_ms if retention_time_ms >= 0 else -1
            records = []
            accepted: dict[tuple[str, int], CommittedOffset] = {}
            for tp, (offset, epoch, metadata) in valid.items():
                if metadata is not None and len(metadata.encode("utf-8")) > self.metadata_max_bytes:
                    results[tp] = E.OFFSET_METADATA_TOO_LARGE
                    continue
                committed = CommittedOffset(offset, epoch, metadata if metadata is not None else "", now_ms, expire)
                accepted[tp] = committed
                records.append((offset_key(group_id, tp[0], tp[1]), offset_value(committed)))
            try:
                self._append(group_id, records)
            except Exception as e:
                log.exception("writing offsets of group %s failed", group_id)
                code = E.INVALID_COMMIT_OFFSET_SIZE if getattr(e, "code", None) == E.MESSAGE_TOO_LARGE \
                    else E.COORDINATOR_NOT_AVAILABLE
                results.update({tp: code for tp in accepted})
                return results
            group.offsets.update(accepted)
            results.update({tp: E.NONE for tp in accepted})
            self._maybe_compact(group_id)
        return results

    def fetch_offsets(self, group_id: str, partitions: Optional[list[tuple[str, int]]]
                      ) -> tuple[int, list[tuple[str, int, Optional[CommittedOffset]]]]:
        """(error, [(topic, partition, committed or None)]); partitions None = all committed."""
        error = self._check(group_id, allow_empty_id=True)
        if error is not None:
            return error, []
        group = self.groups.get(group_id)
        offsets = group.offsets if group is not None and not group.is_(DEAD) else {}
        if partitions is None:
            return E.NONE, [(t, p, o) for (t, p), o in sorted(offsets.items())]
        return E.NONE, [(t, p, offsets.get((t, p))) for t, p in partitions]

    async def delete_offsets(self, group_id: str, partitions: list[tuple[str, int]]
                             ) -> tuple[int, dict[tuple[str, int], int]]:
        """OffsetDelete: (top-level error, error per partition)."""
        error = self._check(group_id, allow_empty_id=True)
        if error is not None:
            return error, {}
        group = self.groups.get(group_id)
        if group is None:
            return E.GROUP_ID_NOT_FOUND, {}
        results: dict[tuple[str, int], int] = {}
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
                topic = self.logs.get(tp[0])
                if topic is None or not 0 <= tp[1] < len(topic.partitions):
                    results[tp] = E.UNKNOWN_TOPIC_OR_PARTITION
                elif tp[0] in subscribed:
                    results[tp] = E.GROUP_SUBSCRIBED_TO_TOPIC
                else:
                    deletable.append(tp)
            present = [tp for tp in deletable if tp in group.offsets]
            try:
                self._append(group_id, [(offset_key(group_id, t, p), None) for t, p in present])
            except Exception:
                log.exception("deleting offsets of group %s failed", group_id)
                return E.COORDINATOR_NOT_AVAILABLE, {}
            for tp in present:
                del group.offsets[tp]
            results.update({tp: E.NONE for tp in deletable})
        return E.NONE, results

    # =========================================================================================
    # Describe, list, delete
    # =========================================================================================
    def describe_group(self, group_id: str) -> tuple[int, Optional[Group]]:
        """(error, group or None when it does not exist)."""
        error = self._check(group_id, allow_empty_id=True)
        if error is not None:
            return error, None
        group = self.groups.get(group_id)
        if group is None or group.is_(DEAD):
            return E.NONE, None
        return E.NONE, group

    def list_groups(self, states: Iterable[str] = (), types: Iterable[str] = ()) -> tuple[int, list[Group]]:
        if not self.active:
            return E.COORDINATOR_NOT_AVAILABLE, []
        state_filter = {s.lower() for s in states}
        type_filter = {t.lower() for t in types}
        out = []
        for group in self.groups.values():
            if group.is_(DEAD):
                continue
            if state_filter and group.state.value.lower() not in state_filter:
                continue
            if type_filter and "classic" not in type_filter:
                continue
            out.append(group)
        return (E.COORDINATOR_LOAD_IN_PROGRESS if self.loading else E.NONE), out

    async def delete_groups(self, group_ids: list[str]) -> dict[str, int]:
        results: dict[str, int] = {}
        for group_id in group_ids:
            error = self._check(group_id, allow_empty_id=True)
            if error is not None:
                results[group_id] = error
                continue
            group = self.groups.get(group_id)
            if group is None:
                results[group_id] = E.GROUP_ID_NOT_FOUND
                continue
            async with group.lock:
                if group.is_(DEAD):
                    results[group_id] = E.GROUP_ID_NOT_FOUND
                elif not group.is_(EMPTY):
                    results[group_id] = E.NON_EMPTY_GROUP
                else:
                    try:
                        self._delete_group(group)
                        results[group_id] = E.NONE
                    except Exception:
                        log.exception("deleting group %s failed", group_id)
                        results[group_id] = E.COORDINATOR_NOT_AVAILABLE
        return results

    def _delete_group(self, group: Group) -> None:
        """Tombstone every key of an Empty group and forget it. Lock held."""
        records = [(offset_key(group.group_id, t, p), None) for t, p in group.offsets]
        if group.group_id in self.persisted:
            records.append((group_key(group.group_id), None))
        self._append(group.group_id, records)
        group.offsets.clear()
        group.transition(DEAD, _now_ms())
        self.persisted.pop(group.group_id, None)
        if self.groups.get(group.group_id) is group:
            del self.groups[group.group_id]
        log.info("group %s deleted", group.group_id)

    # =========================================================================================
    # Cleanup: expired offsets, offsets of deleted topics, expired empty groups
    # =========================================================================================
    async def _cleaner(self) -> None:
        while True:
            await asyncio.sleep(max(self.retention_check_ms, 100) / 1000)
            try:
                await self.cleanup()
            except Exception:
                log.exception("offsets cleanup failed")

    async def cleanup(self, now_ms: Optional[int] = None) -> int:
        """One pass of offsets.retention.minutes expiry and deleted-topic cleanup; returns how
        many offsets were removed."""
        removed = 0
        now_ms = _now_ms() if now_ms is None else now_ms
        for group in list(self.groups.values()):
            async with group.lock:
                if self.groups.get(group.group_id) is not group:
                    continue
                removed += self._cleanup_group(group, now_ms)
        return removed

    def _cleanup_group(self, group: Group, now_ms: int) -> int:
        expired = set()
        for (topic, partition), committed in group.offsets.items():
            t = self.logs.get(topic)
            if t is None or partition >= len(t.partitions):
                expired.add((topic, partition))  # the topic or partition was deleted
        expired |= self._expired_offsets(group, now_ms)
        if expired:
            self._append(group.group_id, [(offset_key(group.group_id, t, p), None) for t, p in expired])
            for tp in expired:
                group.offsets.pop(tp, None)
            log.info("group %s: removed %d expired or orphaned offsets", group.group_id, len(expired))
        if group.is_(EMPTY) and not group.offsets:
            # Nothing left to remember: the group goes away (Kafka: Dead + tombstone).
            records = [(group_key(group.group_id), None)] if group.group_id in self.persisted else []
            self._append(group.group_id, records)
            group.transition(DEAD, now_ms)
            self.persisted.pop(group.group_id, None)
            del self.groups[group.group_id]
        return len(expired)

    def _expired_offsets(self, group: Group, now_ms: int) -> set[tuple[str, int]]:
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
                    (o.expire_timestamp < 0 and now_ms - base(o) >= self.retention_ms):
                out.add(tp)
        return out

    def on_topic_deleted(self, topic: str) -> None:
        """Hook for DeleteTopics: drop the topic's offsets soon (the cleaner also finds them)."""
        if self.active:
            asyncio.ensure_future(self.cleanup())

    # =========================================================================================
    # Persistence helpers
    # =========================================================================================
    def _append(self, group_id: str, records: list) -> None:
        if records:
            self.store.append(self.store.partition_for(group_id), records)

    def _store_group(self, group: Group) -> None:
        """Write the group's metadata (members and assignment of this generation)."""
        stored = StoredGroup(
            group.protocol_type or "", group.generation_id, group.protocol_name, group.leader_id,
            group.state_timestamp,
            [StoredMember(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                          m.rebalance_timeout_ms, m.session_timeout_ms, m.metadata(group.protocol_name),
                          m.assignment) for m in group.members.values()])
        value = group_value(stored)
        self._append(group.group_id, [(group_key(group.group_id), value)])
        self.persisted[group.group_id] = value
        self._maybe_compact(group.group_id)

    def _maybe_compact(self, group_id: str) -> None:
        partition = self.store.partition_for(group_id)
        try:
            self.store.maybe_compact(partition, lambda: self._live_records(partition))
        except Exception:  # the log is still correct, just longer than it needs to be
            log.exception("rewriting %s-%d failed", "__consumer_offsets", partition)

    def _live_records(self, partition: int) -> Iterable[tuple[bytes, Optional[bytes]]]:
        for gid, group in self.groups.items():
            if self.store.partition_for(gid) != partition:
                continue
            if gid in self.persisted:
                yield group_key(gid), self.persisted[gid]
            for (topic, part), committed in group.offsets.items():
                yield offset_key(gid, topic, part), offset_value(committed)
