"""ListGroups (16): every group, optionally filtered by state (v4+) and type (v5+). Share groups
(coordinator/share_groups.py) are listed with type `share` and protocol type `share`, as Kafka."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.responses import ListGroupsResponse
from fastlog.security.acl import Operation


@api(key=16, name="ListGroups", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> ListGroupsResponse:
    see_all = ctx.may_cluster(Operation.DESCRIBE)
    states, types = request.get("states_filter") or (), request.get("types_filter") or ()
    error, groups = ctx.services.groups.list_groups(states, types)
    listed = [(g.group_id, g.protocol_type or "", g.state_name(), g.group_type) for g in groups]
    state_filter, type_filter = {s.lower() for s in states}, {t.lower() for t in types}
    if not type_filter or "share" in type_filter:
        listed += [(g.group_id, "share", g.state, "share") for g in ctx.services.shares.groups.values()
                   if not state_filter or g.state.lower() in state_filter]
    return {"error_code": error, "groups": [
        {"group_id": group_id, "protocol_type": protocol_type, "group_state": state, "group_type": group_type}
        # DESCRIBE on the cluster shows every group, else those the principal may describe
        for group_id, protocol_type, state, group_type in listed
        if see_all or ctx.may_group(Operation.DESCRIBE, group_id)]}
