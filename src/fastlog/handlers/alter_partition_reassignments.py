"""AlterPartitionReassignments (45), v0-v1: on one node the only valid replica set is [this node],
which every partition already has.

Answered as Kafka's controller answers: a replica set equal to the current one succeeds and moves
nothing; others are refused with INVALID_REPLICA_ASSIGNMENT and Kafka's messages (empty list,
an unregistered broker, a broker twice: checked over the sorted ids in that order); cancelling
(null replicas) is NO_REASSIGNMENT_IN_PROGRESS; unknown topics and partitions are
UNKNOWN_TOPIC_OR_PARTITION. Like Kafka, an empty topic list gets "" as the top-level message.
Needs ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED at the top and on every partition.
"""
from typing import Optional

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    AlterPartitionReassignmentsResponse,
    ReassignablePartitionResponse,
    ReassignableTopicResponse,
)
from fastlog.security.acl import Operation


def _check_replicas(replicas: list[int], node_id: int) -> Optional[str]:
    """Kafka's reason to refuse a manual assignment, or None when it is acceptable."""
    if not replicas:
        return "The manual partition assignment includes an empty replica list."
    previous = None
    for broker_id in sorted(replicas):
        if broker_id != node_id:
            return f"The manual partition assignment includes broker {broker_id}, but no such broker is registered."
        if broker_id == previous:
            return f"The manual partition assignment includes the broker {broker_id} more than once."
        previous = broker_id
    return None


def _result(topic, name: str, index: int, replicas: Optional[list[int]], node_id: int) -> tuple[int, Optional[str]]:
    if topic is None:
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find a topic named {name}."
    if not 0 <= index < len(topic.partitions):
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find partition {name}:{index}."
    if replicas is None:
        return ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, None
    refusal = _check_replicas(replicas, node_id)
    return (ErrorCode.NONE, None) if refusal is None else (ErrorCode.INVALID_REPLICA_ASSIGNMENT, refusal)


@api(key=45, name="AlterPartitionReassignments", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> AlterPartitionReassignmentsResponse:
    services = ctx.services
    responses: list[ReassignableTopicResponse] = []
    # Refused: CLUSTER_AUTHORIZATION_FAILED at the top and on every partition, as Kafka.
    refusal = None if ctx.may_cluster(Operation.ALTER) else (ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ctx.not_authorized)
    for item in request["topics"]:
        topic = services.logs.get(item["name"])
        partitions: list[ReassignablePartitionResponse] = []
        for part in item["partitions"]:
            code, message = refusal or _result(topic, item["name"], part["partition_index"], part["replicas"],
                                               services.node_id)
            partitions.append({"partition_index": part["partition_index"], "error_code": code,
                               "error_message": message})
        responses.append({"name": item["name"], "partitions": partitions})
    return {"throttle_time_ms": 0,
            "allow_replication_factor_change": request.get("allow_replication_factor_change", True),
            "error_code": refusal[0] if refusal else ErrorCode.NONE,
            "error_message": refusal[1] if refusal else None if responses else "", "responses": responses}
