"""_native.session_changes: which partitions of a fetch session an incremental Fetch must read
(handlers/fetch.py), over real partition logs. Idle means asked from the log end with the log
end, last stable and log start offsets its last answer told; anything else is read."""
from __future__ import annotations

from fastlog import _native
from fastlog.fetch_sessions import CachedPartition

from storage_batches import BASE_TS, batch


def told(topic, plog, index: int, key: str = "t") -> CachedPartition:
    """A session partition whose last answer told the log's current offsets, asked from its end."""
    end = plog.log_end_offset
    return CachedPartition(key, index, end, 1 << 20, end, plog.log_start_offset, plog.last_stable_offset())


def test_idle_partitions_are_left_out_and_every_kind_of_change_is_read(logs):
    topic = logs.create_topic("t", 6)
    for index in range(6):
        logs.append(topic, index, batch([b"a", b"b"]), BASE_TS)
    cached = [told(topic, topic.partitions[i], i) for i in range(6)]
    by_key = {"t": topic.partitions}
    assert _native.session_changes(cached, by_key) == []

    logs.append(topic, 1, batch([b"c"]), BASE_TS)       # a record past where the client asks
    cached[2].fetch_offset = 0                           # the client asks from an earlier offset
    cached[3].high_watermark = -1                        # never answered (or answered an error)
    logs.delete_records_before(topic.partitions[4], 1)   # the log start offset moved
    cached[5].last_stable_offset = 1                     # a last stable offset the client has not heard
    assert _native.session_changes(cached, by_key) == [1, 2, 3, 4, 5]
    assert cached[0].fetch_offset == 2 and _native.session_changes(cached[:1], by_key) == []


def test_partitions_python_must_answer_are_read(logs):
    topic = logs.create_topic("t", 2)
    other = logs.create_topic("u", 1)
    cached = [told(topic, topic.partitions[0], 0), CachedPartition("t", 7, 0, 1 << 20, 0, 0, 0),
              told(other, other.partitions[0], 0, key="u"), CachedPartition("gone", 0, 0, 1 << 20, 0, 0, 0)]
    # index 7: the topic lacks it; "u" refused or unknown (None); "gone": not in the map at all
    assert _native.session_changes(cached, {"t": topic.partitions, "u": None}) == [1, 2, 3]
    # a closed log (its topic deleted while the session lives) fails its read: read, so Python answers
    plog = topic.partitions[0]
    logs.delete_topic("t")
    assert _native.session_changes(cached[:1], {"t": [plog]}) == [0]


def test_a_topic_interleaved_and_named_by_equal_keys_is_found_each_time(logs):
    """The scan looks a topic's logs up once per run of its partitions: runs that alternate
    topics, and keys equal but not the same object (a session's partitions added by later
    requests), must each find their own topic."""
    t, u = logs.create_topic("topic-t", 2), logs.create_topic("u", 2)
    logs.append(u, 1, batch([b"a"]), BASE_TS)
    t_key, t_key_again = "topic-t", "".join(["topic", "-t"])
    assert t_key == t_key_again and t_key is not t_key_again
    cached = [told(t, t.partitions[0], 0, key=t_key), told(u, u.partitions[0], 0, key="u"),
              told(t, t.partitions[1], 1, key=t_key_again), CachedPartition("u", 1, 0, 1 << 20, 0, 0, 0)]
    assert _native.session_changes(cached, {"topic-t": t.partitions, "u": u.partitions}) == [3]
    assert _native.session_changes(cached, {"topic-t": t.partitions, "u": None}) == [1, 3]
    assert _native.session_changes(cached, {"topic-t": None, "u": u.partitions}) == [0, 2, 3]


def test_session_partition_fields_are_the_cached_partitions():
    """CachedPartition keeps its fields in _native.SessionPartition (what session_changes reads)
    and no others: the session's rules live in Python, its data in one place."""
    part = CachedPartition(b"\x01" * 16, 3, 10, 100)
    assert (part.topic, part.index, part.fetch_offset, part.max_bytes) == (b"\x01" * 16, 3, 10, 100)
    assert (part.high_watermark, part.log_start_offset, part.last_stable_offset) == (-1, -1, -1)
    part.fetch_offset = 12
    assert part.fetch_offset == 12 and isinstance(part, _native.SessionPartition)
    assert not hasattr(part, "__dict__")


def test_covers_every_partition():
    assert _native.covers_every_partition([2, 0, 1], 3)
    assert _native.covers_every_partition([0, 1, 1, 2, 5, -1], 3)   # repeats and indexes the topic lacks
    assert not _native.covers_every_partition([0, 0, 2], 3)
    assert not _native.covers_every_partition([0, 1, 3], 3)
    assert not _native.covers_every_partition([], 1)
    assert _native.covers_every_partition([], 0)
