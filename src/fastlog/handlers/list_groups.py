"""ListGroups (16): every group, optionally filtered by state (v4+) and type (v5+)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.responses import ListGroupsResponse
from fastlog.security.acl import Operation


@api(key=16, name="ListGroups", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> ListGroupsResponse:
    see_all = ctx.may_cluster(Operation.DESCRIBE)
    error, groups = ctx.services.groups.list_groups(
        request.get("states_filter") or (), request.get("types_filter") or ())
    return {"error_code": error, "groups": [
        {"group_id": g.group_id, "protocol_type": g.protocol_type or "",
         "group_state": g.state_name(), "group_type": g.group_type}
        # DESCRIBE on the cluster shows every group, else those the principal may describe
        for g in groups if see_all or ctx.may_group(Operation.DESCRIBE, g.group_id)]}
