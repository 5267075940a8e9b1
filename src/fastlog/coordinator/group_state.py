"""In-memory model of a classic consumer group: members, generation, state, committed offsets.

Plain data plus the small pure rules Kafka's classic protocol defines on it (which protocols
the group can accept, which one it selects, who is leader). All transitions are driven by
the coordinator (membership.py, offsets.py) while it holds the group's lock; nothing here awaits.
"""
from __future__ import annotations

import asyncio
import dataclasses
import enum
import struct
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from fastlog.coordinator.consumer_state import ConsumerGroupState


class GroupState(enum.Enum):
    # The wire names DescribeGroups/ListGroups report.
    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


# Kafka's allowed previous states for each target state (GroupMetadata.validPreviousStates).
VALID_PREVIOUS = {
    GroupState.DEAD: {GroupState.STABLE, GroupState.PREPARING_REBALANCE, GroupState.COMPLETING_REBALANCE,
                      GroupState.EMPTY, GroupState.DEAD},
    GroupState.COMPLETING_REBALANCE: {GroupState.PREPARING_REBALANCE},
    GroupState.STABLE: {GroupState.COMPLETING_REBALANCE},
    GroupState.PREPARING_REBALANCE: {GroupState.STABLE, GroupState.COMPLETING_REBALANCE, GroupState.EMPTY},
    GroupState.EMPTY: {GroupState.PREPARING_REBALANCE},
}


@dataclasses.dataclass
class CommittedOffset:
    offset: int
    leader_epoch: int = -1
    metadata: Optional[str] = ""
    commit_timestamp: int = 0      # ms since epoch, broker clock
    expire_timestamp: int = -1     # ms; -1 = follow offsets.retention.minutes (v2-v4 may set it)


# -- What the handlers hand in -----------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class JoinRequest:
    group_id: str
    member_id: str                    # "" for a member that joins for the first time
    group_instance_id: Optional[str]  # set for a static member (KIP-345)
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int         # JoinGroup v0 has none: the session timeout serves
    protocol_type: str
    protocols: list[tuple[str, bytes]]  # (name, metadata), in the member's preference order
    api_version: int


@dataclasses.dataclass(frozen=True)
class SyncRequest:
    group_id: str
    generation_id: int
    member_id: str
    group_instance_id: Optional[str]
    protocol_type: Optional[str]
    protocol_name: Optional[str]
    assignments: dict[str, bytes]     # member id -> assignment; only the leader sends any


@dataclasses.dataclass(frozen=True)
class OffsetToCommit:
    offset: int
    leader_epoch: int = -1
    metadata: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class CommitRequest:
    group_id: str
    generation_id: int                # -1 (with member id "") for a commit outside a group generation
    member_id: str
    group_instance_id: Optional[str]
    retention_time_ms: int            # v2-v4; -1 = offsets.retention.minutes
    offsets: dict[tuple[str, int], OffsetToCommit]
    api_version: int


# -- What they get back --------------------------------------------------------------------------
@dataclasses.dataclass
class JoinResult:
    """What a member's pending JoinGroup is answered with."""

    error: int
    member_id: str
    generation_id: int = -1
    protocol_type: Optional[str] = None
    protocol_name: Optional[str] = None
    leader: str = ""
    skip_assignment: bool = False
    members: list = dataclasses.field(default_factory=list)  # [(member_id, instance_id, metadata)]


@dataclasses.dataclass
class SyncResult:
    error: int
    assignment: bytes = b""
    protocol_type: Optional[str] = None
    protocol_name: Optional[str] = None


@dataclasses.dataclass
class Member:
    member_id: str
    group_instance_id: Optional[str]
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    protocol_type: str
    protocols: list[tuple[str, bytes]]          # in the member's preference order
    assignment: bytes = b""
    # Futures of the member's parked JoinGroup / SyncGroup request, if any.
    join_future: Optional[asyncio.Future] = None
    sync_future: Optional[asyncio.Future] = None
    is_new: bool = False                          # joined but never got a JoinGroup answer
    last_heartbeat: float = 0.0                   # monotonic seconds

    @property
    def awaiting_join(self) -> bool:
        return self.join_future is not None

    @property
    def awaiting_sync(self) -> bool:
        return self.sync_future is not None

    def protocol_names(self) -> list[str]:
        return [name for name, _ in self.protocols]

    def metadata(self, protocol: Optional[str]) -> bytes:
        for name, data in self.protocols:
            if name == protocol:
                return data
        return b""

    def matches(self, protocols: list[tuple[str, bytes]]) -> bool:
        return self.protocols == protocols

    def vote(self, candidates: set[str]) -> str:
        for name, _ in self.protocols:
            if name in candidates:
                return name
        raise ValueError("member supports none of the candidate protocols")


class Group:
    def __init__(self, group_id: str, now_ms: int) -> None:
        self.group_id = group_id
        self.state = GroupState.EMPTY
        self.state_timestamp = now_ms            # when the group entered its current state (ms)
        self.protocol_type: Optional[str] = None
        self.protocol_name: Optional[str] = None
        self.generation_id = 0
        self.leader_id: Optional[str] = None
        self.members: dict[str, Member] = {}
        self.pending_members: dict[str, float] = {}  # member id handed out -> monotonic deadline
        self.static_members: dict[str, str] = {}     # group.instance.id -> member id
        self.pending_sync: set[str] = set()          # members that must SyncGroup this generation
        self.new_member_added = False
        self.offsets: dict[tuple[str, int], CommittedOffset] = {}
        # Rebalance deadlines (monotonic seconds), None when not armed.
        self.join_deadline: Optional[float] = None
        self.in_initial_delay = False                # join_deadline is the initial delay
        self.initial_delay_remaining_ms = 0          # left of the initial delay extension budget
        self.sync_deadline: Optional[float] = None
        # The timer for the next member session or pending member id to expire, and when it fires.
        self.expiry_timer: Optional[asyncio.TimerHandle] = None
        self.expiry_due: Optional[float] = None
        # One lock per group: every state change happens while holding it.
        self.lock = asyncio.Lock()
        # Set for a KIP-848 consumer group (consumer_groups.py); None for a classic group.
        self.consumer: Optional["ConsumerGroupState"] = None
        self.subscribed_names: set[str] = set()      # consumer group: its members' resolved topics
        self.assignor_name = ""                      # consumer group: the server assignor in use

    @property
    def group_type(self) -> str:
        """ListGroups' type: classic or consumer."""
        return "classic" if self.consumer is None else "consumer"

    def state_name(self) -> str:
        """The state as DescribeGroups/ListGroups report it (a consumer group has its own names)."""
        return self.state.value if self.consumer is None else self.consumer.state_name()

    def make_consumer(self, state: "ConsumerGroupState") -> None:
        """Become (or be loaded as) a consumer group. Only for a group with no classic members."""
        self.consumer = state
        self.protocol_type = "consumer"
        self.protocol_name = None
        self.generation_id = 0
        self.leader_id = None

    def drop_classic_members(self) -> None:
        """Forget the classic membership and rebalance state (the group becomes a consumer
        group keeping its members, consumer_migration.py). Lock held."""
        if self.expiry_timer is not None:
            self.expiry_timer.cancel()
        self.expiry_timer = self.expiry_due = None
        self.members, self.static_members, self.pending_members = {}, {}, {}
        self.pending_sync = set()
        self.join_deadline = self.sync_deadline = None
        self.in_initial_delay = self.new_member_added = False

    def take_classic_state(self, classic: "Group") -> None:
        """Become the classic group `classic` describes (members, generation, protocol, state),
        keeping this group's offsets and lock: the end of an online downgrade. Lock held."""
        self.consumer = None
        self.subscribed_names = set()
        self.assignor_name = ""
        self.members, self.static_members = classic.members, classic.static_members
        self.leader_id, self.generation_id = classic.leader_id, classic.generation_id
        self.protocol_type, self.protocol_name = classic.protocol_type, classic.protocol_name
        self.state, self.state_timestamp = classic.state, classic.state_timestamp

    def make_classic(self) -> None:
        """An empty consumer group becomes an empty classic group."""
        self.consumer = None
        self.protocol_type = None
        self.subscribed_names = set()
        self.state = GroupState.EMPTY

    # -- state ------------------------------------------------------------------------------
    def is_(self, state: GroupState) -> bool:
        return self.state is state

    def transition(self, state: GroupState, now_ms: int) -> None:
        if self.state not in VALID_PREVIOUS[state]:
            raise AssertionError(f"group {self.group_id}: illegal transition {self.state.value} -> {state.value}")
        self.state = state
        self.state_timestamp = now_ms

    def can_rebalance(self) -> bool:
        return self.state in VALID_PREVIOUS[GroupState.PREPARING_REBALANCE]

    # -- members ----------------------------------------------------------------------------
    def add(self, member: Member) -> None:
        if not self.members:
            self.protocol_type = member.protocol_type
        self.members[member.member_id] = member
        if self.leader_id is None:
            self.leader_id = member.member_id
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        self.pending_members.pop(member.member_id, None)

    def remove(self, member_id: str) -> Optional[Member]:
        member = self.members.pop(member_id, None)
        if member is None:
            return None
        if member.group_instance_id is not None and self.static_members.get(member.group_instance_id) == member_id:
            del self.static_members[member.group_instance_id]
        self.pending_sync.discard(member_id)
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)
        return member

    def is_static_member_fenced(self, member_id: str, instance_id: Optional[str]) -> bool:
        """A known group.instance.id presented with a member id that is not its current one."""
        if instance_id is None:
            return False
        current = self.static_members.get(instance_id)
        return current is not None and current != member_id

    def has_all_members_joined(self) -> bool:
        return all(m.awaiting_join for m in self.members.values()) and not self.pending_members

    def rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    # -- protocols ----------------------------------------------------------------------------
    def candidate_protocols(self) -> set[str]:
        """Protocols every current member supports."""
        sets = [set(m.protocol_names()) for m in self.members.values()]
        return set.intersection(*sets) if sets else set()

    def supports_protocols(self, protocol_type: str, protocols: list[tuple[str, bytes]]) -> bool:
        names = {name for name, _ in protocols}
        if not self.members:
            return bool(protocol_type) and bool(names)
        return protocol_type == self.protocol_type and bool(names & self.candidate_protocols())

    def select_protocol(self) -> str:
        """Each member votes for its most preferred candidate; most votes wins (ties: leader's order)."""
        candidates = self.candidate_protocols()
        votes: dict[str, int] = {}
        for member in self.members.values():
            choice = member.vote(candidates)
            votes[choice] = votes.get(choice, 0) + 1
        best = max(votes.values())
        leader = self.members.get(self.leader_id or "") or next(iter(self.members.values()))
        for name in leader.protocol_names() + sorted(votes):
            if votes.get(name) == best:
                return name
        raise AssertionError("unreachable")

    def member_list(self) -> list[tuple[str, Optional[str], bytes]]:
        """What the leader's JoinGroup answer carries: every member's metadata for the protocol."""
        return [(m.member_id, m.group_instance_id, m.metadata(self.protocol_name)) for m in self.members.values()]

    def subscribed_topics(self) -> Optional[set[str]]:
        """Topics the members subscribe to, when the group runs the consumer protocol; else None."""
        if self.consumer is not None:
            return set(self.subscribed_names) if self.consumer.members else None
        if self.protocol_type != "consumer" or self.protocol_name is None or not self.members:
            return None
        topics: set[str] = set()
        for member in self.members.values():
            parsed = parse_consumer_subscription(member.metadata(self.protocol_name))
            if parsed is None:
                return None
            topics |= parsed
        return topics


def parse_consumer_subscription(data: bytes) -> Optional[set[str]]:
    """Topics of a ConsumerProtocolSubscription (version int16, then [string] topics: the same
    prefix in every version, never flexible). None when the bytes are not one."""
    try:
        pos = 2
        (count,) = struct.unpack_from(">i", data, pos)
        pos += 4
        if count < 0 or count > len(data):
            return None
        topics = set()
        for _ in range(count):
            (length,) = struct.unpack_from(">h", data, pos)
            pos += 2
            if length < 0 or pos + length > len(data):
                return None
            topics.add(data[pos:pos + length].decode("utf-8"))
            pos += length
        return topics
    except (struct.error, UnicodeDecodeError):
        return None
