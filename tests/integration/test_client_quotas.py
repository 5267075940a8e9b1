"""Client quotas (DescribeClientQuotas 48, AlterClientQuotas 49, fastlog.quotas): the same answers
as a real Kafka for the same requests, kept across a restart, changed by Kafka's kafka-configs
tool, and enforced: a client over its byte rate is told to wait (throttle_time_ms, which
librdkafka reports through throttle_cb) while a client without a quota is not. Produce requests
under a quota still take the compiled fast path (the broker's trace, FASTLOG_TRACE_FILE, says
which path served each request and its throttle time)."""
from __future__ import annotations

import re
import time

import confluent_kafka
import pytest

from fastlog import _native
from fastlog import kafka_dist as kd
from fastlog.protocol.errors import ErrorCode
from fastlog.server import trace

from clients import RawConnection

CONFIGS = "org.apache.kafka.tools.ConfigCommand"


def _entity(*parts):
    return [{"entity_type": t, "entity_name": n} for t, n in parts]


def _alter(conn, entity, ops, validate_only=False):
    answer = conn.call(49, 1, {"validate_only": validate_only, "entries": [
        {"entity": entity, "ops": [{"key": k, "value": v, "remove": r} for k, v, r in ops]}]})
    return [(e["error_code"], e["error_message"], [(x["entity_type"], x["entity_name"]) for x in e["entity"]])
            for e in answer["entries"]]


def _describe(conn, components, strict=False):
    answer = conn.call(48, 1, {"strict": strict, "components": [
        {"entity_type": t, "match_type": m, "match": n} for t, m, n in components]})
    entries = sorted((([(e["entity_type"], e["entity_name"]) for e in x["entity"]],
                       sorted((v["key"], v["value"]) for v in x["values"])) for x in answer["entries"] or []), key=str)
    return answer["error_code"], answer["error_message"], entries


# (entity, ops, validate_only): accepted ones and each of Kafka's refusals.
ALTERS = [
    (_entity(("user", "alice")), [("producer_byte_rate", 1024.0, False), ("consumer_byte_rate", 2048.0, False)], False),
    (_entity(("user", "alice"), ("client-id", "app")), [("request_percentage", 50.0, False)], False),
    (_entity(("client-id", None)), [("producer_byte_rate", 4096.0, False)], False),
    (_entity(("ip", "10.0.0.1")), [("connection_creation_rate", 5.0, False)], False),
    (_entity(("user", "bob")), [("nonsense", 1.0, False)], False),
    (_entity(("user", "bob")), [("connection_creation_rate", 1.0, False)], False),
    (_entity(("user", "bob")), [("producer_byte_rate", -5.0, False)], False),
    (_entity(("user", "bob")), [("producer_byte_rate", 1.5, False)], False),
    (_entity(("group", "g")), [("producer_byte_rate", 1.0, False)], False),
    (_entity(("ip", "1.2.3.4"), ("user", "x")), [("connection_creation_rate", 1.0, False)], False),
    (_entity(("user", "a"), ("user", "b")), [("producer_byte_rate", 1.0, False)], False),
    ([], [("producer_byte_rate", 1.0, False)], False),
    (_entity(("ip", "not-an-ip.invalid")), [("connection_creation_rate", 1.0, False)], False),
    (_entity(("user", "val")), [("producer_byte_rate", 1.0, False)], True),
    (_entity(("user", "nobody")), [("producer_byte_rate", 0.0, True)], False),
    (_entity(("user", "dk")), [("producer_byte_rate", 1.0, False), ("producer_byte_rate", 2.0, False)], False),
    (_entity(("user", "alice")), [("producer_byte_rate", 0.0, True)], False),
]
DESCRIBES = [
    ([("user", 2, None)], False), ([("user", 2, None)], True), ([("user", 0, "alice")], False),
    ([("client-id", 1, None)], False), ([], False), ([], True), ([("group", 2, None)], False),
    ([("user", 2, None), ("user", 0, "alice")], False), ([("user", 0, None)], False), ([("ip", 2, None)], False),
    ([("user", 7, None)], False), ([("client-id", 2, None), ("user", 0, "alice")], True),
]


def _session(bootstrap: str):
    with RawConnection(bootstrap) as conn:
        altered = [_alter(conn, entity, ops, validate) for entity, ops, validate in ALTERS]
        # Kafka applies quota changes through its metadata log: give it a moment to show them.
        time.sleep(2)
        described = [_describe(conn, components, strict) for components, strict in DESCRIBES]
    return altered, described


def test_alter_and_describe_answer_as_kafka(kafka_reference, broker):
    ours, theirs = _session(broker.bootstrap), _session(kafka_reference.bootstrap)
    for i, (mine, reference) in enumerate(zip(ours[0], theirs[0])):
        assert mine == reference, f"AlterClientQuotas #{i} {ALTERS[i]}"
    for i, (mine, reference) in enumerate(zip(ours[1], theirs[1])):
        assert mine == reference, f"DescribeClientQuotas #{i} {DESCRIBES[i]}"


def test_quotas_survive_a_restart(broker_factory, tmp_path):
    broker = broker_factory(data_dir=tmp_path / "q")
    with RawConnection(broker.bootstrap) as conn:
        assert _alter(conn, _entity(("client-id", "kept")), [("consumer_byte_rate", 777.0, False)])[0][0] == 0
    broker.stop()
    broker = broker_factory(data_dir=tmp_path / "q")
    with RawConnection(broker.bootstrap) as conn:
        assert _describe(conn, [("client-id", 0, "kept")]) == (
            0, "", [([("client-id", "kept")], [("consumer_byte_rate", 777.0)])])


def _config_tool(bootstrap: str, *args: str) -> str:
    proc = kd.run_class(CONFIGS, ["--bootstrap-server", bootstrap, *args], timeout=90)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_kafka_configs_tool_alters_and_describes_quotas_as_with_kafka(kafka_reference, broker):
    outputs = []
    for target in (broker, kafka_reference):
        _config_tool(target.bootstrap, "--alter", "--entity-type", "clients", "--entity-name", "tool-app",
                     "--add-config", "producer_byte_rate=1048576,consumer_byte_rate=2097152")
        _config_tool(target.bootstrap, "--alter", "--entity-type", "users", "--entity-default",
                     "--add-config", "request_percentage=200")
        time.sleep(2)
        clients = _config_tool(target.bootstrap, "--describe", "--entity-type", "clients", "--entity-name", "tool-app")
        users = _config_tool(target.bootstrap, "--describe", "--entity-type", "users", "--entity-default")
        outputs.append((clients, users))
    assert outputs[0] == outputs[1]
    assert re.search(r"producer_byte_rate=1048576\.0", outputs[0][0]), outputs[0][0]


def _throttled_while_producing(bootstrap: str, client_id: str, topic: str) -> list[int]:
    events: list[int] = []
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "client.id": client_id, "linger.ms": 5,
                                         "throttle_cb": lambda event: events.append(event.throttle_time)})
    for i in range(400):
        producer.produce(topic, b"x" * 1000)
        producer.poll(0)
    assert producer.flush(60) == 0
    producer.poll(0.5)  # deliver the last throttle events
    return events


def _traced_produces(broker, path) -> list[dict]:
    """The broker's trace of its Produce requests (written out when it stops)."""
    broker.stop()
    return [e for e in trace.read(str(path)) if e["kind"] == "request" and e["api"] == 0]


def test_a_producer_over_its_byte_rate_is_throttled_and_others_are_not(broker_factory, monkeypatch, tmp_path):
    monkeypatch.setenv(trace.ENV, str(tmp_path / "trace.jsonl"))
    broker = broker_factory()
    with RawConnection(broker.bootstrap) as conn:
        assert _alter(conn, _entity(("client-id", "slow")), [("producer_byte_rate", 20000.0, False)])[0][0] == 0
    slow = _throttled_while_producing(broker.bootstrap, "slow", "quota-topic")
    fast = _throttled_while_producing(broker.bootstrap, "fast", "quota-topic")
    assert any(t > 0 for t in slow), slow
    assert not any(t > 0 for t in fast), fast
    # Every record got in: a quota delays, it never refuses.
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "count",
                                         "auto.offset.reset": "earliest"})
    consumer.subscribe(["quota-topic"])
    seen = 0
    deadline = time.monotonic() + 60
    while seen < 800 and time.monotonic() < deadline:
        msg = consumer.poll(1)
        if msg is not None and not msg.error():
            seen += 1
    consumer.close()
    assert seen == 800
    # the compiled fast path served the throttled requests and said how long to wait
    throttled = [e for e in _traced_produces(broker, tmp_path / "trace.jsonl") if e.get("throttle_ms")]
    assert throttled and all(e.get("fast") for e in throttled), throttled


def _produce(version: int, topic: str, value_size: int, acks: int = 1) -> dict:
    records = _native.build_batch([(None, b"x" * value_size, [], int(time.time() * 1000))])
    return {"transactional_id": None, "acks": acks, "timeout_ms": 5000,
            "topic_data": [{"name": topic, "partition_data": [{"index": 0, "records": records}]}]}


@pytest.mark.parametrize("version", [7, 12])  # the last version without tagged fields, and a flexible one
def test_fast_path_produces_count_against_the_quota_acks_zero_too(broker_factory, monkeypatch, tmp_path, version):
    """Over the producer_byte_rate, the fast path's answer carries the throttle time, in the
    response layout of each version; acks=0 requests get no answer but are counted (and mute
    the connection), as in Kafka: after them a small request is told to wait."""
    monkeypatch.setenv(trace.ENV, str(tmp_path / "trace.jsonl"))
    broker = broker_factory()
    with RawConnection(broker.bootstrap, client_id="admin") as conn:
        assert _alter(conn, _entity(("client-id", "raw")), [("producer_byte_rate", 1000.0, False)])[0][0] == 0
        assert conn.metadata(["raw-quota"])["topics"]["raw-quota"][0] == 0  # created, so the fast path serves it
    with RawConnection(broker.bootstrap, client_id="raw") as conn:
        first = conn.call(0, version, _produce(version, "raw-quota", 100))
        assert first["throttle_time_ms"] == 0  # 100 B within 1000 B/s over the 10 s window
        for _ in range(3):  # 15 kB: over the quota
            conn.send_dict(0, version, _produce(version, "raw-quota", 5000, acks=0))
        answer = conn.call(0, version, _produce(version, "raw-quota", 100))
        (partition,) = answer["responses"][0]["partition_responses"]
        assert (partition["error_code"], partition["base_offset"]) == (0, 4)
        assert answer["throttle_time_ms"] > 0
    produces = _traced_produces(broker, tmp_path / "trace.jsonl")
    assert len(produces) == 5 and all(e.get("fast") for e in produces), produces
    assert produces[-1]["throttle_ms"] == answer["throttle_time_ms"]


def _fetch(conn: RawConnection, topic_id: bytes) -> dict:
    return conn.call(1, 13, {"replica_id": -1, "max_wait_ms": 0, "min_bytes": 1, "max_bytes": 52428800,
                             "isolation_level": 0, "session_id": 0, "session_epoch": -1,
                             "topics": [{"topic_id": topic_id, "partitions": [
                                 {"partition": 0, "fetch_offset": 0, "log_start_offset": -1,
                                  "partition_max_bytes": 1048576}]}],
                             "forgotten_topics_data": [], "rack_id": ""})


@pytest.mark.parametrize("client_id", ["limited", "unlimited"])
def test_a_fetch_over_the_consumer_byte_rate_gets_no_records_and_a_throttle_time(broker, client_id):
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
    for _ in range(50):
        producer.produce("fetch-quota", b"y" * 10000, partition=0)
    assert producer.flush(30) == 0
    with RawConnection(broker.bootstrap, client_id="admin") as conn:
        assert _alter(conn, _entity(("client-id", "limited")), [("consumer_byte_rate", 10000.0, False)])[0][0] == 0
        metadata = conn.call(3, 12, {"topics": [{"name": "fetch-quota", "topic_id": bytes(16)}],
                                     "allow_auto_topic_creation": False, "include_topic_authorized_operations": False})
    topic_id = metadata["topics"][0]["topic_id"]
    with RawConnection(broker.bootstrap, client_id=client_id) as conn:
        answer = _fetch(conn, topic_id)
    if client_id == "limited":
        # 500 kB against 10 kB/s over the quota window: Kafka counts the answer, finds the rate
        # over, and sends no records (and does not count them), only how long to wait.
        assert answer["throttle_time_ms"] > 0 and answer["responses"] == []
        assert answer["error_code"] == ErrorCode.NONE
    else:
        assert answer["throttle_time_ms"] == 0 and answer["responses"][0]["partitions"][0]["records"]
