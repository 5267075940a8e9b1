"""ListGroups (16): every group, optionally filtered by state (v4+) and type (v5+)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.responses import ListGroupsResponse


@api(key=16, name="ListGroups", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> ListGroupsResponse:
    error, groups = ctx.services.groups.list_groups(
        request.get("states_filter") or (), request.get("types_filter") or ())
    return {"error_code": error, "groups": [
        {"group_id": g.group_id, "protocol_type": g.protocol_type or "",
         "group_state": g.state_name(), "group_type": g.group_type}
        for g in groups]}
