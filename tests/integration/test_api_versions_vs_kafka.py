"""fastlog's ApiVersions beside a real Apache Kafka 4.4 broker's (kafka_dist.KafkaBroker).

Every API key Kafka lists, fastlog lists with the same version range, or the README's table
"APIs Kafka 4.4 serves that fastlog does not" names it with a reason; and the answers of the
versions new in 4.4 (ApiVersions v5's cluster check, ListOffsets v11, OffsetCommit/OffsetFetch
v10 by topic id) are the same as Kafka's.
"""
from __future__ import annotations

import pathlib
import re

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from fastlog.protocol.errors import ErrorCode

from clients import RawConnection

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
NOT_SERVED_HEADING = "### APIs Kafka 4.4 serves that fastlog does not"
UNKNOWN_ID = b"\x01" * 16


@pytest.fixture
def kafka(kafka_reference):
    return kafka_reference


def _api_versions(bootstrap: str, version: int = 3, **fields) -> dict:
    body = {"client_software_name": "fastlog-test", "client_software_version": "1", **fields}
    with RawConnection(bootstrap) as conn:
        return conn.call(18, version, body)


def _ranges(answer: dict) -> dict[int, tuple[int, int]]:
    return {k["api_key"]: (k["min_version"], k["max_version"]) for k in answer["api_keys"]}


def _not_served_in_readme() -> set[int]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(NOT_SERVED_HEADING):]
    section = section[:section.index("\n\n", section.index("|---|"))]
    keys: set[int] = set()
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| API"):
            keys.update(int(k) for k in re.findall(r"\((\d+)\)", line.split("|")[1]))
    return keys


def test_every_api_kafka_serves_is_served_alike_or_listed_in_the_readme(kafka, broker):
    theirs, ours = _ranges(_api_versions(kafka.bootstrap)), _ranges(_api_versions(broker.bootstrap))
    different = {key: (theirs[key], ours[key]) for key in theirs.keys() & ours.keys() if theirs[key] != ours[key]}
    assert different == {}, "version ranges that differ from Kafka's (kafka, fastlog)"
    missing = set(theirs) - set(ours)
    listed = _not_served_in_readme()
    assert missing == listed, (f"served by Kafka, not by fastlog, not in the README: {sorted(missing - listed)}; "
                               f"in the README but served or unknown to Kafka: {sorted(listed - missing)}")
    assert set(ours) - set(theirs) == set(), "fastlog lists an API Kafka does not"


@pytest.mark.parametrize("fields", [
    {"cluster_id": "not-this-cluster", "node_id": 1},
    {"cluster_id": None, "node_id": 7},
    {"cluster_id": "not-this-cluster", "node_id": -1},
    {},
], ids=["wrong-cluster", "node-without-cluster", "cluster-without-node", "neither"])
def test_api_versions_v5_checks_the_target_as_kafka(kafka, broker, fields):
    assert _api_versions(broker.bootstrap, 5, **fields)["error_code"] == \
        _api_versions(kafka.bootstrap, 5, **fields)["error_code"]


def test_api_versions_v5_with_our_own_ids(broker):
    with RawConnection(broker.bootstrap) as conn:
        cluster = conn.call(60, 0, {"include_cluster_authorized_operations": False})
    cluster_id, node_id = cluster["cluster_id"], cluster["controller_id"]
    answer = _api_versions(broker.bootstrap, 5, cluster_id=cluster_id, node_id=node_id)
    assert answer["error_code"] == 0 and answer["api_keys"]
    wrong_node = _api_versions(broker.bootstrap, 5, cluster_id=cluster_id, node_id=node_id + 1)
    assert wrong_node["error_code"] == ErrorCode.REBOOTSTRAP_REQUIRED


def _topic_id(bootstrap: str, name: str) -> bytes:
    """Create the topic with one record in it; its id."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(name, b"one")
    assert producer.flush(30) == 0
    with RawConnection(bootstrap) as conn:
        answer = conn.call(3, 12, {"topics": [{"name": name, "topic_id": bytes(16)}],
                                   "allow_auto_topic_creation": False, "include_topic_authorized_operations": False})
    return answer["topics"][0]["topic_id"]


def _list_offsets(bootstrap: str, name: str, timestamp: int) -> dict:
    with RawConnection(bootstrap) as conn:
        answer = conn.call(2, 11, {"replica_id": -1, "isolation_level": 0, "timeout_ms": 1000, "topics": [
            {"name": name, "partitions": [{"partition_index": 0, "timestamp": timestamp}]}]})
    return answer["topics"][0]["partitions"][0]


def test_list_offsets_v11_as_kafka(kafka, broker):
    for b in (kafka, broker):
        _topic_id(b.bootstrap, "lo")
    # latest, earliest, earliest-local, latest-tiered, earliest-pending-upload, a time after all
    for timestamp in (-1, -2, -4, -5, -6, 2**62):
        assert _list_offsets(broker.bootstrap, "lo", timestamp) == _list_offsets(kafka.bootstrap, "lo", timestamp)


def test_offset_commit_and_fetch_v10_by_topic_id(broker):
    topic_id = _topic_id(broker.bootstrap, "by-id")
    partition = {"partition_index": 0, "committed_offset": 5, "committed_leader_epoch": -1, "committed_metadata": "m"}
    with RawConnection(broker.bootstrap) as conn:
        committed = conn.call(8, 10, {"group_id": "g10", "generation_id_or_member_epoch": -1, "member_id": "",
                                      "group_instance_id": None, "topics": [
                                          {"topic_id": topic_id, "partitions": [partition]},
                                          {"topic_id": UNKNOWN_ID, "partitions": [partition]}]})
        assert [(t["topic_id"], [p["error_code"] for p in t["partitions"]]) for t in committed["topics"]] == \
            [(topic_id, [ErrorCode.NONE]), (UNKNOWN_ID, [ErrorCode.UNKNOWN_TOPIC_ID])]
        fetched = conn.call(9, 10, {"require_stable": False, "groups": [
            {"group_id": "g10", "member_id": None, "member_epoch": -1,
             "topics": [{"topic_id": topic_id, "partition_indexes": [0]},
                        {"topic_id": UNKNOWN_ID, "partition_indexes": [0]}]}]})
        (group,) = fetched["groups"]
        rows = [(t["topic_id"], p["partition_index"], p["committed_offset"], p["metadata"], p["error_code"])
                for t in group["topics"] for p in t["partitions"]]
        assert rows == [(topic_id, 0, 5, "m", 0), (UNKNOWN_ID, 0, -1, "", ErrorCode.UNKNOWN_TOPIC_ID)]
        everything = conn.call(9, 10, {"require_stable": False, "groups": [
            {"group_id": "g10", "member_id": None, "member_epoch": -1, "topics": None}]})
        assert [(t["topic_id"], [p["committed_offset"] for p in t["partitions"]])
                for t in everything["groups"][0]["topics"]] == [(topic_id, [5])]
