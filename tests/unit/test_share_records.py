"""The share-group records of `__consumer_offsets` (coordinator/share_records.py): Kafka's byte
layout of keys and values, and the replay that rebuilds groups from them."""
from __future__ import annotations

import pytest

from fastlog.coordinator import share_records as rec

TOPIC = bytes(range(16))


def test_key_and_value_layout():
    # Keys: int16 record type, then int16-length strings (non-flexible).
    assert rec.key(rec.MEMBER_METADATA, "g", "m") == b"\x00\x0a\x00\x01g\x00\x01m"
    assert rec.key(rec.GROUP_METADATA, "g") == b"\x00\x0b\x00\x01g"
    # Values: int16 version 0, flexible fields (compact strings/arrays: length + 1), no tags.
    assert rec.target_metadata_value(7) == b"\x00\x00\x00\x00\x00\x07\x00"
    # Type 11: epoch, then MetadataHash int64 (a plain field in Kafka's schema, not a tagged one).
    assert rec.group_value(7) == b"\x00\x00\x00\x00\x00\x07" + bytes(8) + b"\x00"
    member = rec.StoredShareMember(None, "c", "/h", ["t"], 3, 2, {TOPIC: {1, 0}})
    assert rec.member_value(member) == b"\x00\x00" + b"\x00" + b"\x02c" + b"\x03/h" + b"\x02\x02t" + b"\x00"
    assert rec.current_member_value(member) == (b"\x00\x00" + b"\x00\x00\x00\x03" + b"\x00\x00\x00\x02" + b"\x00"
                                                + b"\x02" + TOPIC + b"\x03" + b"\x00\x00\x00\x00\x00\x00\x00\x01"
                                                + b"\x00" + b"\x00")


def test_replay_keeps_the_last_record_of_each_key_and_honours_tombstones():
    groups: dict[str, rec.StoredShareGroup] = {}
    a = rec.StoredShareMember("r1", "c1", "/h1", ["t"], 2, 1, {TOPIC: {0}})
    b = rec.StoredShareMember(None, "c2", "/h2", ["t", "u"], 3, 2, {TOPIC: {1}})
    records = [(rec.key(rec.GROUP_METADATA, "g"), rec.group_value(2)),
               (rec.key(rec.MEMBER_METADATA, "g", "a"), rec.member_value(a)),
               (rec.key(rec.TARGET_MEMBER, "g", "a"), rec.target_member_value({TOPIC: {0, 1}})),
               (rec.key(rec.CURRENT_MEMBER, "g", "a"), rec.current_member_value(a)),
               (rec.key(rec.MEMBER_METADATA, "g", "b"), rec.member_value(b)),
               (rec.key(rec.CURRENT_MEMBER, "g", "b"), rec.current_member_value(b)),
               (rec.key(rec.GROUP_METADATA, "g"), rec.group_value(3)),
               (rec.key(rec.TARGET_METADATA, "g"), rec.target_metadata_value(3)),
               *rec.member_tombstones("g", "b"),
               (rec.key(rec.GROUP_METADATA, "gone"), rec.group_value(1)),
               *rec.group_tombstones("gone")]
    for k, v in records:
        rec.replay(groups, k, v)
    g = groups["g"]
    assert (g.epoch, g.assignment_epoch, set(g.members), g.has_metadata) == (3, 3, {"a"}, {"a"})
    m = g.members["a"]
    assert (m.rack_id, m.client_id, m.client_host, m.subscribed_topic_names) == ("r1", "c1", "/h1", ["t"])
    assert (m.member_epoch, m.previous_member_epoch, m.assigned, m.target) == (2, 1, {TOPIC: {0}}, {TOPIC: {0, 1}})
    assert groups["gone"].epoch is None


def test_a_malformed_key_is_refused():
    with pytest.raises(ValueError):
        rec.decode_key(b"\x00\x0a\x00\x01g\xff\xff")   # member id null


def test_group_metadata_written_before_the_metadata_hash_still_loads():
    # Logs written before type 11 matched Kafka's layout: version 0, epoch 5, no hash, no tags.
    groups: dict[str, rec.StoredShareGroup] = {}
    rec.replay(groups, rec.key(rec.GROUP_METADATA, "old"), b"\x00\x00\x00\x00\x00\x05\x00")
    assert groups["old"].epoch == 5
