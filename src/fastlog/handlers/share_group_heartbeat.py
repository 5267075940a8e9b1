"""ShareGroupHeartbeat (76, KIP-932): join, heartbeat and leave of a share-group member; the
answer carries the member's epoch and, when it changed, its assignment (coordinator/share_groups.py)."""
from __future__ import annotations

from typing import cast

from fastlog.handlers._group_answers import heartbeat_answer
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ShareGroupHeartbeatResponse
from fastlog.security.acl import Operation


@api(key=76, name="ShareGroupHeartbeat", min_version=1, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> ShareGroupHeartbeatResponse:
    group_id = request["group_id"]
    if not ctx.may_group(Operation.READ, group_id):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "error_message": None,
                "member_id": None, "member_epoch": 0, "heartbeat_interval_ms": 0, "assignment": None}
    result = ctx.services.shares.heartbeat(
        group_id, request["member_id"], request["member_epoch"], request.get("rack_id"),
        request.get("subscribed_topic_names"), ctx.client_id or "", ctx.client_host)
    return cast(ShareGroupHeartbeatResponse, heartbeat_answer(result))
