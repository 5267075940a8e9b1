"""One share-partition (KIP-932): a share group's view of one topic partition.

Records below the share-partition start offset (SPSO, `start`) are done. Offsets in
[start, end) are "in flight", each with a state and a delivery count; offsets from `end` on have
never been delivered. States (Kafka's RecordState ids, also what share_state_log.py stores):

    AVAILABLE (0) -> ACQUIRED (1)         a ShareFetch acquires it for a member, delivery count + 1
    ACQUIRED -> ACKNOWLEDGED (2)          accept
    ACQUIRED -> AVAILABLE                 release, or the acquisition lock timed out
    ACQUIRED -> ARCHIVED (4)              reject, gap, or release/timeout at the delivery count limit

`start` moves past every leading ACKNOWLEDGED/ARCHIVED offset, so the table only holds offsets
between the start and the newest delivery; `group.share.partition.max.record.locks` bounds it.
Everything here is synchronous: a change happens whole between two awaits of the event loop.
"""
from __future__ import annotations

import dataclasses
import struct
from typing import Iterable, Optional

AVAILABLE, ACQUIRED, ACKNOWLEDGED, ARCHIVED = 0, 1, 2, 4
GAP, ACCEPT, RELEASE, REJECT, RENEW = 0, 1, 2, 3, 4   # acknowledge types of the protocol

# Record batch v2 header: baseOffset int64, batchLength int32 (bytes after this field),
# partitionLeaderEpoch int32, magic int8, crc int32, attributes int16, lastOffsetDelta int32,
# baseTimestamp int64, maxTimestamp int64, producerId int64.
_HEADER = struct.Struct(">qiibIhiqqq")
_TRANSACTIONAL_BIT, _CONTROL_BIT = 0x10, 0x20


@dataclasses.dataclass(frozen=True)
class BatchSpan:
    """Where one batch of a fetched region sits: its offsets and bytes. `skip`: never delivered
    (a control batch, or a batch of an aborted transaction when reading committed)."""

    base_offset: int
    last_offset: int
    end_position: int   # byte position just past the batch in the region
    skip: bool


def batch_spans(region: bytes, aborted: Optional[list[tuple[int, int]]] = None) -> list[BatchSpan]:
    """The whole batches in `region` (a log read); a trailing partial batch is left out.
    `aborted`: (producer id, first offset) of the aborted transactions in the region
    (PartitionLog.read_committed); their transactional batches are marked to skip, up to the
    producer's abort marker."""
    pending = sorted(aborted or [], key=lambda a: a[1])
    open_aborts: set[int] = set()
    spans = []
    pos = 0
    while pos + _HEADER.size <= len(region):
        base, length, _epoch, _magic, _crc, attributes, last_delta, _t0, _t1, producer = \
            _HEADER.unpack_from(region, pos)
        end = pos + 12 + length
        if length <= 0 or end > len(region):
            break
        while pending and pending[0][1] <= base:
            open_aborts.add(pending.pop(0)[0])
        control = bool(attributes & _CONTROL_BIT)
        aborted_batch = bool(attributes & _TRANSACTIONAL_BIT) and producer in open_aborts
        if control:
            open_aborts.discard(producer)   # the marker ends that producer's transaction
        spans.append(BatchSpan(base, base + last_delta, end, control or aborted_batch))
        pos = end
    return spans


@dataclasses.dataclass
class InFlight:
    state: int
    delivery_count: int
    member: Optional[str] = None
    deadline: float = 0.0   # monotonic seconds, while ACQUIRED


@dataclasses.dataclass(frozen=True)
class Acquired:
    first_offset: int
    last_offset: int
    delivery_count: int


class AckError(Exception):
    """An acknowledgement of records this member does not hold (INVALID_RECORD_STATE)."""


class SharePartition:
    def __init__(self, start: int, end: Optional[int] = None) -> None:
        self.start = start
        self.end = start if end is None else end
        self.records: dict[int, InFlight] = {}

    # -- reading the state -------------------------------------------------------------------
    def next_fetch_offset(self) -> int:
        """Where a fetch must read from: the first AVAILABLE in-flight offset, else `end`."""
        for offset in range(self.start, self.end):
            if self.records[offset].state == AVAILABLE:
                return offset
        return self.end

    def next_deadline(self) -> Optional[float]:
        deadlines = [r.deadline for r in self.records.values() if r.state == ACQUIRED]
        return min(deadlines) if deadlines else None

    def done_in_flight(self) -> int:
        """In-flight offsets already acknowledged or archived (above the SPSO)."""
        return sum(1 for r in self.records.values() if r.state in (ACKNOWLEDGED, ARCHIVED))

    def state_batches(self) -> list[tuple[int, int, int, int]]:
        """(first, last, state, delivery count) runs of the in-flight offsets, ACQUIRED stored as
        AVAILABLE: after a restart no member holds a lock, the delivery counts stay."""
        runs: list[list[int]] = []
        for offset in range(self.start, self.end):
            r = self.records[offset]
            state = AVAILABLE if r.state == ACQUIRED else r.state
            if runs and runs[-1][1] == offset - 1 and runs[-1][2] == state and runs[-1][3] == r.delivery_count:
                runs[-1][1] = offset
            else:
                runs.append([offset, offset, state, r.delivery_count])
        return [(a, b, c, d) for a, b, c, d in runs]

    @classmethod
    def restored(cls, start: int, end: int, batches: Iterable[tuple[int, int, int, int]]) -> "SharePartition":
        sp = cls(start, end)
        for first, last, state, count in batches:
            for offset in range(first, last + 1):
                sp.records[offset] = InFlight(state, count)
        # An offset missing from the stored runs (should not happen) is treated as never delivered.
        for offset in range(start, end):
            sp.records.setdefault(offset, InFlight(AVAILABLE, 0))
        sp._advance_start()
        return sp

    # -- changes -----------------------------------------------------------------------------
    def move_start_to(self, log_start: int) -> bool:
        """Records deleted from the log (retention, DeleteRecords) are no longer in flight."""
        if log_start <= self.start:
            return False
        for offset in range(self.start, min(log_start, self.end)):
            del self.records[offset]
        self.start = log_start
        self.end = max(self.end, log_start)
        return True

    def acquire(self, member: str, spans: list[BatchSpan], max_records: int, max_in_flight: int,
                lock_seconds: float, limit: int, now: float) -> tuple[list[Acquired], int]:
        """Acquire for `member` the AVAILABLE offsets of the fetched batches, in offset order, up
        to `max_records` (whole batches: at least one batch's worth is taken once any is).
        -> (acquired runs, byte position just past the last batch that gave records)."""
        taken: list[tuple[int, int]] = []   # (offset, delivery count)
        used_bytes = 0
        window_full = False
        for span in spans:
            if len(taken) >= max_records or window_full:
                # A full in-flight window ends the acquisition: the offsets past it stay out of
                # the state (not archived as a gap) until the start moves on.
                break
            if span.base_offset > self.end:
                # Offsets between batches (removed by compaction) never reach a consumer.
                for offset in range(self.end, span.base_offset):
                    self.records[offset] = InFlight(ARCHIVED, 0)
                self.end = span.base_offset
            gave = False
            for offset in range(max(span.base_offset, self.start), span.last_offset + 1):
                if offset >= self.end:
                    if self.end - self.start >= max_in_flight:
                        window_full = True
                        break
                    self.records[offset] = InFlight(ARCHIVED if span.skip else AVAILABLE, 0)
                    self.end = offset + 1
                r = self.records[offset]
                if span.skip or r.state != AVAILABLE:
                    continue
                r.state, r.member, r.deadline = ACQUIRED, member, now + lock_seconds
                r.delivery_count += 1
                taken.append((offset, r.delivery_count))
                gave = True
            if gave:
                used_bytes = span.end_position
        self._advance_start()
        runs: list[Acquired] = []
        for offset, count in taken:
            if runs and runs[-1].last_offset == offset - 1 and runs[-1].delivery_count == count:
                runs[-1] = Acquired(runs[-1].first_offset, offset, count)
            else:
                runs.append(Acquired(offset, offset, count))
        return runs, used_bytes

    def acknowledge(self, member: str, first: int, last: int, types: list[int], limit: int,
                    lock_seconds: float, now: float) -> None:
        """Apply one acknowledgement batch: all of it or, with AckError, none of it."""
        if last < first or not types or (len(types) != 1 and len(types) != last - first + 1):
            raise AckError(f"bad acknowledgement batch {first}-{last} with {len(types)} types")
        for i, offset in enumerate(range(first, last + 1)):
            r = self.records.get(offset)
            if r is None or r.state != ACQUIRED or r.member != member:
                raise AckError(f"offset {offset} is not acquired by this member")
            if types[0 if len(types) == 1 else i] not in (GAP, ACCEPT, RELEASE, REJECT, RENEW):
                raise AckError(f"unknown acknowledge type {types[i]}")
        for i, offset in enumerate(range(first, last + 1)):
            kind = types[0 if len(types) == 1 else i]
            r = self.records[offset]
            if kind == ACCEPT:
                self._settle(r, ACKNOWLEDGED)
            elif kind in (GAP, REJECT):
                self._settle(r, ARCHIVED)
            elif kind == RELEASE:
                self._release(r, limit)
            else:  # RENEW: the member keeps the record for another lock duration
                r.deadline = now + lock_seconds
        self._advance_start()

    def expire_locks(self, now: float, limit: int) -> bool:
        """Locks past their deadline give their records back (or archive them at the limit)."""
        changed = False
        for r in self.records.values():
            if r.state == ACQUIRED and r.deadline <= now:
                self._release(r, limit)
                changed = True
        if changed:
            self._advance_start()
        return changed

    def release_member(self, member: str, limit: int) -> bool:
        """A member left or closed its share session: what it held becomes available again."""
        changed = False
        for r in self.records.values():
            if r.state == ACQUIRED and r.member == member:
                self._release(r, limit)
                changed = True
        if changed:
            self._advance_start()
        return changed

    @staticmethod
    def _settle(r: InFlight, state: int) -> None:
        r.state, r.member, r.deadline = state, None, 0.0

    @classmethod
    def _release(cls, r: InFlight, limit: int) -> None:
        # A record delivered `limit` times is archived rather than offered again (poison record).
        cls._settle(r, ARCHIVED if r.delivery_count >= limit else AVAILABLE)

    def _advance_start(self) -> None:
        while self.start < self.end and self.records[self.start].state in (ACKNOWLEDGED, ARCHIVED):
            del self.records[self.start]
            self.start += 1
