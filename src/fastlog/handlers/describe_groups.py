"""DescribeGroups (15): state, protocol and members of each group."""
from __future__ import annotations

from fastlog.coordinator.group_state import GroupState
from fastlog.handlers.metadata import group_operations
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeGroupsDescribedGroup, DescribeGroupsResponse
from fastlog.security.acl import Operation


@api(key=15, name="DescribeGroups", min_version=0, max_version=6)
async def handle(ctx: RequestContext, request: dict) -> DescribeGroupsResponse:
    out: list[DescribeGroupsDescribedGroup] = []
    for group_id in request.get("groups") or []:
        if not ctx.may_group(Operation.DESCRIBE, group_id):
            out.append({"group_id": group_id, "error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "group_state": "",
                        "protocol_type": "", "protocol_data": "", "members": []})
            continue
        error, group = ctx.services.groups.describe_group(group_id)
        entry: DescribeGroupsDescribedGroup = {"group_id": group_id, "error_code": error, "group_state": "",
                                               "protocol_type": "", "protocol_data": "", "members": []}
        # Kafka 4.4 describes classic groups only: a consumer group (even one with classic members
        # after an online upgrade) or a share group is as Dead as an unknown one; v6+ also say
        # GROUP_ID_NOT_FOUND (KIP-1043). Tools describe those through ConsumerGroupDescribe.
        not_classic = group_id in ctx.services.shares.groups or (group is not None and group.consumer is not None)
        if error == ErrorCode.NONE and (group is None or not_classic):
            entry["group_state"] = GroupState.DEAD.value
            if ctx.api_version >= 6:
                entry["error_code"] = ErrorCode.GROUP_ID_NOT_FOUND
                entry["error_message"] = f"Group {group_id} {'is not a classic group' if not_classic else 'not found'}."
        elif group is not None:
            stable = group.state is GroupState.STABLE
            entry.update({
                "group_state": group.state.value,
                "protocol_type": group.protocol_type or "",
                # Kafka shows the protocol and member metadata/assignment only when Stable.
                "protocol_data": (group.protocol_name or "") if stable else "",
                "members": [{
                    "member_id": m.member_id,
                    "group_instance_id": m.group_instance_id,
                    "client_id": m.client_id,
                    "client_host": m.client_host,
                    "member_metadata": m.metadata(group.protocol_name) if stable else b"",
                    "member_assignment": m.assignment if stable else b"",
                } for m in group.members.values()],
            })
        if request.get("include_authorized_operations") and entry["error_code"] == ErrorCode.NONE:
            entry["authorized_operations"] = group_operations(ctx, group_id)
        out.append(entry)
    return {"groups": out}
