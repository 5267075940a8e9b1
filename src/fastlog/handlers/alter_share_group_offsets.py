"""AlterShareGroupOffsets (91, KIP-932): set share-partitions' start offsets
(`kafka-share-groups --reset-offsets`). The group must have no members (NON_EMPTY_GROUP); the
share-partition starts over at the offset: everything in flight is forgotten."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import AlterShareGroupOffsetsResponse
from fastlog.security.acl import Operation


@api(key=91, name="AlterShareGroupOffsets", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> AlterShareGroupOffsetsResponse:
    shares, logs = ctx.services.shares, ctx.services.logs
    group_id = request["group_id"]
    if not ctx.may_group(Operation.READ, group_id):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "error_message": None, "responses": []}
    error, message = shares.check_empty(group_id)
    if error:
        return {"error_code": error, "error_message": message, "responses": []}
    out: list = []
    for t in request["topics"]:
        topic = logs.get(t["topic_name"])
        parts = []
        for p in t["partitions"]:
            index, code = p["partition_index"], ErrorCode.NONE
            if topic is None or topic.internal or not 0 <= index < len(topic.partitions):
                code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            elif not ctx.may_topic(Operation.READ, topic.name):
                code = ErrorCode.TOPIC_AUTHORIZATION_FAILED
            elif p["start_offset"] < 0:
                code = ErrorCode.INVALID_REQUEST
            else:
                shares.set_start_offset((group_id, topic.topic_id, index), p["start_offset"])
            parts.append({"partition_index": index, "error_code": code, "error_message": None})
        out.append({"topic_name": t["topic_name"], "topic_id": topic.topic_id if topic else bytes(16),
                    "partitions": parts})
    return {"error_code": ErrorCode.NONE, "error_message": None, "responses": out}
