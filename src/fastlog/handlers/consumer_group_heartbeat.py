"""ConsumerGroupHeartbeat (68, KIP-848): join, heartbeat and leave of a consumer-protocol member;
the answer carries the member's epoch and, when it changed, its assignment. Needs READ on the
group (else GROUP_AUTHORIZATION_FAILED), as Kafka."""
from __future__ import annotations

from typing import Optional, cast

from fastlog.coordinator.consumer_groups import HeartbeatRequest
from fastlog.handlers._group_answers import heartbeat_answer
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ConsumerGroupHeartbeatResponse
from fastlog.security.acl import Operation


def _owned(topics: Optional[list]) -> Optional[dict[bytes, set[int]]]:
    if topics is None:
        return None
    out: dict[bytes, set[int]] = {}
    for t in topics:
        out.setdefault(bytes(t["topic_id"]), set()).update(t.get("partitions") or [])
    return {t: parts for t, parts in out.items() if parts}


@api(key=68, name="ConsumerGroupHeartbeat", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> ConsumerGroupHeartbeatResponse:
    if not ctx.may_group(Operation.READ, request["group_id"]):  # Kafka: only the code
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "error_message": None, "member_id": None,
                "member_epoch": 0, "heartbeat_interval_ms": 0, "assignment": None}
    result = await ctx.services.groups.consumer_group_heartbeat(HeartbeatRequest(
        group_id=request["group_id"],
        member_id=request["member_id"],
        member_epoch=request["member_epoch"],
        instance_id=request.get("instance_id"),
        rack_id=request.get("rack_id"),
        rebalance_timeout_ms=request.get("rebalance_timeout_ms", -1),
        subscribed_topic_names=request.get("subscribed_topic_names"),
        subscribed_topic_regex=request.get("subscribed_topic_regex"),
        server_assignor=request.get("server_assignor"),
        owned=_owned(request.get("topic_partitions")),
        client_id=ctx.client_id or "",
        client_host=ctx.client_host,
        api_version=ctx.api_version,
    ))
    return cast(ConsumerGroupHeartbeatResponse, heartbeat_answer(result))
