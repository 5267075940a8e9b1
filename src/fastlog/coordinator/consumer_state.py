"""In-memory model of a KIP-848 consumer group (`group.protocol=consumer`).

The broker owns the assignment. Three epochs drive it:
- the group epoch goes up whenever what the assignment depends on changes (a member joins or
  leaves, a subscription or the assignor changes, a subscribed topic appears or grows);
- the assignment epoch is the group epoch the current target assignment was computed for;
- each member's epoch is the assignment epoch it has caught up with. A member moves to a new
  epoch only once it no longer owns partitions the target takes away from it (it acks their
  revocation by heartbeating its owned partitions), and it only gets a partition once no other
  member owns it any more.

Plain data plus the pure reconciliation step; consumer_groups.py drives it under the group lock.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Optional

Assignment = dict[bytes, set[int]]  # topic id -> partitions

# Member epochs a request can carry besides real epochs.
JOIN_EPOCH = 0
LEAVE_EPOCH = -1
STATIC_LEAVE_EPOCH = -2


@dataclasses.dataclass(frozen=True)
class HeartbeatResult:
    """The answer to a ConsumerGroupHeartbeat or a ShareGroupHeartbeat (the same fields)."""
    error: int
    message: Optional[str] = None
    member_id: Optional[str] = None
    member_epoch: int = 0
    heartbeat_interval_ms: int = 0
    assignment: Optional[Assignment] = None


class MemberState(enum.IntEnum):
    # Kafka's MemberState values (stored in the current-assignment record).
    STABLE = 0
    UNRELEASED_PARTITIONS = 1   # caught up, waiting for partitions other members still own
    UNREVOKED_PARTITIONS = 2    # must give up partitions before moving to the new epoch


@dataclasses.dataclass(frozen=True)
class ClassicMetadata:
    """What a member that still speaks the classic protocol (JoinGroup/SyncGroup/Heartbeat) inside
    a consumer group brought with its JoinGroup: Kafka's ClassicMemberMetadata (online migration)."""
    session_timeout_ms: int
    protocols: tuple[tuple[str, bytes], ...]   # (name, subscription metadata), in preference order


@dataclasses.dataclass
class ConsumerMember:
    member_id: str
    instance_id: Optional[str] = None
    rack_id: Optional[str] = None
    client_id: str = ""
    client_host: str = ""
    subscribed_topic_names: list[str] = dataclasses.field(default_factory=list)
    subscribed_topic_regex: Optional[str] = None
    server_assignor: Optional[str] = None
    rebalance_timeout_ms: int = -1
    member_epoch: int = 0
    previous_member_epoch: int = -1
    state: MemberState = MemberState.STABLE
    assigned: Assignment = dataclasses.field(default_factory=dict)
    pending_revocation: Assignment = dataclasses.field(default_factory=dict)
    # Monotonic deadlines: the session, and (while revoking) the rebalance timeout.
    session_deadline: float = 0.0
    revocation_deadline: Optional[float] = None
    # Values of its member-metadata and current-assignment records last written (b"": none).
    written: tuple[bytes, bytes] = (b"", b"")
    # Set for a classic-protocol member (online migration); None for a ConsumerGroupHeartbeat one.
    classic: Optional[ClassicMetadata] = None
    # A classic member told to rejoin (or just joined) must JoinGroup (or SyncGroup) by then.
    classic_deadline: Optional[float] = None

    @property
    def uses_classic_protocol(self) -> bool:
        return self.classic is not None

    def owns(self) -> set[tuple[bytes, int]]:
        """Partitions this member may still be consuming: assigned plus not yet revoked."""
        return flatten(self.assigned) | flatten(self.pending_revocation)


class ConsumerGroupState:
    def __init__(self) -> None:
        self.group_epoch = 0
        self.assignment_epoch = 0
        self.members: dict[str, ConsumerMember] = {}
        self.static_members: dict[str, str] = {}          # instance id -> member id
        self.target: dict[str, Assignment] = {}          # member id -> target assignment
        # (topic id, partition count) of every subscribed topic when the target was computed.
        self.subscribed_metadata: Optional[frozenset[tuple[bytes, int]]] = None

    def state_name(self) -> str:
        """Kafka's ConsumerGroupState names (DescribeGroups, ListGroups, ConsumerGroupDescribe)."""
        if not self.members:
            return "Empty"
        if self.assignment_epoch < self.group_epoch:
            return "Assigning"
        if any(m.member_epoch != self.assignment_epoch or m.state is not MemberState.STABLE
               for m in self.members.values()):
            return "Reconciling"
        return "Stable"

    def add(self, member: ConsumerMember) -> None:
        self.members[member.member_id] = member
        if member.instance_id is not None:
            self.static_members[member.instance_id] = member.member_id

    def remove(self, member_id: str) -> Optional[ConsumerMember]:
        member = self.members.pop(member_id, None)
        if member is not None and member.instance_id is not None \
                and self.static_members.get(member.instance_id) == member_id:
            del self.static_members[member.instance_id]
        self.target.pop(member_id, None)
        return member

    def preferred_assignor(self, default: str) -> str:
        """The assignor most members ask for (ties: name order); the default when none asks."""
        votes: dict[str, int] = {}
        for m in self.members.values():
            if m.server_assignor:
                votes[m.server_assignor] = votes.get(m.server_assignor, 0) + 1
        if not votes:
            return default
        return min(votes, key=lambda name: (-votes[name], name))


def flatten(assignment: Assignment) -> set[tuple[bytes, int]]:
    return {(t, p) for t, parts in assignment.items() for p in parts}


def group_by_topic(pairs: set[tuple[bytes, int]]) -> Assignment:
    out: Assignment = {}
    for t, p in pairs:
        out.setdefault(t, set()).add(p)
    return out


def reconcile(group: ConsumerGroupState, member: ConsumerMember, owned: Optional[Assignment],
              now: float) -> bool:
    """Move `member` towards its target assignment (Kafka's CurrentAssignmentBuilder, condensed).
    `owned` is what the member's request says it owns (None: not sent). Returns True when the
    member's epoch, state or assignment changed."""
    before = (member.member_epoch, member.state, flatten(member.assigned), flatten(member.pending_revocation))
    if member.state is MemberState.UNREVOKED_PARTITIONS:
        if owned is None or flatten(owned) & flatten(member.pending_revocation):
            return False  # still waiting for the member to give the partitions up
        member.pending_revocation = {}
        member.revocation_deadline = None
        member.state = MemberState.STABLE
    if member.member_epoch == group.assignment_epoch and member.state is MemberState.STABLE:
        return before != (member.member_epoch, member.state, flatten(member.assigned),
                          flatten(member.pending_revocation))
    target = flatten(group.target.get(member.member_id, {}))
    current = flatten(member.assigned)
    revoke = current - target
    # As Kafka's CurrentAssignmentBuilder: the revocation step only when the member may still
    # own what it gives up (an eager classic member rejoins owning nothing).
    if revoke and (owned is None or flatten(owned) & revoke):
        # First the member gives these up, in its current epoch.
        member.assigned = group_by_topic(current & target)
        member.pending_revocation = group_by_topic(revoke)
        member.state = MemberState.UNREVOKED_PARTITIONS
        member.revocation_deadline = now + max(member.rebalance_timeout_ms, 0) / 1000
        return True
    owned_by_others: set[tuple[bytes, int]] = set()
    for other in group.members.values():
        if other is not member:
            owned_by_others |= other.owns()
    wanted = target - current
    granted = {tp for tp in wanted if tp not in owned_by_others}
    member.assigned = group_by_topic((current & target) | granted)
    if member.member_epoch != group.assignment_epoch:
        member.previous_member_epoch = member.member_epoch
        member.member_epoch = group.assignment_epoch
    member.state = MemberState.STABLE if granted == wanted else MemberState.UNRELEASED_PARTITIONS
    return before != (member.member_epoch, member.state, flatten(member.assigned), flatten(member.pending_revocation))
