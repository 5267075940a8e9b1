"""DescribeTopicPartitions (75), v0: Metadata's partition view, paged by a cursor (KIP-966).

Follows Kafka's handler: topics (all when the list is empty, else the named ones, invalid or
unknown names answered with an error and no partitions) are taken in name order from the
cursor's topic on; partitions are added until `response_partition_limit` (clamped to
1..2000, Kafka's max.request.partition.size.limit default) is reached, and `next_cursor` then
names the first partition left out. A cursor naming a topic the list lacks, or a negative
partition, is an INVALID_REQUEST for every named topic. One node: every leader is this node at
epoch 0 and the eligible-leader-replica lists are empty. ACLs as Kafka: "all" lists the topics
the principal may DESCRIBE; a named one it may not is TOPIC_AUTHORIZATION_FAILED after the page.
"""
from typing import Optional

from fastlog.handlers.metadata import NOT_REQUESTED, topic_operations
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import Cursor, DescribeTopicPartitionsResponse, DescribeTopicPartitionsResponseTopic
from fastlog.protocol.schema import ZERO_UUID
from fastlog.security.acl import Operation
from fastlog.storage.log_manager import TopicError, validate_topic_name

MAX_PARTITION_LIMIT = 2000


def _invalid(request: dict) -> DescribeTopicPartitionsResponse:
    return {"throttle_time_ms": 0, "next_cursor": None,
            "topics": [{"error_code": ErrorCode.INVALID_REQUEST, "name": t["name"], "topic_id": ZERO_UUID,
                        "is_internal": False, "partitions": [], "topic_authorized_operations": NOT_REQUESTED}
                       for t in request["topics"]]}


def _missing_topic_error(name: str) -> int:
    try:
        validate_topic_name(name)
    except TopicError as e:
        return e.code
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


@api(key=75, name="DescribeTopicPartitions", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> DescribeTopicPartitionsResponse:
    services = ctx.services
    cursor = request["cursor"]
    start_topic = cursor["topic_name"] if cursor else ""
    fetch_all = not request["topics"]
    names = set(services.logs.topics) if fetch_all else {t["name"] for t in request["topics"]}
    names = {n for n in names if n >= start_topic}
    if cursor is not None and (cursor["partition_index"] < 0 or (not fetch_all and start_topic not in names)):
        return _invalid(request)
    # As Kafka: topics the principal may not DESCRIBE are left out of "all", and named ones are
    # answered TOPIC_AUTHORIZATION_FAILED after the page (taking no room, existence not disclosed).
    refused = sorted(n for n in names if not ctx.may_topic(Operation.DESCRIBE, n))
    names -= set(refused)
    remaining = max(min(MAX_PARTITION_LIMIT, request["response_partition_limit"]), 1)
    node = services.node_id
    topics: list[DescribeTopicPartitionsResponseTopic] = []
    next_cursor: Optional[Cursor] = None
    for name in sorted(names):
        if remaining == 0:
            next_cursor = {"topic_name": name, "partition_index": 0}
            break
        topic = services.logs.get(name)
        if topic is None:
            if not fetch_all:
                topics.append({"error_code": _missing_topic_error(name), "name": name, "topic_id": ZERO_UUID,
                               "is_internal": False, "partitions": [],
                               "topic_authorized_operations": topic_operations(services, ctx.principal, name)})
            continue
        first = cursor["partition_index"] if cursor and name == start_topic else 0
        count = len(topic.partitions)
        end = min(first + remaining, count)
        topics.append({
            "error_code": ErrorCode.NONE, "name": name, "topic_id": topic.topic_id, "is_internal": topic.internal,
            "partitions": [{"error_code": 0, "partition_index": i, "leader_id": node, "leader_epoch": 0,
                            "replica_nodes": [node], "isr_nodes": [node], "eligible_leader_replicas": [],
                            "last_known_elr": [], "offline_replicas": []} for i in range(first, end)],
            "topic_authorized_operations": topic_operations(services, ctx.principal, name)})
        if end < count:
            next_cursor = {"topic_name": name, "partition_index": end}
            break
        remaining -= max(end - first, 0)
    if not fetch_all:
        topics += [{"error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED, "name": name, "topic_id": ZERO_UUID,
                    "is_internal": False, "partitions": [], "topic_authorized_operations": NOT_REQUESTED}
                   for name in refused]
    return {"throttle_time_ms": 0, "topics": topics, "next_cursor": next_cursor}
