"""The share-partition state machine (coordinator/share_partition.py) over real record batches:
acquisition, acknowledgement, lock expiry, the delivery count limit and the stored form."""
from __future__ import annotations

import struct

import pytest

from fastlog import _native
from fastlog.coordinator.share_partition import (
    ACCEPT,
    ACKNOWLEDGED,
    ARCHIVED,
    AVAILABLE,
    GAP,
    REJECT,
    RELEASE,
    RENEW,
    AckError,
    Acquired,
    SharePartition,
    batch_spans,
)
from fastlog.coordinator.share_state_log import decode_key, encode_key

LOCK = 30.0
LIMIT = 3


def batch(base: int, count: int, control: bool = False) -> bytes:
    data = bytearray(_native.build_batch([(None, b"v%d" % i, [], 0) for i in range(count)], control=control))
    struct.pack_into(">q", data, 0, base)   # the log would assign the base offset
    return bytes(data)


def region(*batches: bytes) -> bytes:
    return b"".join(batches)


def test_batch_spans_reads_offsets_and_drops_a_partial_batch():
    data = region(batch(0, 3), batch(3, 2, control=True))
    spans = batch_spans(data + batch(5, 1)[:20])
    assert [(s.base_offset, s.last_offset, s.skip) for s in spans] == [(0, 2, False), (3, 4, True)]
    assert spans[-1].end_position == len(data)


def test_acquire_whole_batches_up_to_max_records_and_skip_what_others_hold():
    sp = SharePartition(0)
    spans = batch_spans(region(batch(0, 3), batch(3, 3), batch(6, 3)))
    runs, used = sp.acquire("a", spans, 4, 2000, LOCK, LIMIT, now=0)
    # 4 records asked: the second batch is taken whole (6 records), the third is not touched
    assert runs == [Acquired(0, 5, 1)] and used == spans[1].end_position
    runs, _ = sp.acquire("b", spans, 100, 2000, LOCK, LIMIT, now=0)
    assert runs == [Acquired(6, 8, 1)]
    assert sp.acquire("c", spans, 100, 2000, LOCK, LIMIT, now=0) == ([], 0)


def test_acknowledge_moves_the_start_and_release_redelivers_with_a_higher_count():
    sp = SharePartition(0)
    spans = batch_spans(region(batch(0, 4)))
    sp.acquire("a", spans, 100, 2000, LOCK, LIMIT, now=0)
    sp.acknowledge("a", 0, 3, [ACCEPT, RELEASE, REJECT, ACCEPT], LIMIT, LOCK, now=1)
    assert sp.start == 1 and sp.next_fetch_offset() == 1
    assert [r.state for r in sp.records.values()] == [AVAILABLE, ARCHIVED, ACKNOWLEDGED]
    runs, _ = sp.acquire("b", spans, 100, 2000, LOCK, LIMIT, now=2)
    assert runs == [Acquired(1, 1, 2)]
    sp.acknowledge("b", 1, 1, [ACCEPT], LIMIT, LOCK, now=3)
    assert (sp.start, sp.end, sp.records) == (4, 4, {})


def test_acknowledging_records_not_held_changes_nothing():
    sp = SharePartition(0)
    spans = batch_spans(region(batch(0, 2)))
    sp.acquire("a", spans, 100, 2000, LOCK, LIMIT, now=0)
    with pytest.raises(AckError):
        sp.acknowledge("b", 0, 0, [ACCEPT], LIMIT, LOCK, now=1)
    with pytest.raises(AckError):   # offset 2 was never acquired: offset 1 stays acquired too
        sp.acknowledge("a", 1, 2, [ACCEPT], LIMIT, LOCK, now=1)
    with pytest.raises(AckError):
        sp.acknowledge("a", 0, 1, [ACCEPT, ACCEPT, ACCEPT], LIMIT, LOCK, now=1)
    assert sp.start == 0 and all(r.member == "a" for r in sp.records.values())


def test_lock_expiry_and_the_delivery_count_limit_archive_a_poison_record():
    sp = SharePartition(0)
    spans = batch_spans(region(batch(0, 1), batch(1, 1)))
    for delivery in range(1, LIMIT + 1):
        runs, _ = sp.acquire("a", spans, 1, 2000, LOCK, LIMIT, now=delivery * 100)
        assert runs == [Acquired(0, 0, delivery)]
        assert not sp.expire_locks(delivery * 100 + LOCK - 1, LIMIT)
        assert sp.expire_locks(delivery * 100 + LOCK, LIMIT)
    # delivered LIMIT times: archived, the next fetch gets offset 1
    assert sp.start == 1
    assert sp.acquire("a", spans, 1, 2000, LOCK, LIMIT, now=1000)[0] == [Acquired(1, 1, 1)]


def test_renew_extends_the_lock_and_gap_archives():
    sp = SharePartition(0)
    spans = batch_spans(region(batch(0, 2)))
    sp.acquire("a", spans, 100, 2000, LOCK, LIMIT, now=0)
    sp.acknowledge("a", 0, 1, [RENEW, GAP], LIMIT, LOCK, now=20)
    assert not sp.expire_locks(LOCK + 1, LIMIT)
    assert sp.records[0].deadline == 20 + LOCK and sp.records[1].state == ARCHIVED


def test_in_flight_limit_and_control_batches():
    sp = SharePartition(0)
    spans = batch_spans(region(batch(0, 2), batch(2, 1, control=True), batch(3, 3)))
    runs, _ = sp.acquire("a", spans, 100, 4, LOCK, LIMIT, now=0)
    # the marker (offset 2) is never delivered; at most 4 offsets in flight
    assert runs == [Acquired(0, 1, 1), Acquired(3, 3, 1)] and sp.end == 4
    sp.release_member("a", LIMIT)
    assert sp.next_fetch_offset() == 0


def test_a_full_in_flight_window_leaves_the_records_past_it_for_later():
    # The window fills inside the first batch: the batches read past it must not be taken for a
    # gap (archived undelivered); they are delivered once acknowledgements move the start on.
    sp = SharePartition(0)
    spans = batch_spans(region(batch(0, 3), batch(3, 3), batch(6, 3)))
    runs, _ = sp.acquire("a", spans, 100, 2, LOCK, LIMIT, now=0)
    assert runs == [Acquired(0, 1, 1)] and sp.end == 2
    assert sp.acquire("b", spans, 100, 2, LOCK, LIMIT, now=0) == ([], 0)
    assert sp.end == 2 and set(sp.records) == {0, 1}
    sp.acknowledge("a", 0, 1, [ACCEPT], LIMIT, LOCK, now=1)
    delivered = []
    while (got := sp.acquire("b", spans, 100, 2, LOCK, LIMIT, now=2)[0]):
        delivered += [o for run in got for o in range(run.first_offset, run.last_offset + 1)]
        sp.acknowledge("b", got[0].first_offset, got[-1].last_offset, [ACCEPT], LIMIT, LOCK, now=2)
    assert delivered == list(range(2, 9)) and sp.start == 9


def test_stored_form_round_trips_with_acquired_stored_as_available():
    sp = SharePartition(10)
    spans = batch_spans(region(batch(10, 4)))
    sp.acquire("a", spans, 100, 2000, LOCK, LIMIT, now=0)
    sp.acknowledge("a", 11, 12, [ACCEPT, REJECT], LIMIT, LOCK, now=0)
    stored = sp.state_batches()
    assert stored == [(10, 10, AVAILABLE, 1), (11, 11, ACKNOWLEDGED, 1), (12, 12, ARCHIVED, 1), (13, 13, AVAILABLE, 1)]
    again = SharePartition.restored(sp.start, sp.end, stored)
    assert (again.start, again.end, again.next_fetch_offset()) == (10, 14, 10)
    assert again.acquire("b", spans, 100, 2000, LOCK, LIMIT, now=0)[0] == [Acquired(10, 10, 2), Acquired(13, 13, 2)]
    key = ("gröup", bytes(range(16)), 7)
    assert decode_key(encode_key(key)) == key
