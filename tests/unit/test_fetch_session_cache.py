"""The fetch session cache (fastlog/fetch_sessions.py): epochs, incremental updates and Kafka's
eviction rules, with a hand-driven clock."""
from __future__ import annotations

from fastlog.fetch_sessions import (
    EVICTION_MS,
    FINAL_EPOCH,
    INT32_MAX,
    INVALID_SESSION_ID,
    CachedPartition,
    FetchSessionCache,
    next_epoch,
)
from fastlog.protocol.errors import ErrorCode


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


def parts(n: int, topic: str = "t") -> dict:
    return {(topic, i): CachedPartition(topic, i, 0, 1 << 20) for i in range(n)}


def create(cache: FetchSessionCache, size: int, privileged: bool = False) -> int:
    return cache.maybe_create(privileged, False, size, lambda: parts(size))


def test_next_epoch_wraps_to_one_and_never_leaves_final():
    assert next_epoch(0) == 1
    assert next_epoch(41) == 42
    assert next_epoch(INT32_MAX) == 1
    assert next_epoch(FINAL_EPOCH) == FINAL_EPOCH


def test_incremental_epochs_and_errors():
    cache = FetchSessionCache(10, clock_ms=Clock())
    sid = create(cache, 3)
    assert sid != INVALID_SESSION_ID and cache.get(sid).epoch == 1
    session, error = cache.open_incremental(sid, 1, False, [], [])
    assert error == 0 and session is not None and session.epoch == 2
    # a replayed epoch, a future epoch: rejected, and the session's epoch stays
    assert cache.open_incremental(sid, 1, False, [], []) == (None, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    assert cache.open_incremental(sid, 3, False, [], []) == (None, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    assert cache.get(sid).epoch == 2
    assert cache.open_incremental(sid + 1, 2, False, [], []) == (None, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    # the session was opened by name (v7-12): a v13+ fetch (topic ids) may not use it
    assert cache.open_incremental(sid, 2, True, [], []) == (None, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
    assert cache.incremental == 1


def test_update_adds_moves_and_forgets_partitions():
    cache = FetchSessionCache(10, clock_ms=Clock())
    sid = create(cache, 2)
    session, _ = cache.open_incremental(sid, 1, False, [("t", 1, 50, 100), ("u", 0, 7, 200)], [("t", 0)])
    assert session is not None
    assert [(c.topic, c.index, c.fetch_offset, c.max_bytes) for c in session.partitions.values()] == \
        [("t", 1, 50, 100), ("u", 0, 7, 200)]
    # a new partition has never been answered: its high watermark is unknown, so it is sent
    assert session.partitions[("u", 0)].high_watermark == -1
    # forgetting the last partitions closes the session
    assert cache.open_incremental(sid, 2, False, [], [("t", 1), ("u", 0)]) == (None, 0)
    assert cache.get(sid) is None and len(cache) == 0


def test_session_indexes_by_topic_follow_added_and_forgotten_partitions():
    cache = FetchSessionCache(10, clock_ms=Clock())
    sid = create(cache, 2)
    session = cache.get(sid)
    assert session is not None and session.indexes_by_topic() == {"t": [0, 1]}
    cache.open_incremental(sid, 1, False, [("u", 0, 0, 100)], [])
    assert session.indexes_by_topic() == {"t": [0, 1], "u": [0]}
    cache.open_incremental(sid, 2, False, [("t", 0, 5, 100)], [("u", 0), ("v", 3)])  # v: never in it
    assert session.indexes_by_topic() == {"t": [0, 1]}
    cache.open_incremental(sid, 3, False, [], [("t", 0)])
    assert session.indexes_by_topic() == {"t": [1]}
    cache.open_incremental(sid, 4, False, [("w", 2, 0, 100)], [("t", 1)])
    assert session.indexes_by_topic() == {"w": [2]}


def test_must_respond_on_data_moves_and_errors_and_remembers():
    part = CachedPartition("t", 0, 0, 100, high_watermark=10, log_start_offset=0, last_stable_offset=10)
    assert not part.must_respond(0, 10, 0, 10, has_records=False)
    assert part.must_respond(0, 10, 0, 10, has_records=True)
    assert part.must_respond(0, 11, 0, 11, has_records=False)
    assert not part.must_respond(0, 11, 0, 11, has_records=False)  # remembered
    assert part.must_respond(0, 11, 5, 11, has_records=False)  # log start moved (retention)
    assert part.must_respond(0, 11, 5, 9, has_records=False)  # last stable offset moved
    assert part.must_respond(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1, -1, has_records=False)
    assert part.must_respond(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1, -1, has_records=False)
    # once the error is gone the partition is sent again, even if its offsets are as before
    assert part.must_respond(0, 11, 5, 9, has_records=False)


def test_move_to_end_orders_the_session():
    cache = FetchSessionCache(10, clock_ms=Clock())
    sid = create(cache, 3)
    session = cache.get(sid)
    session.move_to_end(session.partitions[("t", 0)])
    assert [c.index for c in session.partitions.values()] == [1, 2, 0]


def test_full_cache_refuses_new_sessions_while_all_are_young_and_used():
    clock = Clock()
    cache = FetchSessionCache(2, clock_ms=clock)
    a, b = create(cache, 5), create(cache, 5)
    assert a and b and a != b
    clock.now += EVICTION_MS  # not yet older than the eviction time
    assert create(cache, 100) == INVALID_SESSION_ID
    assert cache.get(a) is not None and cache.get(b) is not None and cache.evicted == 0


def test_stale_least_recently_used_session_is_evicted_first():
    clock = Clock()
    cache = FetchSessionCache(2, clock_ms=clock)
    a = create(cache, 50)
    clock.now += 1000
    b = create(cache, 1)
    clock.now += EVICTION_MS + 1  # both unused since: a is stale, least recently used
    cache.touch(cache.get(b), clock.now)
    c = create(cache, 1)  # smaller than a, yet a goes: staleness comes before size
    assert c != INVALID_SESSION_ID
    assert cache.get(a) is None and cache.get(b) is not None and cache.evicted == 1


def test_old_sessions_are_evicted_by_size_among_the_evictable():
    clock = Clock()
    cache = FetchSessionCache(2, clock_ms=clock)
    small, big = create(cache, 3), create(cache, 30)
    clock.now += EVICTION_MS + 1
    # used recently (not stale) but created long ago: evictable by everyone
    for sid in (small, big):
        session = cache.get(sid)
        cache.open_incremental(sid, session.epoch, False, [], [])
    assert create(cache, 2) == INVALID_SESSION_ID  # worth less than the smallest evictable
    newcomer = create(cache, 3)  # worth as much as `small` (ties go to the newcomer, as Kafka)
    assert newcomer != INVALID_SESSION_ID
    assert cache.get(small) is None and cache.get(big) is not None


def test_privileged_session_evicts_a_young_consumer_session():
    clock = Clock()
    cache = FetchSessionCache(1, clock_ms=clock)
    consumer = create(cache, 100)
    assert create(cache, 1000) == INVALID_SESSION_ID  # consumers cannot evict young sessions
    follower = create(cache, 1, privileged=True)
    assert follower != INVALID_SESSION_ID and cache.get(consumer) is None
    # a young privileged session is safe even from another follower
    assert create(cache, 1000, privileged=True) == INVALID_SESSION_ID


def test_zero_slots_means_no_sessions():
    cache = FetchSessionCache(0, clock_ms=Clock())
    assert create(cache, 5) == INVALID_SESSION_ID and len(cache) == 0
