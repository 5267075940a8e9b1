"""SyncGroup (14): the leader hands in the assignment; every member waits for its own part."""
from __future__ import annotations

from fastlog.coordinator.group_state import SyncRequest
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import SyncGroupResponse
from fastlog.security.acl import Operation


@api(key=14, name="SyncGroup", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> SyncGroupResponse:
    if not ctx.may_group(Operation.READ, request["group_id"]):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "assignment": b""}
    assignments = {a["member_id"]: bytes(a["assignment"] or b"") for a in request.get("assignments") or []}
    result = await ctx.services.groups.sync_group(SyncRequest(
        group_id=request["group_id"],
        generation_id=request["generation_id"],
        member_id=request["member_id"],
        group_instance_id=request.get("group_instance_id"),
        protocol_type=request.get("protocol_type"),
        protocol_name=request.get("protocol_name"),
        assignments=assignments,
    ))
    return {
        "error_code": result.error,
        "protocol_type": result.protocol_type,
        "protocol_name": result.protocol_name,
        "assignment": result.assignment,
    }
