"""ShareGroupDescribe (77, KIP-932): epochs, assignor and members (with their assignments) of
share groups. A group that is not a share group is GROUP_ID_NOT_FOUND, as Kafka answers."""
from __future__ import annotations

from typing import cast

from fastlog.coordinator.share_groups import ASSIGNOR, Assignment
from fastlog.handlers._group_answers import described_assignment
from fastlog.handlers.metadata import group_operations
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    ShareGroupDescribeAssignment,
    ShareGroupDescribeDescribedGroup,
    ShareGroupDescribeResponse,
)
from fastlog.security.acl import Operation
from fastlog.storage.log_manager import LogManager


def _assignment(logs: LogManager, assignment: Assignment) -> ShareGroupDescribeAssignment:
    return cast(ShareGroupDescribeAssignment, described_assignment(logs, assignment))


@api(key=77, name="ShareGroupDescribe", min_version=1, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> ShareGroupDescribeResponse:
    groups_out: list[ShareGroupDescribeDescribedGroup] = []
    shares = ctx.services.shares
    for group_id in request.get("group_ids") or []:
        entry: ShareGroupDescribeDescribedGroup = {
            "group_id": group_id, "error_code": ErrorCode.NONE, "error_message": None, "group_state": "",
            "group_epoch": 0, "assignment_epoch": 0, "assignor_name": "", "members": []}
        group = shares.groups.get(group_id)
        if not ctx.may_group(Operation.DESCRIBE, group_id):
            entry["error_code"] = ErrorCode.GROUP_AUTHORIZATION_FAILED
        elif group is None:
            why = "is not a share group" if group_id in shares.taken_group_ids else "not found"
            entry.update({"error_code": ErrorCode.GROUP_ID_NOT_FOUND, "error_message": f"Group {group_id} {why}."})
        else:
            entry.update({"group_state": group.state, "group_epoch": group.epoch,
                          "assignment_epoch": group.assignment_epoch, "assignor_name": ASSIGNOR, "members": [{
                             "member_id": m.member_id,
                             "rack_id": m.rack_id,
                             "member_epoch": m.epoch,
                             "client_id": m.client_id,
                             "client_host": m.client_host,
                             "subscribed_topic_names": sorted(m.subscribed),
                             "assignment": _assignment(ctx.services.logs, m.assignment),
                         } for m in group.members.values()]})
        if request.get("include_authorized_operations") and entry["error_code"] == ErrorCode.NONE:
            entry["authorized_operations"] = group_operations(ctx, group_id)
        groups_out.append(entry)
    return {"groups": groups_out}
