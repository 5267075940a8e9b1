"""DeleteGroups (42): remove Empty groups and their committed offsets; a share group (KIP-932)
with no members is removed with its share-partition state (coordinator/share_groups.py)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DeleteGroupsResponse
from fastlog.security.acl import Operation


@api(key=42, name="DeleteGroups", min_version=0, max_version=3)
async def handle(ctx: RequestContext, request: dict) -> DeleteGroupsResponse:
    names = list(request.get("groups_names") or [])
    allowed = [name for name in names if ctx.may_group(Operation.DELETE, name)]
    shares = ctx.services.shares
    results = {name: shares.delete_group(name) for name in allowed if name in shares.groups}
    allowed = [name for name in allowed if name not in results]
    results.update(await ctx.services.groups.delete_groups(allowed) if allowed else {})
    for name in names:
        results.setdefault(name, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    return {"results": [{"group_id": name, "error_code": results[name]} for name in dict.fromkeys(names)]}
