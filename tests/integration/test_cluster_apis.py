"""The cluster-level admin APIs a one-node broker answers as a one-node KRaft Kafka does:
DescribeLogDirs (35), ElectLeaders (43), DescribeQuorum (55), DescribeCluster's authorized
operations (60), the client-telemetry pair (71/72) and DescribeTopicPartitions (75).

Driven by real clients (confluent-kafka's AdminClient, Kafka's own tools) and, where a client
does not expose a detail, by raw requests through our codec. The expected values were taken from
Apache Kafka 4.1.1 (kafka_dist.KafkaBroker, single-node KRaft) answering the same requests.
"""
from __future__ import annotations

import glob
import json
import os
import re

import confluent_kafka
import pytest
from confluent_kafka import ElectionType, KafkaError, TopicPartition
from confluent_kafka.admin import AclOperation, AdminClient

from fastlog import kafka_dist as kd

from clients import RawConnection, create_topic, unique_topic

UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, INVALID_REQUEST = 3, 17, 42
ELECTION_NOT_NEEDED, UNKNOWN_SUBSCRIPTION_ID = 84, 117
TOPIC_OPERATIONS = 3576  # READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS
ZERO_UUID = bytes(16)


@pytest.fixture
def raw(broker):
    with RawConnection(broker.bootstrap, timeout=20, client_id="cluster-apis") as conn:
        yield conn


@pytest.fixture(scope="module")
def kafka_classpath() -> str:
    return kd.classpath()


def tool(main_class: str, *args: str, expect_rc: int = 0):
    proc = kd.run_class(main_class, list(args), timeout=90)
    assert proc.returncode == expect_rc, f"{main_class} {' '.join(args)} exited {proc.returncode}\n" \
                                         f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc


def produce(bootstrap: str, topic: str, partition: int, count: int) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 50})
    for i in range(count):
        producer.produce(topic, b"value-%d" % i, partition=partition)
    assert producer.flush(30) == 0


def segment_bytes(log_dir: str, topic: str, partition: int) -> int:
    """What the partition's segment files hold on disk (Kafka's partition size is the same sum)."""
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(log_dir, f"{topic}-{partition}", "*.log")))


# -- DescribeLogDirs ---------------------------------------------------------------------------

def test_log_dirs_command_reports_partition_sizes(broker, kafka_classpath):
    topic = unique_topic("logdirs")
    create_topic(broker.bootstrap, topic, 2)
    produce(broker.bootstrap, topic, 0, 25)
    log_dir = os.path.abspath(os.path.join(broker.data_dir, "logs"))
    size0 = segment_bytes(log_dir, topic, 0)
    assert size0 > 25 * len(b"value-00")

    out = tool("org.apache.kafka.tools.LogDirsCommand", "--bootstrap-server", broker.bootstrap,
               "--describe", "--topic-list", topic).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert [b["broker"] for b in report["brokers"]] == [1]
    [entry] = report["brokers"][0]["logDirs"]
    assert entry["logDir"] == log_dir and entry["error"] is None
    sizes = {p["partition"]: (p["size"], p["offsetLag"], p["isFuture"]) for p in entry["partitions"]}
    assert sizes == {f"{topic}-0": (size0, 0, False), f"{topic}-1": (0, 0, False)}


def test_describe_log_dirs_filters_and_volume_bytes(broker, raw):
    topic = unique_topic("logdirs-raw")
    create_topic(broker.bootstrap, topic, 2)
    produce(broker.bootstrap, topic, 1, 3)
    log_dir = os.path.abspath(os.path.join(broker.data_dir, "logs"))
    st = os.statvfs(log_dir)

    # unknown topics and partitions are left out, as Kafka does
    answer = raw.call(35, 4, {"topics": [{"topic": topic, "partitions": [1, 9]},
                                         {"topic": "no-such-topic", "partitions": [0]}]})
    [result] = answer["results"]
    assert (answer["error_code"], result["error_code"], result["log_dir"]) == (0, 0, log_dir)
    assert result["topics"] == [{"name": topic, "partitions": [
        {"partition_index": 1, "partition_size": segment_bytes(log_dir, topic, 1), "offset_lag": 0,
         "is_future_key": False}]}]
    assert result["total_bytes"] == st.f_blocks * st.f_frsize
    assert 0 < result["usable_bytes"] <= result["total_bytes"]

    assert raw.call(35, 4, {"topics": []})["results"][0]["topics"] == []       # nothing asked
    everything = raw.call(35, 1, {"topics": None})["results"][0]               # v1: no volume bytes
    assert (everything["total_bytes"], everything["usable_bytes"]) == (-1, -1)
    assert [p["partition_index"] for t in everything["topics"] if t["name"] == topic for p in t["partitions"]] == [0, 1]


# -- ElectLeaders --------------------------------------------------------------------------------

def test_elect_leaders_is_never_needed(broker):
    topic = unique_topic("elect")
    create_topic(broker.bootstrap, topic, 2)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for election in (ElectionType.PREFERRED, ElectionType.UNCLEAN):
        results = admin.elect_leaders(election, [TopicPartition(topic, 0), TopicPartition(topic, 1)]).result(30)
        assert {(tp.topic, tp.partition): err.code() for tp, err in results.items()} == \
            {(topic, 0): KafkaError.ELECTION_NOT_NEEDED, (topic, 1): KafkaError.ELECTION_NOT_NEEDED}
    # all partitions: Kafka lists only the partitions it elected, so none
    assert admin.elect_leaders(ElectionType.PREFERRED, None).result(30) == {}


def test_elect_leaders_raw_errors(broker, raw):
    topic = unique_topic("elect-raw")
    create_topic(broker.bootstrap, topic, 1)
    answer = raw.call(43, 2, {"election_type": 0, "timeout_ms": 10000, "topic_partitions": [
        {"topic": topic, "partitions": [0, 5]}, {"topic": "nope", "partitions": [0]}]})
    assert answer == {"throttle_time_ms": 0, "error_code": 0, "replica_election_results": [
        {"topic": topic, "partition_result": [
            {"partition_id": 0, "error_code": ELECTION_NOT_NEEDED,
             "error_message": "Leader election not needed for topic partition."},
            {"partition_id": 5, "error_code": UNKNOWN_TOPIC_OR_PARTITION,
             "error_message": f"No such partition as {topic}-5"}]},
        {"topic": "nope", "partition_result": [
            {"partition_id": 0, "error_code": UNKNOWN_TOPIC_OR_PARTITION, "error_message": "No such topic as nope"}]}]}
    everything = raw.call(43, 2, {"election_type": 0, "timeout_ms": 10000, "topic_partitions": None})
    assert {"topic": topic, "partition_result": []} in everything["replica_election_results"]


def test_leader_election_command(broker, kafka_classpath):
    topic = unique_topic("elect-tool")
    create_topic(broker.bootstrap, topic, 1)
    out = tool("org.apache.kafka.tools.LeaderElectionCommand", "--bootstrap-server", broker.bootstrap,
               "--election-type", "preferred", "--topic", topic, "--partition", "0").stdout
    assert f"Valid replica already elected for partitions {topic}-0" in out
    failed = tool("org.apache.kafka.tools.LeaderElectionCommand", "--bootstrap-server", broker.bootstrap,
                  "--election-type", "unclean", "--topic", "nope", "--partition", "0", expect_rc=1)
    assert "UnknownTopicOrPartitionException: No such topic as nope" in failed.stdout + failed.stderr


# -- DescribeQuorum and DescribeCluster ------------------------------------------------------------

def test_metadata_quorum_command_shows_one_voter(broker, kafka_classpath):
    status = tool("org.apache.kafka.tools.MetadataQuorumCommand", "--bootstrap-server", broker.bootstrap,
                  "describe", "--status").stdout
    fields = dict(re.findall(r"^(\w+):\s+(.*?)\s*$", status, re.M))
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    cluster_id = admin.describe_cluster().result(10).cluster_id
    assert fields == {
        "ClusterId": cluster_id, "LeaderId": "1", "LeaderEpoch": "1", "HighWatermark": "0",
        "MaxFollowerLag": "0", "MaxFollowerLagTimeMs": "0",
        "CurrentVoters": f'[{{"id": 1, "endpoints": ["PLAINTEXT://127.0.0.1:{broker.port}"]}}]',
        "CurrentObservers": "[]"}
    replication = tool("org.apache.kafka.tools.MetadataQuorumCommand", "--bootstrap-server", broker.bootstrap,
                       "describe", "--replication").stdout
    rows = [line.split() for line in replication.strip().splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[3], r[-1]) for r in rows] == [("1", "AAAAAAAAAAAAAAAAAAAAAA", "0", "0", "Leader")]


def test_describe_quorum_refuses_other_partitions(raw):
    answer = raw.call(55, 2, {"topics": [{"topic_name": "t1", "partitions": [{"partition_index": 0}]}]})
    assert answer["nodes"] == [] and answer["error_code"] == 0
    [part] = answer["topics"][0]["partitions"]
    assert (part["error_code"], part["error_message"], part["current_voters"]) == \
        (UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.", [])
    v0 = raw.call(55, 0, {"topics": [{"topic_name": "__cluster_metadata", "partitions": [{"partition_index": 0}]}]})
    [voter] = v0["topics"][0]["partitions"][0]["current_voters"]
    assert (voter["replica_id"], voter["last_fetch_timestamp"]) == (1, -1)   # v0 has no timestamps


def test_describe_cluster_authorized_operations_as_kafka(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    cluster = admin.describe_cluster(include_authorized_operations=True).result(10)
    assert sorted(cluster.authorized_operations, key=lambda op: op.value) == [
        AclOperation.CREATE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.CLUSTER_ACTION,
        AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE]


# -- client telemetry (KIP-714) --------------------------------------------------------------------

def test_telemetry_apis_are_answered_but_not_advertised(raw):
    versions = raw.call(18, 3, {"client_software_name": "t", "client_software_version": "1"})
    keys = {k["api_key"] for k in versions["api_keys"]}
    assert {35, 43, 55, 75} <= keys and not keys & {71, 72}

    first = raw.call(71, 0, {"client_instance_id": ZERO_UUID})
    instance, sub = first["client_instance_id"], first["subscription_id"]
    assert instance != ZERO_UUID
    assert {k: v for k, v in first.items() if k not in ("client_instance_id", "subscription_id")} == {
        "throttle_time_ms": 0, "error_code": 0, "accepted_compression_types": [4, 3, 1, 2],
        "push_interval_ms": 300000, "telemetry_max_bytes": 1048576, "delta_temporality": True,
        "requested_metrics": []}
    push = {"client_instance_id": instance, "subscription_id": sub, "terminating": False,
            "compression_type": 0, "metrics": b""}
    assert raw.call(72, 0, push)["error_code"] == 0
    assert raw.call(72, 0, {**push, "subscription_id": sub + 1})["error_code"] == UNKNOWN_SUBSCRIPTION_ID
    assert raw.call(72, 0, {**push, "client_instance_id": ZERO_UUID})["error_code"] == INVALID_REQUEST


# -- DescribeTopicPartitions -----------------------------------------------------------------------

def _partitions(answer: dict) -> list[tuple[str, int]]:
    return [(t["name"], p["partition_index"]) for t in answer["topics"] for p in t["partitions"]]


def test_describe_topic_partitions_pages_with_a_cursor(broker, raw):
    prefix = unique_topic("dtp")
    a, b = f"{prefix}-a", f"{prefix}-b"
    create_topic(broker.bootstrap, a, 3)
    create_topic(broker.bootstrap, b, 2)
    names = [{"name": b}, {"name": a}, {"name": "missing"}, {"name": "bad/name"}]

    first = raw.call(75, 0, {"topics": names, "response_partition_limit": 2, "cursor": None})
    # named topics come in name order; unknown and invalid ones take no room in the page
    assert [(t["name"], t["error_code"], t["topic_authorized_operations"]) for t in first["topics"]] == [
        ("bad/name", INVALID_TOPIC_EXCEPTION, TOPIC_OPERATIONS), (a, 0, TOPIC_OPERATIONS)]
    assert _partitions(first) == [(a, 0), (a, 1)]
    assert first["next_cursor"] == {"topic_name": a, "partition_index": 2}

    second = raw.call(75, 0, {"topics": names, "response_partition_limit": 2, "cursor": first["next_cursor"]})
    assert _partitions(second) == [(a, 2), (b, 0)]
    assert [t["name"] for t in second["topics"]] == [a, b]
    assert second["next_cursor"] == {"topic_name": b, "partition_index": 1}

    third = raw.call(75, 0, {"topics": names, "response_partition_limit": 2, "cursor": second["next_cursor"]})
    assert _partitions(third) == [(b, 1)] and third["next_cursor"] is None
    assert [(t["name"], t["error_code"]) for t in third["topics"]] == [(b, 0), ("missing", UNKNOWN_TOPIC_OR_PARTITION)]
    part = third["topics"][0]["partitions"][0]
    assert (part["leader_id"], part["leader_epoch"], part["replica_nodes"], part["isr_nodes"],
            part["eligible_leader_replicas"], part["last_known_elr"]) == (1, 0, [1], [1], [], [])

    # a cursor topic not in the list is an INVALID_REQUEST for every named topic
    refused = raw.call(75, 0, {"topics": [{"name": a}], "response_partition_limit": 5,
                               "cursor": {"topic_name": b, "partition_index": 0}})
    assert [(t["name"], t["error_code"], t["partitions"]) for t in refused["topics"]] == [(a, INVALID_REQUEST, [])]
    # a limit below 1 is taken as 1
    one = raw.call(75, 0, {"topics": [{"name": a}], "response_partition_limit": 0, "cursor": None})
    assert _partitions(one) == [(a, 0)] and one["next_cursor"] == {"topic_name": a, "partition_index": 1}


def test_topic_command_describes_through_pages(broker, kafka_classpath):
    """Kafka's TopicCommand describes with DescribeTopicPartitions, one partition per page here."""
    topic = unique_topic("dtp-tool")
    create_topic(broker.bootstrap, topic, 3)
    out = tool(kd.TOPIC_COMMAND, "--bootstrap-server", broker.bootstrap, "--describe", "--topic", topic,
               "--partition-size-limit-per-response", "1").stdout
    assert re.search(rf"Topic: {re.escape(topic)}\s+TopicId: \S+\s+PartitionCount: 3\s+ReplicationFactor: 1", out), out
    assert re.findall(rf"Topic: {re.escape(topic)}\s+Partition: (\d+)\s+Leader: 1\s+Replicas: 1\s+Isr: 1", out) == \
        ["0", "1", "2"], out


# -- reassignments and log dir moves: nothing moves on one node ---------------------------------

INVALID_REPLICA_ASSIGNMENT, LOG_DIR_NOT_FOUND, NO_REASSIGNMENT_IN_PROGRESS = 39, 57, 85
REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"


def test_reassign_partitions_command_to_the_same_replica(broker, kafka_classpath, tmp_path):
    """kafka-reassign-partitions with the current replica and data folder: --execute calls
    AlterPartitionReassignments and AlterReplicaLogDirs, --verify ListPartitionReassignments and
    clears throttles (IncrementalAlterConfigs DELETEs); the output is Kafka 4.1.1's, word for word."""
    topic = unique_topic("reassign")
    create_topic(broker.bootstrap, topic, 1)
    log_dir = os.path.abspath(os.path.join(broker.data_dir, "logs"))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": topic, "partition": 0, "replicas": [1], "log_dirs": [log_dir]}]}))
    common = ("--bootstrap-server", broker.bootstrap, "--reassignment-json-file", str(plan))
    executed = tool(REASSIGN, *common, "--execute").stdout
    assert f"Successfully started partition reassignment for {topic}-0" in executed
    assert f"Successfully started moving log directory to {log_dir} for replica {topic}-0 with broker 1" in executed
    verified = tool(REASSIGN, *common, "--verify").stdout
    assert verified.strip().splitlines() == [
        "Status of partition reassignment:", f"Reassignment of partition {topic}-0 is completed.",
        f"Reassignment of replica {topic}-0-1 completed successfully.",
        "Clearing broker-level throttles on broker 1", f"Clearing topic-level throttles on topic {topic}"]
    listed = tool(REASSIGN, "--bootstrap-server", broker.bootstrap, "--list").stdout
    assert listed.strip() == "No partition reassignments found."


def test_alter_partition_reassignments_refuses_other_replica_sets(broker, raw):
    topic = unique_topic("reassign-raw")
    create_topic(broker.bootstrap, topic, 2)

    def alter(partitions, version=1, name=topic):
        answer = raw.call(45, version, {"timeout_ms": 5000, "allow_replication_factor_change": True,
                                        "topics": [{"name": name, "partitions": partitions}]})
        assert (answer["error_code"], answer["error_message"]) == (0, None)
        return [(p["partition_index"], p["error_code"], p["error_message"])
                for p in answer["responses"][0]["partitions"]]

    assert alter([{"partition_index": 0, "replicas": [1]}, {"partition_index": 9, "replicas": [1]}]) == [
        (0, 0, None), (9, UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find partition {topic}:9.")]
    prefix = "The manual partition assignment includes"
    assert alter([{"partition_index": 0, "replicas": [2]}, {"partition_index": 1, "replicas": [1, 2]}]) == [
        (0, INVALID_REPLICA_ASSIGNMENT, f"{prefix} broker 2, but no such broker is registered."),
        (1, INVALID_REPLICA_ASSIGNMENT, f"{prefix} broker 2, but no such broker is registered.")]
    assert alter([{"partition_index": 0, "replicas": [1, 1]}, {"partition_index": 1, "replicas": []}]) == [
        (0, INVALID_REPLICA_ASSIGNMENT, f"{prefix} the broker 1 more than once."),
        (1, INVALID_REPLICA_ASSIGNMENT, f"{prefix} an empty replica list.")]
    assert alter([{"partition_index": 0, "replicas": None}], version=0) == [(0, NO_REASSIGNMENT_IN_PROGRESS, None)]
    assert alter([{"partition_index": 0, "replicas": [1]}], name="nope") == [
        (0, UNKNOWN_TOPIC_OR_PARTITION, "Unable to find a topic named nope.")]
    listed = raw.call(46, 0, {"timeout_ms": 5000, "topics": [{"name": topic, "partition_indexes": [0]}]})
    assert (listed["error_code"], listed["topics"]) == (0, [])


def test_alter_replica_log_dirs_moves_nothing(broker, raw):
    topic = unique_topic("logdir-move")
    create_topic(broker.bootstrap, topic, 1)
    log_dir = os.path.abspath(os.path.join(broker.data_dir, "logs"))

    def move(path, version=2):
        answer = raw.call(34, version, {"dirs": [{"path": path, "topics": [
            {"name": topic, "partitions": [0, 7]}, {"name": "nope", "partitions": [0]}]}]})
        return {(r["topic_name"], p["partition_index"]): p["error_code"]
                for r in answer["results"] for p in r["partitions"]}

    assert move(log_dir) == {(topic, 0): 0, (topic, 7): UNKNOWN_TOPIC_OR_PARTITION,
                             ("nope", 0): UNKNOWN_TOPIC_OR_PARTITION}
    assert move("/elsewhere", version=1)[(topic, 0)] == LOG_DIR_NOT_FOUND


# -- features ---------------------------------------------------------------------------------------

FEATURE = "org.apache.kafka.tools.FeatureCommand"
INVALID_UPDATE_VERSION = 95


def test_feature_command_describes_and_refuses_changes(broker, kafka_classpath):
    described = tool(FEATURE, "--bootstrap-server", broker.bootstrap, "describe").stdout
    assert [line.split() for line in described.strip().splitlines()] == [
        ["Feature:", name, "SupportedMinVersion:", low, "SupportedMaxVersion:", v, "FinalizedVersionLevel:", v,
         "Epoch:", "0"]
        for name, low, v in [("eligible.leader.replicas.version", "1", "1"), ("group.version", "0", "1"),
                             ("kraft.version", "0", "0"), ("metadata.version", "4.4-IV2", "4.4-IV2"),
                             ("share.version", "0", "1"), ("streams.version", "0", "0"),
                             ("transaction.version", "0", "2")]]
    same = tool(FEATURE, "--bootstrap-server", broker.bootstrap, "upgrade", "--metadata", "4.4-IV2").stdout
    assert "metadata.version was upgraded to 33." in same
    refused = tool(FEATURE, "--bootstrap-server", broker.bootstrap, "upgrade", "--feature", "streams.version=1",
                   expect_rc=1)
    assert ("Could not upgrade streams.version to 1. The update failed for all features since the following feature "
            "had an error: Invalid update version 1 for feature streams.version. Local controller 1 only supports "
            "versions 0-0") in refused.stdout


def test_update_features_and_api_versions_features(raw):
    def update(version, *levels, validate=False):
        return raw.call(57, version, {"timeout_ms": 5000, "validate_only": validate, "feature_updates": [
            {"feature": f, "max_version_level": level, "upgrade_type": 1, "allow_downgrade": False}
            for f, level in levels]})

    assert update(1, ("metadata.version", 33)) == {"throttle_time_ms": 0, "error_code": 0, "error_message": None,
        "results": [{"feature": "metadata.version", "error_code": 0, "error_message": "NONE"}]}
    assert update(2, ("metadata.version", 33), validate=True)["results"] == []      # v2 has no results
    failed = update(2, ("metadata.version", 33), ("foo.version", 1))
    assert (failed["error_code"], failed["error_message"]) == (INVALID_UPDATE_VERSION,
        "The update failed for all features since the following feature had an error: Invalid update version 1 "
        "for feature foo.version. Local controller 1 does not support this feature.")
    assert update(1, ("metadata.version", -1))["error_message"].endswith("A feature version cannot be less than 0.")

    def features(version):
        answer = raw.call(18, version, {"client_software_name": "t", "client_software_version": "1"})
        return ([(f["name"], f["min_version"], f["max_version"]) for f in answer["supported_features"]],
                [(f["name"], f["min_version_level"], f["max_version_level"]) for f in answer["finalized_features"]],
                answer["finalized_features_epoch"])

    finalized = [("group.version", 1, 1), ("metadata.version", 33, 33), ("share.version", 1, 1),
                 ("transaction.version", 2, 2), ("eligible.leader.replicas.version", 1, 1)]
    # v3 hides ranges starting at 0
    assert features(3) == ([("metadata.version", 33, 33), ("eligible.leader.replicas.version", 1, 1)], finalized, 0)
    assert features(4)[0] == [("group.version", 0, 1), ("kraft.version", 0, 0), ("metadata.version", 33, 33),
                              ("share.version", 0, 1), ("streams.version", 0, 0), ("transaction.version", 0, 2),
                              ("eligible.leader.replicas.version", 1, 1)]
    refused = update(1, ("eligible.leader.replicas.version", 0))   # it cannot be turned off here
    assert (refused["error_code"], refused["error_message"]) == (INVALID_UPDATE_VERSION,
        "The update failed for all features since the following feature had an error: Invalid update version 0 "
        "for feature eligible.leader.replicas.version. Local controller 1 only supports versions 1-1")
    beyond = update(1, ("transaction.version", 3))  # outside the range: Kafka's message
    assert beyond["error_message"].endswith("for feature transaction.version. Local controller 1 only supports "
                                            "versions 0-2")


def test_transaction_version_is_lowered_and_raised_as_in_kafka(broker_factory):
    """transaction.version really changes (Kafka's answers, checked against Kafka 4.4 by
    test_transactions_v2_vs_kafka): a lower level needs a downgrade type; each change bumps the
    epoch; the level survives a restart."""
    broker = broker_factory()

    def update(level: int, upgrade_type: int, validate: bool = False) -> tuple:
        with RawConnection(broker.bootstrap) as raw:
            answer = raw.call(57, 1, {"timeout_ms": 5000, "validate_only": validate, "feature_updates": [
                {"feature": "transaction.version", "max_version_level": level, "upgrade_type": upgrade_type,
                 "allow_downgrade": False}]})
        return answer["error_code"], answer["error_message"]

    def finalized() -> tuple:
        with RawConnection(broker.bootstrap) as raw:
            answer = raw.call(18, 3, {"client_software_name": "t", "client_software_version": "1"})
        return answer["finalized_features_epoch"], [(f["name"], f["max_version_level"])
                                                    for f in answer["finalized_features"]
                                                    if f["name"] == "transaction.version"]

    assert finalized() == (0, [("transaction.version", 2)])
    assert update(0, 1) == (INVALID_UPDATE_VERSION, "The update failed for all features since the following feature "
                            "had an error: Invalid update version 0 for feature transaction.version. Can't downgrade "
                            "the version of this feature without setting the upgrade type to either safe or unsafe "
                            "downgrade.")
    assert update(0, 2, validate=True) == (0, None) and finalized() == (0, [("transaction.version", 2)])
    assert update(1, 2) == (0, None) and finalized() == (1, [("transaction.version", 1)])
    assert update(0, 3) == (0, None) and finalized() == (2, [])          # level 0: not finalized
    broker.restart()
    assert finalized() == (2, [])
    assert update(2, 1) == (0, None) and finalized() == (3, [("transaction.version", 2)])
    assert update(2, 1) == (0, None) and finalized() == (3, [("transaction.version", 2)])  # no change


# -- ListConfigResources ------------------------------------------------------------------------------

def test_list_config_resources(broker, raw):
    topic = unique_topic("config-res")
    create_topic(broker.bootstrap, topic, 1)
    assert raw.call(74, 0, {}) == {"throttle_time_ms": 0, "error_code": 0, "config_resources": []}
    listed = raw.call(74, 1, {"resource_types": []})
    resources = [(r["resource_name"], r["resource_type"]) for r in listed["config_resources"]]
    assert resources[:2] == [("1", 8), ("1", 4)] and (topic, 2) in resources
    assert [r for r in resources if r[1] == 2] == sorted(r for r in resources if r[1] == 2)
    only_topics = raw.call(74, 1, {"resource_types": [2]})["config_resources"]
    assert {r["resource_type"] for r in only_topics} == {2}
    assert raw.call(74, 1, {"resource_types": [99]})["error_code"] == 35   # UNSUPPORTED_VERSION, as Kafka


def test_config_command_lists_client_metrics_resources(broker, kafka_classpath):
    """Without a resource name, kafka-configs lists client-metrics resources with ListConfigResources."""
    out = tool(kd.CONFIG_COMMAND, "--bootstrap-server", broker.bootstrap, "--describe",
               "--entity-type", "client-metrics")
    assert out.stdout.strip() == ""
