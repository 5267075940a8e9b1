"""OffsetDelete (47): drop a group's committed offsets for partitions it does not consume."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import OffsetDeleteResponse


@api(key=47, name="OffsetDelete", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> OffsetDeleteResponse:
    topics = request.get("topics") or []
    wanted = [(t["name"], p["partition_index"]) for t in topics for p in t.get("partitions") or []]
    error, results = await ctx.services.groups.delete_offsets(request["group_id"], wanted)
    if error != ErrorCode.NONE:
        return {"error_code": error, "topics": []}
    return {"error_code": ErrorCode.NONE, "topics": [
        {"name": t["name"], "partitions": [
            {"partition_index": p["partition_index"], "error_code": results[(t["name"], p["partition_index"])]}
            for p in t.get("partitions") or []]}
        for t in topics]}
