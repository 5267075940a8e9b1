"""CreateTopics (19), v2-v7. One node: replication factor must be 1 (or -1 for the default) and
manual assignments may only name this node. Topic configs are checked against the config table
(fastlog.config.TOPIC_KEYS: every Kafka topic key is accepted, a bad value or unknown name gets
INVALID_CONFIG); v5+ answers with every config as DescribeConfigs reports it. A topic whose
files cannot be created (disk full, no file descriptors) gets KAFKA_STORAGE_ERROR and leaves
nothing behind (LogManager.create_topic).
"""
import logging

from fastlog.handlers._configs import created_topic_configs
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import CreatableTopicResult, CreateTopicsResponse
from fastlog.security.acl import Operation
from fastlog.services import BrokerServices
from fastlog.storage.log_manager import TopicError

log = logging.getLogger("fastlog.handlers")


def _validate(services: BrokerServices, t: dict) -> tuple[int, dict]:
    """Check one CreatableTopic; returns (partitions, configs) or raises TopicError."""
    replication = t["replication_factor"]
    assignments = t["assignments"]
    if assignments:
        if t["num_partitions"] != -1 or replication != -1:
            raise TopicError(ErrorCode.INVALID_REQUEST,
                             "Both numPartitions or replicationFactor and replicasAssignments were set.")
        for a in assignments:
            if a["broker_ids"] != [services.node_id]:
                raise TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                                 f"Replica assignment {a['broker_ids']} names brokers other than "
                                 f"node {services.node_id}")
        partitions = len(assignments)
    else:
        partitions = t["num_partitions"]
        if partitions == -1:
            partitions = services.config.get_int("num.partitions")
        if replication not in (-1, 1):
            raise TopicError(ErrorCode.INVALID_REPLICATION_FACTOR,
                             f"Unable to replicate the partition {replication} time(s): The target replication "
                             "factor of %d cannot be reached because only 1 broker(s) are registered." % replication)
    configs = {c["name"]: c["value"] for c in t["configs"]}
    services.logs.check_new_topic(t["name"], partitions, configs)
    return partitions, configs


@api(key=19, name="CreateTopics", min_version=2, max_version=7)
async def handle(ctx: RequestContext, request: dict) -> CreateTopicsResponse:
    services = ctx.services
    results: list[CreatableTopicResult] = []
    seen: set[str] = set()
    may_create_any = ctx.may_cluster(Operation.CREATE)  # CREATE on the cluster or on the topic
    for t in request["topics"]:
        name = t["name"]
        result: CreatableTopicResult = {"name": name, "topic_id": bytes(16), "error_code": 0, "error_message": None,
                                        "num_partitions": -1, "replication_factor": -1, "configs": None}
        if name in seen:
            result.update({"error_code": ErrorCode.INVALID_REQUEST, "error_message": "Duplicate topic name."})
            results.append(result)
            continue
        seen.add(name)
        if not (may_create_any or ctx.may_topic(Operation.CREATE, name)):
            result.update({"error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                           "error_message": "Authorization failed."})
            results.append(result)
            continue
        try:
            partitions, configs = _validate(services, t)
            if request["validate_only"]:
                result.update({"num_partitions": partitions, "replication_factor": 1})
            else:
                topic = services.logs.create_topic(name, partitions, configs)
                result.update({"topic_id": topic.topic_id, "num_partitions": partitions, "replication_factor": 1,
                               "configs": created_topic_configs(services.config, topic.configs)})
        except TopicError as e:
            if e.code == ErrorCode.KAFKA_STORAGE_ERROR:
                log.warning("CreateTopics from %s: %s", ctx.client_host, e.message)
            result.update({"error_code": e.code, "error_message": e.message})
        results.append(result)
    return {"throttle_time_ms": 0, "topics": results}
