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
