"""CreatePartitions (37), v0-v3: grow a topic's partition count (never shrink).

Internal topics are refused: a group's offsets live in partition hash(group) % partition count
of __consumer_offsets, so more partitions would move groups away from their committed offsets.
Needs ALTER on the topic (else TOPIC_AUTHORIZATION_FAILED, no message, as Kafka's controller).
"""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.security.acl import Operation
from fastlog.storage.log_manager import TopicError


@api(key=37, name="CreatePartitions", min_version=0, max_version=3)
async def handle(ctx: RequestContext, request: dict) -> dict:
    logs = ctx.services.logs
    results = []
    for t in request["topics"]:
        name, count = t["name"], t["count"]
        topic = logs.get(name)
        error, message = ErrorCode.NONE, None
        if not ctx.may_topic(Operation.ALTER, name):  # checked first: no hint whether the topic exists
            error = ErrorCode.TOPIC_AUTHORIZATION_FAILED
        elif topic is None:
            error, message = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"The topic '{name}' does not exist."
        elif topic.internal:
            error = ErrorCode.INVALID_PARTITIONS
            message = (f"Cannot change the partition count of internal topic {name}: it would move "
                       "consumer groups away from their stored offsets.")
        elif count <= len(topic.partitions):
            error = ErrorCode.INVALID_PARTITIONS
            message = (f"Topic currently has {len(topic.partitions)} partitions, "
                       f"which is higher than the requested {count}.")
        elif t["assignments"] and any(a["broker_ids"] != [ctx.services.node_id] for a in t["assignments"]):
            error, message = ErrorCode.INVALID_REPLICA_ASSIGNMENT, "Assignments may only name this node."
        elif not request["validate_only"]:
            try:
                logs.add_partitions(name, count)
            except TopicError as e:
                error, message = ErrorCode(e.code), e.message
        results.append({"name": name, "error_code": error, "error_message": message})
    return {"throttle_time_ms": 0, "results": results}
