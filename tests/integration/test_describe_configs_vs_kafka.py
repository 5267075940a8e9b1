"""DescribeConfigs side by side: fastlog and a real Apache Kafka 4.1 broker, started with the same
settings and given the same topics, must report the same topic config keys with the same values,
sources, read-only flags, types and synonyms, and agree on the broker keys both report.

Both are asked through confluent-kafka's AdminClient.describe_configs and through a raw v4
request (describe_configs_raw), which shows config_type, documentation and the synonym list as
sent (the client folds synonyms of the same name together).
"""
from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic, ResourceType

from fastlog import kafka_dist as kd
from fastlog.config import BROKER_KEYS, GROUP_KEYS, SECURITY_KEYS, TOPIC_KEYS

from clients import RawConnection, wait_until
from describe_configs_raw import BROKER, TOPIC, describe_configs, request

# The same static settings for both; each shows up as STATIC_BROKER_CONFIG in both answers.
SHARED = {"log.retention.hours": "100", "log.segment.bytes": "2000000", "message.max.bytes": "2000000",
          "auto.create.topics.enable": "false", "log.preallocate": "false"}
TOPICS = {"explicit": {"retention.ms": "1000", "cleanup.policy": "compact,delete", "preallocate": "true",
                       "segment.ms": "3600000", "max.message.bytes": "5000"},
          "plain": {}}
# With eligible leader replicas on, both keep a cluster-level min.insync.replicas
# (DYNAMIC_DEFAULT_BROKER_CONFIG) from the start: the cluster default is never empty.
CLUSTER_LEVEL = {"min.insync.replicas"}


@pytest.fixture(scope="module")
def kafka():
    broker = kd.KafkaBroker(properties=dict(SHARED)).start()
    yield broker
    broker.stop()
    broker.cleanup()


def _create_topics(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, 1, 1, config=configs) for name, configs in TOPICS.items()])
    for future in futures.values():
        try:
            future.result(30)
        except KafkaException as e:  # the module's Kafka: an earlier test made them
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise


def _client_view(bootstrap: str, rtype: ResourceType, name: str) -> dict:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    (future,) = admin.describe_configs([ConfigResource(rtype, name)], request_timeout=30).values()
    return {key: (e.value, e.source, e.is_read_only, e.is_sensitive) for key, e in future.result(30).items()}


def _raw_view(bootstrap: str, rtype: int, name: str) -> dict:
    (result,) = describe_configs(bootstrap, [(rtype, name)])
    assert result["error_code"] == 0, result
    return {c["name"]: c for c in result["configs"]}


def _synonyms(entry: dict) -> list:
    return [(s["name"], s["value"], s["source"]) for s in entry["synonyms"]]


def test_topic_configs_match_kafka(broker_factory, kafka):
    fastlog = broker_factory(SHARED)
    for b in (fastlog, kafka):
        _create_topics(b.bootstrap)
    for topic in TOPICS:
        ours = _client_view(fastlog.bootstrap, ResourceType.TOPIC, topic)
        theirs = _client_view(kafka.bootstrap, ResourceType.TOPIC, topic)
        assert sorted(ours) == sorted(theirs) == sorted(TOPIC_KEYS)
        for key in theirs:
            assert ours[key] == theirs[key], f"{topic} {key}: fastlog {ours[key]} Kafka {theirs[key]}"
        raw_ours = _raw_view(fastlog.bootstrap, TOPIC, topic)
        raw_theirs = _raw_view(kafka.bootstrap, TOPIC, topic)
        for key, theirs_entry in raw_theirs.items():
            entry = raw_ours[key]
            assert entry["config_type"] == theirs_entry["config_type"] != 0, key
            assert entry["documentation"], key
            assert _synonyms(entry) == _synonyms(theirs_entry), key
    # The Kafka source rule, seen in both: retention.ms taken from log.retention.hours lists no
    # synonym, so it says DEFAULT_CONFIG; segment.bytes from log.segment.bytes says STATIC.
    plain = _raw_view(fastlog.bootstrap, TOPIC, "plain")
    assert (plain["retention.ms"]["value"], plain["retention.ms"]["config_source"]) == ("360000000", 5)
    assert (plain["segment.bytes"]["value"], plain["segment.bytes"]["config_source"]) == ("2000000", 4)


def test_broker_configs_match_kafka_where_both_report(broker_factory, kafka):
    fastlog = broker_factory(SHARED)
    ours = _raw_view(fastlog.bootstrap, BROKER, "1")
    theirs = _raw_view(kafka.bootstrap, BROKER, "1")
    assert sorted(ours) == sorted(BROKER_KEYS)
    common = set(ours) & set(theirs)
    assert common == {k for k, spec in BROKER_KEYS.items() if not spec.fastlog_only}
    # Keys one of the two test harnesses sets for itself, or whose default fastlog changes.
    own_settings = (set(kafka.properties()) - set(SHARED)) | {"listeners", "log.dirs", "node.id", "broker.id"}
    differing_defaults = {k for k, spec in BROKER_KEYS.items() if spec.kafka_default}
    for key in sorted(common):
        entry, reference = ours[key], theirs[key]
        assert entry["config_type"] == reference["config_type"], key
        assert entry["is_sensitive"] == reference["is_sensitive"], key
        if reference["read_only"]:
            assert entry["read_only"], key  # the reverse: test_read_only_flags_match_kafka
        if key in own_settings | differing_defaults:
            continue
        assert (entry["value"], entry["config_source"]) == (reference["value"], reference["config_source"]), key
        assert _synonyms(entry) == _synonyms(reference), key
    for key in SHARED:
        assert ours[key]["config_source"] == theirs[key]["config_source"] == 4, key
    assert ours["auto.create.topics.enable"]["value"] == "false"
    # The id the node runs with, under both names.
    assert ours["node.id"]["value"] == ours["broker.id"]["value"] == "1"


def test_every_kafka_topic_key_is_accepted_at_create_and_reported(broker):
    """Keys fastlog does not act on are stored and reported as set, never refused."""
    given = {"compression.gzip.level": "5", "delete.retention.ms": "1000", "file.delete.delay.ms": "5",
             "follower.replication.throttled.replicas": "*", "local.retention.ms": "-2",
             "min.cleanable.dirty.ratio": "0.25",
             "segment.index.bytes": "4096", "segment.jitter.ms": "10", "unclean.leader.election.enable": "TRUE",
             "remote.storage.enable": "false", "flush.messages": "10"}
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic("all-keys", 1, 1, config=given)])["all-keys"].result(30)
    described = _raw_view(broker.bootstrap, TOPIC, "all-keys")
    for key, value in given.items():
        expected = value.lower() if key == "unclean.leader.election.enable" else value
        assert (described[key]["value"], described[key]["config_source"]) == (expected, 1), key
    # Changing one with no effect on a live topic is allowed; it is stored.
    resource = ConfigResource(ResourceType.TOPIC, "all-keys", incremental_configs=[
        ConfigEntry("segment.ms", "1000", incremental_operation=AlterConfigOpType.SET)])
    list(admin.incremental_alter_configs([resource]).values())[0].result(30)
    assert _raw_view(broker.bootstrap, TOPIC, "all-keys")["segment.ms"]["value"] == "1000"


def test_older_versions_carry_what_they_can(broker):
    """v1-v2 have synonyms but no config_type or documentation; booleans are still lowercase."""
    for version in (1, 2, 3):
        (result,) = describe_configs(broker.bootstrap, [(BROKER, "1")], version=version)
        entries = {c["name"]: c for c in result["configs"]}
        assert entries["delete.topic.enable"]["value"] == "true"
        assert _synonyms(entries["num.partitions"]) == [("num.partitions", "1", 5)]
        has_types = version >= 3
        assert (entries["num.partitions"]["config_type"] == 3) == has_types
        assert bool(entries["num.partitions"]["documentation"]) == has_types


def test_bad_topic_configs_are_refused_alike(broker_factory, kafka):
    """Values both refuse with INVALID_CONFIG, the rule between keys included."""
    fastlog = broker_factory(SHARED)
    bad = [{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}, {"retention.ms": "soon"},
           {"cleanup.policy": "tidy"}, {"min.cleanable.dirty.ratio": "2"}, {"remote.storage.enable": "true"},
           {"no.such.config": "1"}, {"preallocate": "yes"}]
    for b in (fastlog, kafka):
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for i, configs in enumerate(bad):
            future = admin.create_topics([NewTopic(f"bad-{i}", 1, 1, config=configs)])[f"bad-{i}"]
            with pytest.raises(KafkaException) as refused:
                future.result(30)
            assert refused.value.args[0].code() == KafkaError.INVALID_CONFIG, (b.bootstrap, configs)


def test_create_topics_v7_answers_with_the_describe_entries(broker):
    body = {"topics": [{"name": "created", "num_partitions": 1, "replication_factor": 1, "assignments": [],
                        "configs": [{"name": "retention.ms", "value": "1234"}]}],
            "timeout_ms": 10000, "validate_only": False}
    (created,) = request(broker.bootstrap, 19, 7, body)["topics"]
    assert created["error_code"] == 0, created
    described = _raw_view(broker.bootstrap, TOPIC, "created")
    assert sorted(c["name"] for c in created["configs"]) == sorted(described)
    for c in created["configs"]:
        entry = described[c["name"]]
        assert (c["value"], c["config_source"], c["read_only"]) == \
            (entry["value"], entry["config_source"], entry["read_only"]), c["name"]
    assert {c["name"]: c["config_source"] for c in created["configs"]}["retention.ms"] == 1


# -- dynamic broker configs, group configs and alter errors, side by side -----------------------
# Kafka keys fastlog reports read-only although Kafka changes them at runtime: fastlog cannot
# apply them live (its listener and connection limits are set at start).
# Kafka changes these at runtime; fastlog reads them at start only (README: listeners, TLS and
# SASL settings take a restart).
NOT_LIVE_ON_FASTLOG = {"listeners", "max.connections", "max.connections.per.ip",
                       *(key.name for key in SECURITY_KEYS)}
GROUP = 32


def _alter(bootstrap: str, rtype: int, name: str, *changes: tuple[int, str, object]) -> dict:
    body = {"resources": [{"resource_type": rtype, "resource_name": name, "configs": [
        {"name": key, "config_operation": op, "value": value} for op, key, value in changes]}],
        "validate_only": False}
    (answer,) = request(bootstrap, 44, 1, body)["responses"]
    return answer


def _entry_view(entry: dict) -> tuple:
    return entry["value"], entry["config_source"], entry["read_only"], entry["config_type"], _synonyms(entry)


def test_read_only_flags_match_kafka(broker_factory, kafka):
    ours = _raw_view(broker_factory(SHARED).bootstrap, BROKER, "1")
    theirs = _raw_view(kafka.bootstrap, BROKER, "1")
    for key in set(ours) & set(theirs):
        expected = theirs[key]["read_only"] or key in NOT_LIVE_ON_FASTLOG
        assert ours[key]["read_only"] == expected, key


def test_dynamic_broker_configs_match_kafka(broker_factory, kafka):
    """The same per-broker and cluster-default changes on both: same values, sources, synonym
    lists (Kafka's order: this broker's, the default's, static, defaults) and topic defaults."""
    fastlog = broker_factory(SHARED)
    changes = [(BROKER, "1", (0, "message.max.bytes", "3000000")), (BROKER, "", (0, "log.retention.ms", "6000")),
               (BROKER, "", (0, "log.segment.bytes", "20000000")), (BROKER, "1", (0, "log.retention.ms", "5000"))]
    for b in (fastlog, kafka):
        if b is fastlog:  # the module's Kafka has them from test_topic_configs_match_kafka
            _create_topics(b.bootstrap)
        for rtype, name, change in changes:
            assert _alter(b.bootstrap, rtype, name, change)["error_code"] == 0
    keys = ("message.max.bytes", "log.retention.ms", "log.segment.bytes")
    topic_keys = ("max.message.bytes", "retention.ms", "segment.bytes")

    def views(b) -> tuple:
        node, default, topic = (_raw_view(b.bootstrap, BROKER, "1"), _raw_view(b.bootstrap, BROKER, ""),
                                _raw_view(b.bootstrap, TOPIC, "plain"))
        return ({k: _entry_view(node[k]) for k in keys},
                {k: _entry_view(v) for k, v in default.items()},
                {k: _entry_view(topic[k]) for k in topic_keys})

    ours = views(fastlog)
    # Kafka applies dynamic configs from its metadata log a moment after answering the alter.
    assert wait_until(lambda: views(kafka) == ours, 30), f"fastlog {ours}\nKafka {views(kafka)}"
    assert ours[0]["log.retention.ms"][:2] == ("5000", 2)
    assert ours[2]["retention.ms"][:2] == ("5000", 2)
    try:
        for bad, key in (("log.dirs", "/x"), ("node.id", "3")):
            answers = [_alter(b.bootstrap, BROKER, "1", (0, bad, key)) for b in (fastlog, kafka)]
            assert [(a["error_code"], a["error_message"]) for a in answers] == \
                [(42, f"Cannot update these configs dynamically: [{bad}]")] * 2
        answers = [_alter(b.bootstrap, BROKER, "1", (0, "log.retention.ms", "abc")) for b in (fastlog, kafka)]
        assert answers[0]["error_code"] == answers[1]["error_code"] == 42
        assert answers[0]["error_message"] == answers[1]["error_message"]
        answers = [_alter(b.bootstrap, BROKER, "7", (0, "log.retention.ms", "5")) for b in (fastlog, kafka)]
        assert [(a["error_code"], a["error_message"]) for a in answers] == \
            [(42, "Unexpected broker id, expected 1, but received 7")] * 2
    finally:  # the Kafka broker is shared by this module's tests
        for rtype, name, (_, key, _) in changes:
            _alter(kafka.bootstrap, rtype, name, (1, key, None))
        assert wait_until(lambda: set(_raw_view(kafka.bootstrap, BROKER, "")) == CLUSTER_LEVEL, 30)


def _elr_view(bootstrap: str) -> dict:
    """What eligible leader replicas (on in both) show a client: the feature, the cluster-level
    min.insync.replicas in the cluster default, the broker's and a topic's view of it, and the
    answers to changing it (validate_only: nothing changes)."""
    out: dict = {}
    with RawConnection(bootstrap) as conn:
        versions = conn.call(18, 4, {"client_software_name": "t", "client_software_version": "1"})
        out["finalized"] = [(f["name"], f["max_version_level"]) for f in versions["finalized_features"]
                            if f["name"] == "eligible.leader.replicas.version"]
        out["supported"] = [(f["name"], f["max_version"]) for f in versions["supported_features"]
                            if f["name"] == "eligible.leader.replicas.version"]
        partition = conn.call(75, 0, {"topics": [{"name": "plain"}], "response_partition_limit": 10,
                                      "cursor": None})["topics"][0]["partitions"][0]
        out["elr"] = (partition["eligible_leader_replicas"], partition["last_known_elr"])
    out["cluster"] = {k: _entry_view(e) for k, e in _raw_view(bootstrap, BROKER, "").items()}
    out["broker"] = _entry_view(_raw_view(bootstrap, BROKER, "1")["min.insync.replicas"])
    out["topic"] = _entry_view(_raw_view(bootstrap, TOPIC, "plain")["min.insync.replicas"])
    changes = [(BROKER, "", 1, None), (BROKER, "", 0, "1"), (BROKER, "1", 0, "1"), (BROKER, "1", 1, None),
               (TOPIC, "plain", 0, "1")]
    for rtype, name, op, value in changes:
        body = {"resources": [{"resource_type": rtype, "resource_name": name, "configs": [
            {"name": "min.insync.replicas", "config_operation": op, "value": value}]}], "validate_only": True}
        (answer,) = request(bootstrap, 44, 1, body)["responses"]
        out[(rtype, name, op)] = (answer["error_code"], answer["error_message"])
    # The older AlterConfigs replaces the whole cluster default: without min.insync.replicas, refused.
    (answer,) = request(bootstrap, 33, 2, {"resources": [{"resource_type": BROKER, "resource_name": "", "configs": [
        {"name": "log.retention.ms", "value": "100000"}]}], "validate_only": True})["responses"]
    out["AlterConfigs"] = (answer["error_code"], answer["error_message"])
    return out


def test_eligible_leader_replicas_keep_min_insync_replicas_at_the_cluster_level_as_kafka(broker_factory, kafka):
    fastlog = broker_factory(SHARED)
    for b in (fastlog, kafka):
        _create_topics(b.bootstrap)
    ours = _elr_view(fastlog.bootstrap)
    assert ours["finalized"] == [("eligible.leader.replicas.version", 1)] and ours["elr"] == ([], [])
    assert set(ours["cluster"]) == CLUSTER_LEVEL and ours["cluster"]["min.insync.replicas"][:2] == ("1", 3)
    assert ours[(BROKER, "", 1)] == (40, "Cluster-level min.insync.replicas cannot be removed while ELR is enabled.")
    assert ours[(BROKER, "1", 0)] == (40, "Broker-level min.insync.replicas cannot be altered while ELR is enabled.")
    assert ours == _elr_view(kafka.bootstrap)


def test_group_configs_match_kafka(broker_factory, kafka):
    fastlog = broker_factory(SHARED)
    group = "side-by-side-group"

    def view(b) -> dict:
        return {k: _entry_view(e) for k, e in _raw_view(b.bootstrap, GROUP, group).items()}

    assert view(fastlog) == view(kafka)
    assert sorted(view(fastlog)) == sorted(GROUP_KEYS)
    for b in (fastlog, kafka):
        assert _alter(b.bootstrap, GROUP, group, (0, "consumer.session.timeout.ms", "50000"),
                      (0, "share.auto.offset.reset", "earliest"))["error_code"] == 0
    assert wait_until(lambda: view(kafka) == view(fastlog), 30), f"fastlog {view(fastlog)}\nKafka {view(kafka)}"
    assert view(fastlog)["consumer.session.timeout.ms"][:2] == ("50000", 8)
    for change in [(0, "consumer.session.timeout.ms", "1"), (0, "consumer.heartbeat.interval.ms", "99999"),
                   (0, "no.such", "1"), (2, "consumer.session.timeout.ms", "1"), (0, "share.isolation.level", "x"),
                   (0, "share.auto.offset.reset", "bogus"), (0, "streams.num.standby.replicas", "5"),
                   (0, "share.record.lock.duration.ms", "1"), (0, "share.record.lock.duration.ms", "90000"),
                   (0, "consumer.assignment.interval.ms", "15001"), (0, "share.assignment.interval.ms", "-1"),
                   (0, "share.delivery.count.limit", "11"), (0, "share.delivery.count.limit", "1"),
                   (0, "share.partition.max.record.locks", "99"), (0, "share.partition.max.record.locks", "4001"),
                   (0, "streams.assignment.interval.ms", "15001")]:
        answers = [_alter(b.bootstrap, GROUP, group, change) for b in (fastlog, kafka)]
        assert answers[0]["error_code"] == answers[1]["error_code"] == 40, (change, answers)
        assert answers[0]["error_message"] == answers[1]["error_message"], (change, answers)
    for b in (fastlog, kafka):
        _alter(b.bootstrap, GROUP, group, (1, "consumer.session.timeout.ms", None),
               (1, "share.auto.offset.reset", None))


def test_topic_alter_errors_match_kafka(broker_factory, kafka):
    """Bad values on a live topic: the same INVALID_CONFIG and message from both; SUBTRACT may
    empty cleanup.policy on both."""
    fastlog = broker_factory(SHARED)
    for b in (fastlog, kafka):
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("alter-errors", 1, 1)])["alter-errors"].result(30)
    for change in [(0, "compression.type", "brotli"), (0, "cleanup.policy", "tidy"), (0, "segment.ms", "0"),
                   (2, "retention.ms", "5"), (0, "max.message.bytes", "x")]:
        answers = [_alter(b.bootstrap, TOPIC, "alter-errors", change) for b in (fastlog, kafka)]
        assert [(a["error_code"], a["error_message"]) for a in answers][0] == \
            [(a["error_code"], a["error_message"]) for a in answers][1], change
        assert answers[0]["error_code"] == 40
    for b in (fastlog, kafka):
        assert _alter(b.bootstrap, TOPIC, "alter-errors", (0, "compression.type", "lz4"), (0, "segment.ms", "1000"),
                      (3, "cleanup.policy", "delete"))["error_code"] == 0

    def view(b) -> dict:
        entries = _raw_view(b.bootstrap, TOPIC, "alter-errors")
        return {k: _entry_view(entries[k]) for k in ("compression.type", "segment.ms", "cleanup.policy")}
    assert wait_until(lambda: view(kafka) == view(fastlog), 30), f"fastlog {view(fastlog)}\nKafka {view(kafka)}"
