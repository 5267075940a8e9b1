"""ConsumerGroupDescribe (69, KIP-848): epochs, assignor and members (with their current and
target assignments) of consumer-protocol groups. A classic group is GROUP_ID_NOT_FOUND, which
tells the admin client to fall back to DescribeGroups. A group the principal may not DESCRIBE
is GROUP_AUTHORIZATION_FAILED, as Kafka."""
from __future__ import annotations

from typing import cast

from fastlog.coordinator.consumer_state import Assignment
from fastlog.handlers._group_answers import described_assignment
from fastlog.handlers.metadata import group_operations
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    ConsumerGroupDescribeAssignment,
    ConsumerGroupDescribeDescribedGroup,
    ConsumerGroupDescribeResponse,
)
from fastlog.security.acl import Operation
from fastlog.storage.log_manager import LogManager

# member_type (v1): a member of the consumer protocol, or a classic one inside a consumer group
# (online migration, coordinator/consumer_migration.py).
CLASSIC_MEMBER, CONSUMER_MEMBER = 0, 1


def _assignment(logs: LogManager, assignment: Assignment) -> ConsumerGroupDescribeAssignment:
    return cast(ConsumerGroupDescribeAssignment, described_assignment(logs, assignment))


@api(key=69, name="ConsumerGroupDescribe", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> ConsumerGroupDescribeResponse:
    groups_out: list[ConsumerGroupDescribeDescribedGroup] = []
    coordinator = ctx.services.groups
    logs = ctx.services.logs
    for group_id in request.get("group_ids") or []:
        entry: ConsumerGroupDescribeDescribedGroup = {
            "group_id": group_id, "error_code": ErrorCode.NONE, "error_message": None, "group_state": "",
            "group_epoch": 0, "assignment_epoch": 0, "assignor_name": "", "members": []}
        error, group = coordinator.describe_group(group_id)
        if not ctx.may_group(Operation.DESCRIBE, group_id):
            error = ErrorCode.GROUP_AUTHORIZATION_FAILED
        if error == ErrorCode.NONE and group_id == "":
            error = ErrorCode.INVALID_GROUP_ID
        if error != ErrorCode.NONE:
            entry["error_code"] = error
        elif group is None and group_id not in ctx.services.shares.groups:
            entry.update({"error_code": ErrorCode.GROUP_ID_NOT_FOUND, "error_message": f"Group {group_id} not found."})
        elif group is None or group.consumer is None:
            entry.update({"error_code": ErrorCode.GROUP_ID_NOT_FOUND,
                          "error_message": f"Group {group_id} is not a consumer group."})
        else:
            cg = group.consumer
            entry.update({"group_state": cg.state_name(), "group_epoch": cg.group_epoch,
                          "assignment_epoch": cg.assignment_epoch, "assignor_name": group.assignor_name, "members": [{
                             "member_id": m.member_id,
                             "instance_id": m.instance_id,
                             "rack_id": m.rack_id,
                             "member_epoch": m.member_epoch,
                             "client_id": m.client_id,
                             "client_host": m.client_host,
                             "subscribed_topic_names": m.subscribed_topic_names,
                             "subscribed_topic_regex": m.subscribed_topic_regex,
                             "assignment": _assignment(logs, m.assigned),
                             "target_assignment": _assignment(logs, cg.target.get(m.member_id, {})),
                             "member_type": CONSUMER_MEMBER if m.classic is None else CLASSIC_MEMBER,
                         } for m in cg.members.values()]})
        if request.get("include_authorized_operations") and entry["error_code"] == ErrorCode.NONE:
            entry["authorized_operations"] = group_operations(ctx, group_id)
        groups_out.append(entry)
    return {"groups": groups_out}
