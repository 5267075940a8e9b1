"""Heartbeat (12): keeps a member's session alive and tells it when a rebalance started."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import HeartbeatResponse
from fastlog.security.acl import Operation


@api(key=12, name="Heartbeat", min_version=0, max_version=4)
async def handle(ctx: RequestContext, request: dict) -> HeartbeatResponse:
    if not ctx.may_group(Operation.READ, request["group_id"]):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED}
    error = await ctx.services.groups.heartbeat(
        group_id=request["group_id"],
        generation_id=request["generation_id"],
        member_id=request["member_id"],
        group_instance_id=request.get("group_instance_id"),
    )
    return {"error_code": error}
