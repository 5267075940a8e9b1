"""DeleteGroups (42): remove Empty groups and their committed offsets."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DeleteGroupsResponse
from fastlog.security.acl import Operation


@api(key=42, name="DeleteGroups", min_version=0, max_version=3)
async def handle(ctx: RequestContext, request: dict) -> DeleteGroupsResponse:
    names = list(request.get("groups_names") or [])
    allowed = [name for name in names if ctx.may_group(Operation.DELETE, name)]
    results = await ctx.services.groups.delete_groups(allowed) if allowed else {}
    for name in names:
        results.setdefault(name, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    return {"results": [{"group_id": name, "error_code": results[name]} for name in dict.fromkeys(names)]}
