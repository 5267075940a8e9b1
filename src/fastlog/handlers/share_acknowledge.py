"""ShareAcknowledge (79, KIP-932): acknowledgements of acquired records outside a fetch, in the
member's share session (epoch > 0 moves it on, -1 closes it; 0 cannot open one)."""
from __future__ import annotations

from fastlog.coordinator.share_groups import FINAL_SESSION_EPOCH
from fastlog.handlers._share import apply_acknowledgements
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ShareAcknowledgeResponse
from fastlog.security.acl import REFUSED_MESSAGES, Operation


def _error(code: int, message: str) -> ShareAcknowledgeResponse:
    return {"error_code": code, "error_message": message, "acquisition_lock_timeout_ms": 0, "responses": [],
            "node_endpoints": []}


@api(key=79, name="ShareAcknowledge", min_version=1, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> ShareAcknowledgeResponse:
    shares = ctx.services.shares
    group_id, member_id, epoch = request.get("group_id"), request.get("member_id"), request["share_session_epoch"]
    if not group_id or not member_id:
        return _error(ErrorCode.INVALID_REQUEST, "GroupId and MemberId must be set.")
    if not ctx.may_group(Operation.READ, group_id):
        return _error(ErrorCode.GROUP_AUTHORIZATION_FAILED, REFUSED_MESSAGES[ErrorCode.GROUP_AUTHORIZATION_FAILED])
    error, session = shares.open_or_advance_session(group_id, member_id, epoch, acknowledging_only=True)
    if session is None:
        return _error(error, "")
    acks = apply_acknowledgements(ctx, shares, group_id, member_id, request["topics"])
    if epoch == FINAL_SESSION_EPOCH:
        shares.close_session(group_id, member_id)
    by_topic: dict[bytes, list] = {}
    for (topic_id, index), code in sorted(acks.items()):
        by_topic.setdefault(topic_id, []).append({
            "partition_index": index, "error_code": code, "error_message": None,
            "current_leader": {"leader_id": ctx.services.node_id, "leader_epoch": 0}})
    return {"error_code": ErrorCode.NONE, "error_message": None,
            "acquisition_lock_timeout_ms": shares.lock_duration_ms(group_id),
            "responses": [{"topic_id": t, "partitions": parts} for t, parts in by_topic.items()],
            "node_endpoints": []}
