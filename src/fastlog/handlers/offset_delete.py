"""OffsetDelete (47): drop a group's committed offsets for partitions it does not consume.
As Kafka: DELETE on the group (else GROUP_AUTHORIZATION_FAILED), READ on each topic (else
TOPIC_AUTHORIZATION_FAILED for its partitions, the others are deleted)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import OffsetDeleteResponse
from fastlog.security.acl import Operation


@api(key=47, name="OffsetDelete", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> OffsetDeleteResponse:
    topics = request.get("topics") or []
    if not ctx.may_group(Operation.DELETE, request["group_id"]):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "topics": []}
    readable = {t["name"] for t in topics if ctx.may_topic(Operation.READ, t["name"])}
    wanted = [(t["name"], p["partition_index"]) for t in topics for p in t.get("partitions") or []
              if t["name"] in readable]
    error, results = await ctx.services.groups.delete_offsets(request["group_id"], wanted)
    if error != ErrorCode.NONE:
        return {"error_code": error, "topics": []}
    results.update({(t["name"], p["partition_index"]): ErrorCode.TOPIC_AUTHORIZATION_FAILED
                    for t in topics if t["name"] not in readable for p in t.get("partitions") or []})
    return {"error_code": ErrorCode.NONE, "topics": [
        {"name": t["name"], "partitions": [
            {"partition_index": p["partition_index"], "error_code": results[(t["name"], p["partition_index"])]}
            for p in t.get("partitions") or []]}
        for t in topics]}
