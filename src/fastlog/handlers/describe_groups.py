"""DescribeGroups (15): state, protocol and members of each group."""
from __future__ import annotations

from fastlog.coordinator.consumer_protocol import by_name, encode_assignment, encode_subscription
from fastlog.coordinator.group_state import Group, GroupState
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeGroupsDescribedGroup, DescribeGroupsResponse
from fastlog.security.acl import Operation
from fastlog.storage.log_manager import LogManager


def _consumer_group(group: Group, logs: LogManager) -> DescribeGroupsDescribedGroup:
    """A KIP-848 group as Kafka describes it to the classic API: its own state name, protocol
    type `consumer`, no protocol, each member's subscription and assignment in the classic
    ConsumerProtocol encoding (version 0), so classic tools can read them."""
    cg = group.consumer
    assert cg is not None
    return {
        "group_state": cg.state_name(), "protocol_type": "consumer", "protocol_data": "",
        "members": [{
            "member_id": m.member_id,
            "group_instance_id": m.instance_id,
            "client_id": m.client_id,
            "client_host": m.client_host,
            "member_metadata": encode_subscription(m.subscribed_topic_names),
            "member_assignment": encode_assignment(by_name(m.assigned, logs)),
        } for m in cg.members.values()],
    }


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
        if error == ErrorCode.NONE and group is None:
            # Kafka reports an unknown group as Dead; v6+ also says GROUP_ID_NOT_FOUND (KIP-1043).
            entry["group_state"] = GroupState.DEAD.value
            if ctx.api_version >= 6:
                entry["error_code"] = ErrorCode.GROUP_ID_NOT_FOUND
                what = "is not a classic group" if group_id in ctx.services.shares.groups else "not found"
                entry["error_message"] = f"Group {group_id} {what}."
        elif group is not None and group.consumer is not None:
            entry.update(_consumer_group(group, ctx.services.logs))
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
        out.append(entry)
    return {"groups": out}
