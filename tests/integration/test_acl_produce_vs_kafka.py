"""Produce under ACLs, side by side with Apache Kafka: one scenario of grants, DENYs, prefixed
ACLs, topics created later and revocations, run against a real Kafka (StandardAuthorizer) and
against fastlog, whose small Produce requests take the compiled fast path with the set of topics
the principal may write (storage/produce_fast.py). Each step's outcome, as the client sees it,
and the acknowledged records must be the same on both."""
from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from fastlog.testing import BrokerProcess

JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
        'password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";')
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def sasl_settings(bootstrap: str, user: str) -> dict:
    return {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": user, "sasl.password": f"{user}-secret", "socket.timeout.ms": 10000,
            "message.timeout.ms": 15000}


@pytest.fixture(scope="module")
def kafka_with_acls():
    """Kafka 4.x with a SASL_PLAINTEXT listener for the clients; the PLAINTEXT one (anonymous, a
    super user here) is only for kafka_dist's readiness probe and the controller's own traffic."""
    from fastlog import kafka_dist

    kafka = kafka_dist.KafkaBroker()
    sasl_port = kafka_dist.free_port()
    kafka.extra_properties.update({
        "listeners": f"PLAINTEXT://127.0.0.1:{kafka.port},SASL_PLAINTEXT://127.0.0.1:{sasl_port},"
                     f"CONTROLLER://127.0.0.1:{kafka.controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{kafka.port},SASL_PLAINTEXT://127.0.0.1:{sasl_port}",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
        "authorizer.class.name": AUTHORIZER,
        "super.users": "User:admin;User:ANONYMOUS",
        "auto.create.topics.enable": "false",
    })
    kafka.start()
    yield f"127.0.0.1:{sasl_port}"
    kafka.stop()
    kafka.cleanup()


@pytest.fixture(scope="module")
def fastlog_with_acls(tmp_path_factory):
    broker = BrokerProcess(data_dir=str(tmp_path_factory.mktemp("acl-vs-kafka")), overrides={
        "listeners": "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
        "authorizer.class.name": AUTHORIZER,
        "super.users": "User:admin",
        "auto.create.topics.enable": "false",
    })
    broker.start()
    yield broker.listeners["SASL_PLAINTEXT"]
    broker.stop()
    broker.cleanup()


def acl(topic: str, operation, permission=AclPermissionType.ALLOW,
        pattern=ResourcePatternType.LITERAL) -> AclBinding:
    return AclBinding(ResourceType.TOPIC, topic, pattern, "User:alice", "*", operation, permission)


def scenario(bootstrap: str) -> list:
    """The steps, each with what alice's producer saw: None (acknowledged) or the error's name,
    then the watermarks of every partition written."""
    suffix = uuid.uuid4().hex[:6]
    allowed, other, later, prefix = f"W-{suffix}", f"X-{suffix}", f"Y-{suffix}", f"P-{suffix}-"
    admin = AdminClient(sasl_settings(bootstrap, "admin"))
    created = [NewTopic(allowed, 2, 1), NewTopic(other, 1, 1), NewTopic(prefix + "a", 1, 1)]
    for future in admin.create_topics(created).values():
        future.result(30)

    def visible(binding: AclBinding) -> bool:
        found = admin.describe_acls(AclBindingFilter(ResourceType.TOPIC, binding.name, binding.resource_pattern_type,
                                                     binding.principal, binding.host, binding.operation,
                                                     binding.permission_type)).result(15)
        return bool(found)

    def settle(binding: AclBinding, present: bool) -> None:
        # Kafka answers CreateAcls/DeleteAcls once its controller committed them and applies them
        # to the broker's authorizer a moment later (DescribeAcls answers from the broker's view):
        # each step starts once the broker sees the change, so the steps compare rules, not timing.
        deadline = time.monotonic() + 15
        while visible(binding) != present:
            assert time.monotonic() < deadline, (binding, present)
            time.sleep(0.02)

    def grant(*bindings: AclBinding) -> None:
        for future in admin.create_acls(list(bindings)).values():
            future.result(15)
        for binding in bindings:
            settle(binding, True)

    def revoke(topic: str, operation, pattern=ResourcePatternType.LITERAL) -> None:
        for future in admin.delete_acls([AclBindingFilter(ResourceType.TOPIC, topic, pattern, "User:alice", None,
                                                          operation, AclPermissionType.ALLOW)]).values():
            future.result(15)
        settle(acl(topic, operation, pattern=pattern), False)

    def send(step: str, topic: str, partition: int = 0) -> tuple:
        # A new producer per step: after a refusal librdkafka refuses the topic locally until
        # its metadata is refreshed.
        outcomes: list = []
        producer = Producer({**sasl_settings(bootstrap, "alice"), "linger.ms": 0, "retries": 0, "acks": 1})
        producer.produce(topic, step.encode(), partition=partition,
                         on_delivery=lambda err, msg: outcomes.append(err))
        assert producer.flush(20) == 0 and len(outcomes) == 1, (step, outcomes)
        error = outcomes[0]
        return step, None if error is None else KafkaError(error.code()).name()

    steps = []
    # DESCRIBE alone lets the client see a topic (and be refused writing to it), WRITE implies it
    grant(acl(allowed, AclOperation.WRITE), acl(other, AclOperation.DESCRIBE))
    steps.append(send("granted", allowed))
    steps.append(send("granted, partition 1", allowed, 1))
    steps.append(send("describe only", other))
    grant(acl(other, AclOperation.WRITE))
    steps.append(send("write granted at runtime", other))
    grant(acl(other, AclOperation.WRITE, AclPermissionType.DENY))
    steps.append(send("deny beside the allow", other))
    steps.append(send("the first grant still holds", allowed))
    grant(acl(prefix, AclOperation.WRITE, pattern=ResourcePatternType.PREFIXED))
    steps.append(send("prefixed grant", prefix + "a"))
    admin.create_topics([NewTopic(prefix + "b", 1, 1), NewTopic(later, 1, 1)])[later].result(30)
    steps.append(send("created later, under the prefix", prefix + "b"))
    grant(acl(later, AclOperation.DESCRIBE))
    steps.append(send("created later, describe only", later))
    grant(acl(later, AclOperation.WRITE))
    steps.append(send("created later, write granted", later))
    revoke(allowed, AclOperation.WRITE)
    steps.append(send("write revoked", allowed))
    revoke(prefix, AclOperation.WRITE, ResourcePatternType.PREFIXED)
    steps.append(send("prefixed grant revoked", prefix + "a"))

    consumer = Consumer({**sasl_settings(bootstrap, "admin"), "group.id": f"check-{suffix}"})
    try:
        watermarks = [(name, partition, consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=15))
                      for name, topic, partition in (("allowed", allowed, 0), ("allowed", allowed, 1),
                                                     ("other", other, 0), ("later", later, 0),
                                                     ("prefix a", prefix + "a", 0), ("prefix b", prefix + "b", 0))]
    finally:
        consumer.close()
    return steps + watermarks


def test_acl_produce_outcomes_match_kafka(kafka_with_acls, fastlog_with_acls):
    kafka = scenario(kafka_with_acls)
    fastlog = scenario(fastlog_with_acls)
    assert fastlog == kafka, "\n".join(f"{f!r:70} {k!r}" for f, k in zip(fastlog, kafka))
    # and the scenario says something: both refusals and acknowledgements happened
    outcomes = {outcome for _, outcome in kafka[:12]}
    assert outcomes == {None, "TOPIC_AUTHORIZATION_FAILED"}, kafka
