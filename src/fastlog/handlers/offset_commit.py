"""OffsetCommit (8): store a group's consumed positions; errors are per partition."""
from __future__ import annotations

from fastlog.coordinator.group_state import CommitRequest, OffsetToCommit
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.responses import OffsetCommitResponse


@api(key=8, name="OffsetCommit", min_version=2, max_version=9)
async def handle(ctx: RequestContext, request: dict) -> OffsetCommitResponse:
    topics = request.get("topics") or []
    offsets = {}
    for t in topics:
        for p in t.get("partitions") or []:
            offsets[(t["name"], p["partition_index"])] = OffsetToCommit(
                p["committed_offset"], p.get("committed_leader_epoch", -1), p.get("committed_metadata"))
    errors = await ctx.services.groups.commit_offsets(CommitRequest(
        group_id=request["group_id"],
        generation_id=request.get("generation_id_or_member_epoch", -1),
        member_id=request.get("member_id") or "",
        group_instance_id=request.get("group_instance_id"),
        retention_time_ms=request.get("retention_time_ms", -1) if ctx.api_version <= 4 else -1,
        offsets=offsets,
        api_version=ctx.api_version,
    ))
    # Answer in the request's order.
    return {"topics": [
        {"name": t["name"], "partitions": [
            {"partition_index": p["partition_index"], "error_code": errors[(t["name"], p["partition_index"])]}
            for p in t.get("partitions") or []]}
        for t in topics]}
