"""Share groups (KIP-932): membership, assignment, share sessions and share-partitions.

- Membership (ShareGroupHeartbeat): a member joins with epoch 0 and its subscription, gets the
  group epoch as its member epoch and its partitions from the simple assignor; there is no
  revocation step (a partition may be shared), so every member moves to a new group epoch at its
  next heartbeat. A member silent for `group.share.session.timeout.ms` is removed.
- Share sessions (ShareFetch/ShareAcknowledge): per (group, member), the partitions the member
  fetches and an epoch each request must match (0 opens, -1 closes, each request adds one).
- Share-partitions (share_partition.py): acquired records, acknowledgements, lock timeouts, the
  delivery count limit. Every change is written to `__share_group_state` (share_state_log.py)
  before the client hears of it.

Membership is written to `__consumer_offsets` as Kafka 4.4 does (share_records.py: group epoch,
members, target and current assignments; tombstones when a member leaves or the group is deleted)
and restored at start with fresh session timers, so a member goes on with its epoch after a
broker restart. Share sessions are memory only (as in Kafka): the client opens a new one.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from typing import Any, Iterable, Optional

from fastlog.config import Config
from fastlog.coordinator import share_records as rec
from fastlog.coordinator.consumer_state import HeartbeatResult
from fastlog.coordinator.group_log import WRITE_ERRORS, GroupLog
from fastlog.coordinator.share_partition import AckError, Acquired, SharePartition, batch_spans
from fastlog.coordinator.share_state_log import ShareStateLog, StateKey, encode_value
from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.share")
E = ErrorCode
TICK_SECONDS = 0.25
JOIN_EPOCH, LEAVE_EPOCH = 0, -1
INITIAL_SESSION_EPOCH, FINAL_SESSION_EPOCH = 0, -1
ASSIGNOR = "simple"

Assignment = dict[bytes, set[int]]   # topic id -> partitions
PartitionKey = tuple[bytes, int]


class ShareError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass
class ShareMember:
    member_id: str
    epoch: int
    subscribed: list[str]
    rack_id: Optional[str]
    client_id: str
    client_host: str
    session_deadline: float
    assignment: Assignment = dataclasses.field(default_factory=dict)
    previous_epoch: int = 0
    # Last value written per record type (10, 13, 14): an unchanged one is not written again.
    written: dict[int, bytes] = dataclasses.field(default_factory=dict)

    def records(self, group_id: str) -> list[rec.Record]:
        """The member's records whose value changed since they were last written."""
        stored = rec.StoredShareMember(self.rack_id, self.client_id, self.client_host, self.subscribed,
                                       self.epoch, self.previous_epoch, self.assignment)
        values = {rec.MEMBER_METADATA: rec.member_value(stored),
                  rec.TARGET_MEMBER: rec.target_member_value(self.assignment),
                  rec.CURRENT_MEMBER: rec.current_member_value(stored)}
        if self.written.get(rec.CURRENT_MEMBER, b"")[2:6] == values[rec.CURRENT_MEMBER][2:6]:
            # Same member epoch: the current assignment is the one the member was given with it.
            del values[rec.CURRENT_MEMBER]
        return [(rec.key(t, group_id, self.member_id), v) for t, v in values.items() if self.written.get(t) != v]


@dataclasses.dataclass
class ShareGroup:
    group_id: str
    epoch: int = 0
    assignment_epoch: int = 0
    members: dict[str, ShareMember] = dataclasses.field(default_factory=dict)
    written: dict[int, bytes] = dataclasses.field(default_factory=dict)   # records 11 and 12
    # A write failed: every member's records are compared again at the next write.
    dirty: bool = False

    @property
    def state(self) -> str:
        return "Stable" if self.members else "Empty"


@dataclasses.dataclass
class ShareSession:
    epoch: int
    partitions: set[PartitionKey]
    last_used: float = dataclasses.field(default_factory=time.monotonic)
    # Partitions the next incremental answer must list even with nothing to say: added to the
    # session since the last answer, or in error in it (Kafka's requiresUpdateInResponse).
    must_answer: set[PartitionKey] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class PartitionFetch:
    """What a ShareFetch got from one share-partition."""

    error: int = 0
    records: Any = b""
    acquired: list[Acquired] = dataclasses.field(default_factory=list)


_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def _initial_offset(plog: Any, reset: str) -> int:
    """Where a new share-partition starts (share.auto.offset.reset): the log start (earliest),
    the log end (latest), or the first record at or after now minus an ISO-8601 duration
    (by_duration:PnDTnHnMn.nS), else the log end."""
    if reset == "earliest":
        return int(plog.log_start_offset)
    if reset.startswith("by_duration:"):
        match = _DURATION.fullmatch(reset[len("by_duration:"):])
        if match:
            days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
            ago_ms = int(((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000)
            found = plog.offset_for_timestamp(int(time.time() * 1000) - ago_ms)
            if found is not None:
                return int(found[0])
    return int(plog.log_end_offset)


def simple_assignment(members: list[ShareMember], partition_counts: dict[str, tuple[bytes, int]]
                      ) -> dict[str, Assignment]:
    """Kafka's idea of the simple assignor: per topic, its partitions spread over the members
    subscribed to it; with more members than partitions, partitions are shared (each member
    gets one, partitions taken round-robin), so no member is left idle."""
    out: dict[str, Assignment] = {m.member_id: {} for m in members}
    for name, (topic_id, count) in sorted(partition_counts.items()):
        subscribers = sorted(m.member_id for m in members if name in m.subscribed)
        if not subscribers or count <= 0:
            continue
        if len(subscribers) <= count:
            for p in range(count):
                out[subscribers[p % len(subscribers)]].setdefault(topic_id, set()).add(p)
        else:
            for i, member_id in enumerate(subscribers):
                out[member_id].setdefault(topic_id, set()).add(i % count)
    return out


class ShareCoordinator:
    def __init__(self, logs: LogManager, config: Config, taken_group_ids: Any = (),
                 group_log: Optional[GroupLog] = None) -> None:
        self.logs = logs
        # `__consumer_offsets`, where membership is kept (None: memory only, as in unit tests).
        self.group_log = group_log
        self.config = config
        # Ids of classic/consumer groups: one namespace, a share group may not take one of them.
        self.taken_group_ids = taken_group_ids
        self.groups: dict[str, ShareGroup] = {}
        self.sessions: dict[tuple[str, str], ShareSession] = {}
        self.partitions: dict[StateKey, SharePartition] = {}
        self.state_log = ShareStateLog(logs, config.get_int("offsets.topic.segment.bytes"))
        self._task: Optional[asyncio.Task] = None

    # -- settings: the group's own config (IncrementalAlterConfigs on the group), else the broker's
    def setting(self, group_id: str, name: str) -> Any:
        return self.logs.dynamic.group_setting(group_id, name)

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        if self.group_log is not None:
            self._restore(self.group_log.share_groups)
            self.group_log.share_groups.clear()
        for key, state in self.state_log.replay():
            if state is None:
                self.partitions.pop(key, None)
            else:
                self.partitions[key] = SharePartition.restored(state["start"], state["end"], state["batches"])
        for group_id, _, _ in self.partitions:
            # A group with state exists (Empty) after a restart, as its records keep it in Kafka.
            self.groups.setdefault(group_id, ShareGroup(group_id))
        if self.partitions:
            log.info("restored %d share-partition(s) from __share_group_state", len(self.partitions))
        self._task = asyncio.create_task(self._run_ticker(), name="share-groups-ticker")

    def _restore(self, stored: dict[str, rec.StoredShareGroup]) -> None:
        """Groups and members from the replayed records; each member gets a full session from
        now (Kafka restarts the session timers when it loads a group)."""
        now = time.monotonic()
        for group_id, sg in stored.items():
            if sg.epoch is None:
                continue
            group = self.groups[group_id] = ShareGroup(group_id, sg.epoch, sg.assignment_epoch)
            group.written = {rec.GROUP_METADATA: rec.group_value(sg.epoch),
                             rec.TARGET_METADATA: rec.target_metadata_value(sg.assignment_epoch)}
            session_s = self.setting(group_id, "share.session.timeout.ms") / 1000
            for member_id, sm in sg.members.items():
                if member_id not in sg.has_metadata:
                    continue
                member = ShareMember(member_id, sm.member_epoch, sm.subscribed_topic_names, sm.rack_id, sm.client_id,
                                     sm.client_host, now + session_s, sm.target, sm.previous_member_epoch)
                member.written = {rec.record_type(k): v for k, v in member.records(group_id) if v is not None}
                member.written[rec.CURRENT_MEMBER] = rec.current_member_value(sm)
                group.members[member_id] = member
            log.info("share group %s: restored epoch %d with %d member(s)", group_id, group.epoch, len(group.members))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    # ======================================================================================
    # ShareGroupHeartbeat
    # ======================================================================================
    def heartbeat(self, group_id: str, member_id: str, member_epoch: int, rack_id: Optional[str],
                  subscribed: Optional[list[str]], client_id: str, client_host: str) -> HeartbeatResult:
        if not group_id:
            return HeartbeatResult(E.INVALID_REQUEST, "GroupId can't be empty.")
        if not member_id:
            return HeartbeatResult(E.INVALID_REQUEST, "MemberId can't be empty.")
        if member_epoch < LEAVE_EPOCH:
            return HeartbeatResult(E.INVALID_REQUEST, f"MemberEpoch is invalid: {member_epoch}.")
        if member_epoch == JOIN_EPOCH and not subscribed:
            return HeartbeatResult(E.INVALID_REQUEST, "SubscribedTopicNames must be set in first request.")
        if group_id in self.taken_group_ids:
            return HeartbeatResult(E.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a share group.")
        group = self.groups.get(group_id)
        member = group.members.get(member_id) if group is not None else None
        if member_epoch == LEAVE_EPOCH:
            if group is None or member is None:
                return HeartbeatResult(E.UNKNOWN_MEMBER_ID, f"Member {member_id} is not a member of group {group_id}.")
            if not self.remove_member(group, member, "left the group"):
                return HeartbeatResult(E.COORDINATOR_NOT_AVAILABLE, None, member_id)
            return HeartbeatResult(E.NONE, member_id=member_id, member_epoch=LEAVE_EPOCH)
        if group is None:
            if member_epoch != JOIN_EPOCH:
                return HeartbeatResult(E.UNKNOWN_MEMBER_ID, f"Member {member_id} is not a member of group {group_id}.")
            group = self.groups[group_id] = ShareGroup(group_id)
        now = time.monotonic()
        session_s = self.setting(group_id, "share.session.timeout.ms") / 1000
        changed = False
        if member is None or member_epoch == JOIN_EPOCH:
            if member is None:
                if member_epoch != JOIN_EPOCH:
                    return HeartbeatResult(E.UNKNOWN_MEMBER_ID,
                                           f"Member {member_id} is not a member of group {group_id}.")
                if len(group.members) >= self.config.get_int("group.share.max.size"):
                    return HeartbeatResult(E.GROUP_MAX_SIZE_REACHED,
                                           f"The share group has reached its maximum capacity of "
                                           f"{self.config.get_int('group.share.max.size')} members.")
                member = group.members[member_id] = ShareMember(member_id, 0, [], rack_id, client_id, client_host, now)
                log.info("share group %s: member %s joined", group_id, member_id)
            changed = True
        elif member_epoch != member.epoch:
            return HeartbeatResult(E.FENCED_MEMBER_EPOCH,
                                   f"The share group member has a stale member epoch {member_epoch} "
                                   f"(expected {member.epoch}).")
        member.session_deadline = now + session_s
        if subscribed is not None and sorted(subscribed) != sorted(member.subscribed):
            member.subscribed = list(subscribed)
            changed = True
        if rack_id is not None:
            member.rack_id = rack_id
        changed = self._reassign(group) or changed
        if changed:
            group.epoch += 1
            group.assignment_epoch = group.epoch
        send = member_epoch == JOIN_EPOCH or member.epoch != group.epoch
        if member.epoch != group.epoch:
            member.previous_epoch, member.epoch = member.epoch, group.epoch
        if not self._write(group, member, all_members=changed):
            return HeartbeatResult(E.COORDINATOR_NOT_AVAILABLE, None, member_id)
        return HeartbeatResult(E.NONE, member_id=member_id, member_epoch=member.epoch,
                               heartbeat_interval_ms=self.setting(group_id, "share.heartbeat.interval.ms"),
                               assignment=dict(member.assignment) if send else None)

    def _reassign(self, group: ShareGroup) -> bool:
        """Recompute the target assignment from the current topics; True if any member's changed.
        Run at every heartbeat: a subscribed topic created or grown later is picked up."""
        names = {name for m in group.members.values() for name in m.subscribed}
        counts = {}
        for name in names:
            topic = self.logs.get(name)
            if topic is not None and not topic.internal:
                counts[name] = (topic.topic_id, len(topic.partitions))
        target = simple_assignment(list(group.members.values()), counts)
        changed = False
        for member_id, assignment in target.items():
            member = group.members[member_id]
            if assignment != member.assignment:
                member.assignment = assignment
                changed = True
        return changed

    def _write(self, group: ShareGroup, member: Optional[ShareMember], all_members: bool,
               tombstones: Iterable[rec.Record] = ()) -> bool:
        """Write what changed of the group (its epochs, `member`'s records, every member's when
        `all_members`) after `tombstones`. False: the write failed (the client gets
        COORDINATOR_NOT_AVAILABLE and retries; the records are compared again next time)."""
        if self.group_log is None:
            return True
        gid = group.group_id
        values = {rec.GROUP_METADATA: rec.group_value(group.epoch),
                  rec.TARGET_METADATA: rec.target_metadata_value(group.assignment_epoch)}
        changed = {t: v for t, v in values.items() if group.written.get(t) != v}
        # One batch: a crash leaves all of it or none.
        members = list(group.members.values()) if all_members or group.dirty else [member] if member else []
        member_records = [(m, m.records(gid)) for m in members]
        records = list(tombstones) + [r for _, rs in member_records for r in rs]
        records += [(rec.key(t, gid), v) for t, v in sorted(changed.items(), key=lambda tv: -tv[0])]
        try:
            self.group_log.append(gid, records)
        except WRITE_ERRORS:
            log.exception("storing share group %s failed", gid)
            group.dirty = True
            return False
        group.written.update(changed)
        for m, rs in member_records:
            m.written.update({rec.record_type(k): v for k, v in rs if v is not None})
        group.dirty = False
        return True

    def remove_member(self, group: ShareGroup, member: ShareMember, why: str) -> bool:
        """The member is out of the group: what it holds becomes available again at once. Its
        share session stays (as in Kafka 4.4, where a member that left may go on fetching in it;
        ShareFetch does not check membership); an unused one is dropped by the timer."""
        del group.members[member.member_id]
        log.info("share group %s: member %s %s", group.group_id, member.member_id, why)
        self.release_held(group.group_id, member.member_id)
        self._reassign(group)
        group.epoch += 1
        group.assignment_epoch = group.epoch
        return self._write(group, None, all_members=True,
                           tombstones=rec.member_tombstones(group.group_id, member.member_id))

    # ======================================================================================
    # Share sessions
    # ======================================================================================
    def open_or_advance_session(self, group_id: str, member_id: str, epoch: int, acknowledging_only: bool
                                ) -> tuple[int, Optional[ShareSession]]:
        """The session a request runs in, its epoch checked and moved on. -> (error, session)."""
        key = (group_id, member_id)
        session = self.sessions.get(key)
        if epoch == INITIAL_SESSION_EPOCH:
            if acknowledging_only:   # ShareAcknowledge cannot open a session
                return E.INVALID_SHARE_SESSION_EPOCH, None
            if session is None and len(self.sessions) >= self.config.get_int("group.share.max.share.sessions"):
                return E.SHARE_SESSION_LIMIT_REACHED, None
            # A new session replaces the member's old one; what the member holds stays acquired
            # (its locks run on, and it may still acknowledge them), as in Kafka.
            session = self.sessions[key] = ShareSession(1, set())
            return E.NONE, session
        if session is None:
            return E.SHARE_SESSION_NOT_FOUND, None
        session.last_used = time.monotonic()
        if epoch == FINAL_SESSION_EPOCH:
            return E.NONE, session
        if epoch != session.epoch:
            return E.INVALID_SHARE_SESSION_EPOCH, None
        session.epoch += 1
        return E.NONE, session

    def close_session(self, group_id: str, member_id: str) -> None:
        """Drop the member's share session; the records it holds become available again."""
        self.release_held(group_id, member_id)
        self.sessions.pop((group_id, member_id), None)

    def release_held(self, group_id: str, member_id: str) -> None:
        """What the member holds in its session's share-partitions becomes available again."""
        session = self.sessions.get((group_id, member_id))
        if session is None:
            return
        limit = self.setting(group_id, "share.delivery.count.limit")
        for topic_id, index in session.partitions:
            key = (group_id, topic_id, index)
            sp = self.partitions.get(key)
            if sp is not None and sp.release_member(member_id, limit):
                self._persist(key, sp)

    # ======================================================================================
    # Share-partitions
    # ======================================================================================
    def lock_duration_ms(self, group_id: str) -> int:
        return int(self.setting(group_id, "share.record.lock.duration.ms"))

    def share_partition(self, key: StateKey) -> SharePartition:
        """The share-partition, initialized at share.auto.offset.reset on first use."""
        sp = self.partitions.get(key)
        topic = self.logs.get_by_id(key[1])
        assert topic is not None
        plog = topic.partitions[key[2]]
        if sp is None:
            start = _initial_offset(plog, self.setting(key[0], "share.auto.offset.reset"))
            sp = self.partitions[key] = SharePartition(start)
            self._persist(key, sp)
        elif sp.move_start_to(plog.log_start_offset):
            self._persist(key, sp)
        return sp

    def acquire(self, key: StateKey, member_id: str, max_records: int, max_bytes: int, now: float
                ) -> PartitionFetch:
        """Read from the share-partition's next available offset and acquire what was read."""
        topic = self.logs.get_by_id(key[1])
        assert topic is not None
        plog = topic.partitions[key[2]]
        sp = self.share_partition(key)
        limit = self.setting(key[0], "share.delivery.count.limit")
        sp.expire_locks(now, limit)
        offset = sp.next_fetch_offset()
        if offset >= plog.log_end_offset or max_records <= 0:
            return PartitionFetch()
        if self.setting(key[0], "share.isolation.level") == "read_committed":
            # Only below the last stable offset; aborted transactions' records are archived.
            found, _, aborted = plog.read_committed(offset, max_bytes)
            region, spans_of = found.tobytes(), aborted
        else:
            region, spans_of = plog.read(offset, max_bytes).tobytes(), []
        acquired, used = sp.acquire(member_id, batch_spans(region, spans_of), max_records,
                                    self.setting(key[0], "share.partition.max.record.locks"),
                                    self.lock_duration_ms(key[0]) / 1000, limit, now)
        if acquired:
            self._persist(key, sp)
        return PartitionFetch(records=region[:used] if acquired else b"", acquired=acquired)

    def acknowledge(self, key: StateKey, member_id: str, batches: Iterable[dict], now: float) -> int:
        """Apply a partition's acknowledgement batches -> error code (INVALID_RECORD_STATE when
        one names records the member does not hold; the batches before it stay applied)."""
        sp = self.partitions.get(key)
        if sp is None:
            return E.INVALID_RECORD_STATE
        limit = self.setting(key[0], "share.delivery.count.limit")
        sp.expire_locks(now, limit)
        error = E.NONE
        for b in batches:
            try:
                sp.acknowledge(member_id, b["first_offset"], b["last_offset"], list(b["acknowledge_types"]),
                               limit, self.lock_duration_ms(key[0]) / 1000, now)
            except AckError as e:
                log.debug("share group %s: acknowledgement refused: %s", key[0], e)
                error = E.INVALID_RECORD_STATE
        self._persist(key, sp)
        return error

    def next_lock_deadline(self, keys: Iterable[StateKey]) -> Optional[float]:
        deadlines = [d for k in keys if (sp := self.partitions.get(k)) is not None
                     and (d := sp.next_deadline()) is not None]
        return min(deadlines) if deadlines else None

    def _persist(self, key: StateKey, sp: SharePartition) -> None:
        self.state_log.write(key, encode_value(sp.start, sp.end, sp.state_batches()))

    def describe_start_offset(self, key: StateKey) -> Optional[int]:
        sp = self.partitions.get(key)
        return sp.start if sp is not None else None

    # ======================================================================================
    # Offsets admin: DescribeShareGroupOffsets, AlterShareGroupOffsets, DeleteShareGroupOffsets
    # ======================================================================================
    def initialized_partitions(self, group_id: str) -> list[tuple[bytes, int]]:
        return sorted((t, i) for g, t, i in self.partitions if g == group_id)

    def offsets(self, key: StateKey) -> tuple[int, int]:
        """(SPSO, lag) of a share-partition, (-1, -1) before its first fetch. The lag counts the
        records up to the log end not yet acknowledged or archived."""
        sp = self.partitions.get(key)
        topic = self.logs.get_by_id(key[1])
        if sp is None or topic is None or not 0 <= key[2] < len(topic.partitions):
            return -1, -1
        return sp.start, max(0, topic.partitions[key[2]].log_end_offset - sp.start - sp.done_in_flight())

    def check_empty(self, group_id: str) -> tuple[int, Optional[str]]:
        group = self.groups.get(group_id)
        if group is not None and group.members:
            return E.NON_EMPTY_GROUP, "The group is not empty."
        if group_id in self.taken_group_ids:
            return E.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a share group."
        return E.NONE, None

    def set_start_offset(self, key: StateKey, offset: int) -> None:
        """AlterShareGroupOffsets: the share-partition starts over at `offset` (group empty)."""
        self.groups.setdefault(key[0], ShareGroup(key[0]))
        sp = self.partitions[key] = SharePartition(offset)
        self._persist(key, sp)

    def delete_state(self, key: StateKey) -> None:
        """DeleteShareGroupOffsets: forget the share-partition (it starts again at
        share.auto.offset.reset on the next fetch)."""
        if self.partitions.pop(key, None) is not None:
            self.state_log.write(key, None)

    def delete_group(self, group_id: str) -> int:
        """DeleteGroups of a share group: NON_EMPTY_GROUP while it has members, else the group
        and its share-partitions are gone (tombstones in `__share_group_state`)."""
        group = self.groups.get(group_id)
        if group is None:
            return E.GROUP_ID_NOT_FOUND
        if group.members:
            return E.NON_EMPTY_GROUP
        if self.group_log is not None and group.written:
            try:
                self.group_log.append(group_id, rec.group_tombstones(group_id))
            except WRITE_ERRORS:
                log.exception("deleting share group %s failed", group_id)
                return E.COORDINATOR_NOT_AVAILABLE
        for key in [k for k in self.partitions if k[0] == group_id]:
            self.delete_state(key)
        del self.groups[group_id]
        return E.NONE

    # ======================================================================================
    # Timers: member sessions and acquisition locks
    # ======================================================================================
    async def _run_ticker(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                self.tick(time.monotonic())
            except Exception:
                log.exception("share groups: timer pass failed")

    def tick(self, now: float) -> None:
        for group in list(self.groups.values()):
            for member in list(group.members.values()):
                if now >= member.session_deadline:
                    self.remove_member(group, member, "removed: session timed out")
        # A session unused for a session timeout (its client gone without closing it) is dropped,
        # so that abandoned sessions do not fill group.share.max.share.sessions.
        for (group_id, member_id), session in list(self.sessions.items()):
            if now - session.last_used > self.setting(group_id, "share.session.timeout.ms") / 1000:
                self.close_session(group_id, member_id)
        for key, sp in list(self.partitions.items()):
            if sp.expire_locks(now, self.setting(key[0], "share.delivery.count.limit")):
                self._persist(key, sp)
