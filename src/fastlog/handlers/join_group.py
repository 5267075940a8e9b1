"""JoinGroup (11): parks until the group's rebalance completes (coordinator/membership.py)."""
from __future__ import annotations

from fastlog.coordinator.group_state import JoinRequest
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import JoinGroupResponse
from fastlog.security.acl import Operation


@api(key=11, name="JoinGroup", min_version=0, max_version=9)
async def handle(ctx: RequestContext, request: dict) -> JoinGroupResponse:
    v = ctx.api_version
    if not ctx.may_group(Operation.READ, request["group_id"]):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "generation_id": -1,
                "protocol_name": None if v >= 7 else "", "members": []}
    result = await ctx.services.groups.join_group(JoinRequest(
        group_id=request["group_id"],
        member_id=request.get("member_id") or "",
        group_instance_id=request.get("group_instance_id"),
        client_id=ctx.client_id or "",
        client_host=ctx.client_host,
        session_timeout_ms=request["session_timeout_ms"],
        rebalance_timeout_ms=request.get("rebalance_timeout_ms", -1) if v >= 1 else -1,
        protocol_type=request.get("protocol_type") or "",
        protocols=[(p["name"], bytes(p["metadata"] or b"")) for p in request.get("protocols") or []],
        api_version=v,
    ))
    # protocol_name is nullable only from v7; older versions carry "" instead of null.
    protocol_name = result.protocol_name if v >= 7 else (result.protocol_name or "")
    return {
        "error_code": result.error,
        "generation_id": result.generation_id,
        "protocol_type": result.protocol_type,
        "protocol_name": protocol_name,
        "leader": result.leader,
        "skip_assignment": result.skip_assignment,
        "member_id": result.member_id,
        "members": [{"member_id": mid, "group_instance_id": iid, "metadata": meta}
                    for mid, iid, meta in result.members],
    }
