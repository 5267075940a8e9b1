"""LeaveGroup (13): one member (v0-v2) or a batch of member identities (v3+, KIP-345)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import LeaveGroupResponse
from fastlog.security.acl import Operation


@api(key=13, name="LeaveGroup", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> LeaveGroupResponse:
    if not ctx.may_group(Operation.READ, request["group_id"]):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "members": []}
    if ctx.api_version >= 3:
        identities = [(m.get("member_id") or "", m.get("group_instance_id")) for m in request.get("members") or []]
    else:
        identities = [(request.get("member_id") or "", None)]
    error, per_member = await ctx.services.groups.leave_group(request["group_id"], identities)
    if ctx.api_version < 3:
        # A single member: its own error is the answer.
        return {"error_code": per_member[0] if error == ErrorCode.NONE and per_member else error}
    return {
        "error_code": error,
        "members": [{"member_id": mid, "group_instance_id": iid, "error_code": code}
                    for (mid, iid), code in zip(identities, per_member)],
    }
