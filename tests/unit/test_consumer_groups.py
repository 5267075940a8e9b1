"""KIP-848 pieces without a broker: the server assignors, the reconciliation rule (revoke
before reassigning) and the record formats of consumer groups in __consumer_offsets."""
from __future__ import annotations

from fastlog.coordinator import consumer_records as rec
from fastlog.coordinator.assignors import range_, uniform
from fastlog.coordinator.consumer_state import ConsumerGroupState, ConsumerMember, MemberState, reconcile

T1, T2 = b"\x01" * 16, b"\x02" * 16


def sizes(out):
    return sorted(sum(len(p) for p in a.values()) for a in out.values())


def test_uniform_is_balanced_and_sticky():
    members = {"a": {T1}, "b": {T1}, "c": {T1}}
    first = uniform(members, {T1: 7}, {})
    assert sizes(first) == [2, 2, 3]
    assert set().union(*(a.get(T1, set()) for a in first.values())) == set(range(7))
    # A fourth member: everyone keeps what they can, the newcomer gets the surplus.
    members["d"] = {T1}
    second = uniform(members, {T1: 7}, first)
    assert sizes(second) == [1, 2, 2, 2]
    for m in "abc":
        assert second[m][T1] <= first[m][T1]


def test_uniform_respects_subscriptions():
    out = uniform({"a": {T1}, "b": {T1, T2}}, {T1: 2, T2: 4}, {})
    assert T2 not in out["a"]
    assert sum(len(p) for p in out["a"].values()) + sum(len(p) for p in out["b"].values()) == 6


def test_range_gives_contiguous_ranges_per_topic():
    out = range_({"b": {T1}, "a": {T1, T2}}, {T1: 5, T2: 2}, {})
    assert out["a"] == {T1: {0, 1, 2}, T2: {0, 1}}
    assert out["b"] == {T1: {3, 4}}


def test_a_partition_is_revoked_before_it_moves():
    g = ConsumerGroupState()
    a, b = ConsumerMember("a"), ConsumerMember("b")
    g.add(a)
    g.add(b)
    g.group_epoch = g.assignment_epoch = 1
    g.target = {"a": {T1: {0, 1}}, "b": {}}
    reconcile(g, a, {}, 0.0)
    assert (a.member_epoch, a.assigned, a.state) == (1, {T1: {0, 1}}, MemberState.STABLE)
    g.group_epoch = g.assignment_epoch = 2
    g.target = {"a": {T1: {0}}, "b": {T1: {1}}}
    # b cannot have partition 1 while a still owns it.
    reconcile(g, b, {}, 0.0)
    assert (b.member_epoch, b.assigned, b.state) == (2, {}, MemberState.UNRELEASED_PARTITIONS)
    # a must give it up first, staying at its epoch until it acks.
    reconcile(g, a, {T1: {0, 1}}, 0.0)
    assert (a.member_epoch, a.assigned, a.pending_revocation, a.state) == \
        (1, {T1: {0}}, {T1: {1}}, MemberState.UNREVOKED_PARTITIONS)
    assert not reconcile(g, a, {T1: {0, 1}}, 0.0)  # not acked yet
    reconcile(g, a, {T1: {0}}, 0.0)               # acked
    assert (a.member_epoch, a.previous_member_epoch, a.state) == (2, 1, MemberState.STABLE)
    reconcile(g, b, {}, 0.0)
    assert (b.assigned, b.state) == ({T1: {1}}, MemberState.STABLE)
    assert g.state_name() == "Stable"


def test_records_round_trip_through_replay():
    m = rec.StoredMember("inst", None, "client", "/127.0.0.1", ["t1", "t2"], "^t.*", "uniform", 30000,
                         5, 4, 2, {T1: {0, 3}}, {T2: {1}})
    records = [
        (rec.key(rec.GROUP_METADATA, "g"), rec.group_value(5)),
        (rec.key(rec.MEMBER_METADATA, "g", "m1"), rec.member_value(m)),
        (rec.key(rec.CURRENT_MEMBER, "g", "m1"), rec.current_member_value(m)),
        (rec.key(rec.TARGET_MEMBER, "g", "m1"), rec.target_member_value({T1: {0, 3}})),
        (rec.key(rec.TARGET_METADATA, "g"), rec.target_metadata_value(5)),
        (rec.key(rec.MEMBER_METADATA, "g", "gone"), rec.member_value(rec.StoredMember())),
        (rec.key(rec.MEMBER_METADATA, "g", "gone"), None),
    ]
    groups: dict[str, rec.StoredConsumerGroup] = {}
    for k, v in records:
        rec.replay(groups, k, v)
    g = groups["g"]
    assert (g.epoch, g.assignment_epoch, g.targets) == (5, 5, {"m1": {T1: {0, 3}}})
    assert g.has_metadata == {"m1"} and set(g.members) == {"m1"}
    assert g.members["m1"] == m


def test_member_metadata_is_laid_out_as_kafkas_schema():
    # ConsumerGroupMemberMetadataValue v0: InstanceId, RackId, ClientId, ClientHost,
    # SubscribedTopicNames, SubscribedTopicRegex, RebalanceTimeoutMs, ServerAssignor, tags.
    m = rec.StoredMember(None, "r", "c", "/h", ["t"], None, "range", 300000)
    assert rec.member_value(m) == (b"\x00\x00" + b"\x00" + b"\x02r" + b"\x02c" + b"\x03/h" + b"\x02\x02t" + b"\x00"
                                   + b"\x00\x04\x93\xe0" + b"\x06range" + b"\x00")


def test_member_metadata_of_the_old_layout_still_loads():
    # Written before fastlog matched Kafka: ServerAssignor before RebalanceTimeoutMs.
    old_with_assignor = (b"\x00\x00" + b"\x05inst" + b"\x00" + b"\x02c" + b"\x03/h" + b"\x02\x02t" + b"\x00"
                         + b"\x08uniform" + b"\x00\x04\x93\xe0" + b"\x00")
    old_without_assignor = (b"\x00\x00" + b"\x00" + b"\x00" + b"\x02c" + b"\x03/h" + b"\x03\x02t\x02u" + b"\x04^x."
                            + b"\x00" + b"\x00\x00\x75\x30"
                            # tag 0: ClassicMemberMetadata (session timeout 45000, [("range", b"\x01\x02")])
                            + b"\x01" + b"\x00" + b"\x10" + b"\x00\x00\xaf\xc8" + b"\x02" + b"\x06range"
                            + b"\x03\x01\x02" + b"\x00" + b"\x00")
    a, b = rec.StoredMember(), rec.StoredMember()
    rec.decode_member(old_with_assignor, a)
    rec.decode_member(old_without_assignor, b)
    assert (a.instance_id, a.client_id, a.client_host, a.subscribed_topic_names, a.server_assignor,
            a.rebalance_timeout_ms) == ("inst", "c", "/h", ["t"], "uniform", 300000)
    assert (b.instance_id, b.subscribed_topic_names, b.subscribed_topic_regex, b.server_assignor,
            b.rebalance_timeout_ms, b.classic_session_timeout_ms, b.classic_protocols) == \
        (None, ["t", "u"], "^x.", None, 30000, 45000, [("range", b"\x01\x02")])
    # Rewritten, the same member comes out in Kafka's layout and reads back unchanged.
    again = rec.StoredMember()
    rec.decode_member(rec.member_value(b), again)
    assert again == b
