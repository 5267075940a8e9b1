"""DeleteShareGroupOffsets (92, KIP-932): forget a group's share-partitions of whole topics
(`kafka-share-groups --delete-offsets`); the next fetch starts them at share.auto.offset.reset.
The group must have no members (NON_EMPTY_GROUP)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DeleteShareGroupOffsetsResponse
from fastlog.security.acl import Operation


@api(key=92, name="DeleteShareGroupOffsets", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> DeleteShareGroupOffsetsResponse:
    shares, logs = ctx.services.shares, ctx.services.logs
    group_id = request["group_id"]
    if not ctx.may_group(Operation.DELETE, group_id):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "error_message": None, "responses": []}
    if group_id not in shares.groups:
        return {"error_code": ErrorCode.GROUP_ID_NOT_FOUND, "error_message": f"Group {group_id} not found.",
                "responses": []}
    error, message = shares.check_empty(group_id)
    if error:
        return {"error_code": error, "error_message": message, "responses": []}
    out: list = []
    for t in request["topics"]:
        topic = logs.get(t["topic_name"])
        code = ErrorCode.NONE
        if topic is None:
            code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        elif not ctx.may_topic(Operation.READ, topic.name):
            code = ErrorCode.TOPIC_AUTHORIZATION_FAILED
        else:
            for index in range(len(topic.partitions)):
                shares.delete_state((group_id, topic.topic_id, index))
        out.append({"topic_name": t["topic_name"], "topic_id": topic.topic_id if topic else bytes(16),
                    "error_code": code, "error_message": None})
    return {"error_code": ErrorCode.NONE, "error_message": None, "responses": out}
