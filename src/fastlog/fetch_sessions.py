"""Fetch sessions (KIP-227): the broker's cache of incremental fetch sessions.

A consumer that fetches many partitions opens a session with a full fetch (session_epoch 0);
the answer carries a new, non-zero session id. From then on it sends incremental fetches
(session id, epoch 1, 2, ...) naming only the partitions whose fetch position changed, plus the
ones to add or forget, and the broker answers only the partitions with something new: records,
a moved high watermark / log start offset / last stable offset, or an error. The broker keeps
each session's partitions (FetchSession) and what it last told the client about them
(CachedPartition).

The rules are Kafka's (FetchManager / FetchSession / FetchSessionCacheShard):
- a full fetch (epoch 0 or FINAL_EPOCH -1) naming a session closes that session; epoch 0 then
  tries to open a new one, -1 does not (a sessionless fetch, session_id 0 in the answer);
- an incremental fetch names a session in the cache (else FETCH_SESSION_ID_NOT_FOUND), carries
  the session's current epoch (else INVALID_FETCH_SESSION_EPOCH) and uses topic ids exactly when
  the session does, i.e. when both are Fetch v13+ (else FETCH_SESSION_TOPIC_ID_ERROR); an
  incremental fetch that forgets every partition closes its session and is answered sessionless;
- sessions are not tied to a connection or a client: whoever knows the id and epoch may use it;
- the cache holds at most `max.incremental.fetch.session.cache.slots` sessions. When full, a new
  session may evict (1) the least recently used session if it was unused for EVICTION_MS, else
  (2) the least valuable evictable one if the new session is worth at least as much, where value
  orders (privileged, number of partitions) and a session becomes evictable by everyone
  EVICTION_MS after its creation, by a privileged (follower) session at once unless it is
  privileged itself. If nothing can be evicted the fetch is answered without a session (id 0),
  and the client keeps sending full fetches.
Kafka splits its cache into 8 shards (each with an eighth of the slots, evicting only within
itself); a single node needs no locking, so this is one cache with all the slots.
"""
from __future__ import annotations

import random
import threading
import time
from typing import Callable, Hashable, Iterable, Optional

from fastlog import _native
from fastlog.protocol.errors import ErrorCode

INVALID_SESSION_ID = 0
INITIAL_EPOCH = 0
FINAL_EPOCH = -1
INT32_MAX = 0x7FFFFFFF
# Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: how long a session is safe from eviction.
EVICTION_MS = 120_000


def next_epoch(epoch: int) -> int:
    """The epoch after `epoch` (Kafka's FetchMetadata.nextEpoch): wraps to 1, never back to 0."""
    if epoch < 0:
        return FINAL_EPOCH
    return 1 if epoch == INT32_MAX else epoch + 1


class CachedPartition(_native.SessionPartition):
    """One partition of a session: where the client reads it from (its last fetch_offset and
    partition_max_bytes) and what the broker last answered about it (high_watermark, -1 for a
    partition not answered yet, which is then sent next time; log_start_offset,
    last_stable_offset). CachedPartition(topic, index, fetch_offset, max_bytes[,
    high_watermark, log_start_offset, last_stable_offset]); `topic` is the name (Fetch v7-12) or
    the topic id (v13+), as the client names it. The fields are stored natively so that
    _native.session_changes reads a thousand of them without an attribute lookup each; the rules
    are here."""

    __slots__ = ()

    def must_respond(self, error_code: int, high_watermark: int, log_start_offset: int, last_stable_offset: int,
                     has_records: bool) -> bool:
        """Whether an incremental answer includes this partition (Kafka's maybeUpdateResponseData),
        remembering what it tells the client. Kafka compares the high watermark and the log start
        offset; the last stable offset is compared too, so a read_committed consumer always learns
        of a move (on one node it moves with a marker append, which moves the high watermark too)."""
        respond = has_records
        if high_watermark != self.high_watermark:
            respond = True
            self.high_watermark = high_watermark
        if log_start_offset != self.log_start_offset:
            respond = True
            self.log_start_offset = log_start_offset
        if last_stable_offset != self.last_stable_offset:
            respond = True
            self.last_stable_offset = last_stable_offset
        if error_code:
            # Sent every time; -1 makes the partition be sent once more when the error is gone.
            self.high_watermark = -1
            respond = True
        return respond


class FetchSession:
    def __init__(self, session_id: int, privileged: bool, uses_topic_ids: bool,
                 partitions: dict[tuple[Hashable, int], CachedPartition], now_ms: int) -> None:
        self.id = session_id
        self.privileged = privileged  # opened by a follower (replica_id >= 0)
        self.uses_topic_ids = uses_topic_ids
        # In answer order: a partition answered with records moves to the end, so that when
        # max_bytes cuts an answer short, the next answers start with the partitions left out.
        self.partitions = partitions
        self.epoch = next_epoch(INITIAL_EPOCH)
        self.created_ms = now_ms
        self.last_used_ms = now_ms
        # Set when the cache touches the session, as Kafka: its size then and whether it may be evicted.
        self.cached_size = len(partitions)
        self.evictable_by_all = False
        self.evictable_by_privileged = False
        self._by_topic: Optional[dict] = None  # indexes_by_topic(), until a partition is added or forgotten

    def __len__(self) -> int:
        return len(self.partitions)

    def indexes_by_topic(self) -> dict[Hashable, list[int]]:
        """The session's partitions by topic (name or id) -> their indexes, kept between fetches
        (do not change it): each incremental fetch resolves the topics and, when it long-polls,
        waits on these; over many partitions collecting them was a share of the fetch."""
        if self._by_topic is None:
            by_topic: dict[Hashable, list[int]] = {}
            for topic, index in self.partitions:
                by_topic.setdefault(topic, []).append(index)
            self._by_topic = by_topic
        return self._by_topic

    def update(self, fetch_data: Iterable[tuple[Hashable, int, int, int]],
               forgotten: Iterable[tuple[Hashable, int]]) -> None:
        """Apply an incremental request: (topic, partition, fetch_offset, partition_max_bytes) adds
        a partition or moves its position; (topic, partition) in `forgotten` drops it."""
        for topic, index, fetch_offset, max_bytes in fetch_data:
            cached = self.partitions.get((topic, index))
            if cached is None:
                self.partitions[(topic, index)] = CachedPartition(topic, index, fetch_offset, max_bytes)
                self._by_topic = None
            else:
                cached.fetch_offset = fetch_offset
                cached.max_bytes = max_bytes
        for key in forgotten:
            if self.partitions.pop(key, None) is not None:
                self._by_topic = None

    def move_to_end(self, cached: CachedPartition) -> None:
        key = (cached.topic, cached.index)
        if self.partitions.get(key) is cached:
            self.partitions[key] = self.partitions.pop(key)


class FetchSessionCache:
    """The sessions of this broker, at most `max_entries` of them (see the module docstring).
    Fetches run on every network loop (server/network_loops.py): a caller holds `lock` around
    each use of the cache and of a session taken from it (never across an await)."""

    def __init__(self, max_entries: int, eviction_ms: int = EVICTION_MS,
                 clock_ms: Callable[[], int] = lambda: int(time.monotonic() * 1000)) -> None:
        self.max_entries = max_entries
        self.eviction_ms = eviction_ms
        self._clock_ms = clock_ms
        # Least recently used first (touch moves a session to the end).
        self._sessions: dict[int, FetchSession] = {}
        self.lock = threading.Lock()
        # Counters for logs and tests: sessions opened, sessions evicted, incremental fetches served.
        self.created = 0
        self.evicted = 0
        self.incremental = 0

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: int) -> Optional[FetchSession]:
        return self._sessions.get(session_id)

    def remove(self, session_id: int) -> Optional[FetchSession]:
        return self._sessions.pop(session_id, None)

    def total_partitions(self) -> int:
        return sum(s.cached_size for s in self._sessions.values())

    def touch(self, session: FetchSession, now_ms: int) -> None:
        """Mark `session` used now: most recently used, and re-rate its evictability."""
        if self._sessions.pop(session.id, None) is not None:
            self._sessions[session.id] = session
        session.last_used_ms = now_ms
        session.cached_size = len(session)
        old = now_ms - session.created_ms > self.eviction_ms
        session.evictable_by_all = old
        session.evictable_by_privileged = old or not session.privileged

    def maybe_create(self, privileged: bool, uses_topic_ids: bool, size: int,
                     partitions: Callable[[], dict[tuple[Hashable, int], CachedPartition]]) -> int:
        """Open a session of `size` partitions (built by `partitions()` only when there is room):
        its id, or INVALID_SESSION_ID when the cache is full and nothing may be evicted."""
        now = self._clock_ms()
        if len(self._sessions) >= self.max_entries and not self._try_evict(privileged, size, now):
            return INVALID_SESSION_ID
        session_id = random.randint(1, INT32_MAX - 1)  # positive and unique, as Kafka's
        while session_id in self._sessions:
            session_id = random.randint(1, INT32_MAX - 1)
        session = FetchSession(session_id, privileged, uses_topic_ids, partitions(), now)
        self._sessions[session_id] = session
        self.touch(session, now)
        self.created += 1
        return session_id

    def _try_evict(self, privileged: bool, size: int, now_ms: int) -> bool:
        if not self._sessions:
            return False
        least_recent = next(iter(self._sessions.values()))
        if now_ms - least_recent.last_used_ms > self.eviction_ms:
            victim = least_recent
        else:
            # The least valuable evictable session, by (privileged, size, id) as Kafka's EvictableKey;
            # it goes only if the new session is worth at least as much.
            candidates = [s for s in self._sessions.values()
                          if (s.evictable_by_privileged if privileged else s.evictable_by_all)]
            if not candidates:
                return False
            victim = min(candidates, key=lambda s: (s.privileged, s.cached_size, s.id))
            if (privileged, size) < (victim.privileged, victim.cached_size):
                return False
        del self._sessions[victim.id]
        self.evicted += 1
        return True

    def open_incremental(self, session_id: int, epoch: int, uses_topic_ids: bool,
                         fetch_data: Iterable[tuple[Hashable, int, int, int]],
                         forgotten: Iterable[tuple[Hashable, int]]) -> tuple[Optional[FetchSession], int]:
        """Check and apply an incremental fetch (epoch > 0): (the session, 0) with its epoch moved
        on; (None, 0) when the request forgot the session's last partition (the session is
        closed, the fetch is answered without one); or (None, the session error)."""
        session = self._sessions.get(session_id)
        if session is None:
            return None, ErrorCode.FETCH_SESSION_ID_NOT_FOUND
        if session.epoch != epoch:
            return None, ErrorCode.INVALID_FETCH_SESSION_EPOCH
        if session.uses_topic_ids != uses_topic_ids:
            return None, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR
        session.update(fetch_data, forgotten)
        if not session.partitions:
            del self._sessions[session_id]
            return None, 0
        self.touch(session, self._clock_ms())
        session.epoch = next_epoch(session.epoch)
        self.incremental += 1
        return session, 0
