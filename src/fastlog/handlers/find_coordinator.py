"""FindCoordinator (10): fastlog is a single node, so it coordinates every group and transaction.

v0-v3 ask for one key; v4+ carry a batch of keys (`coordinator_keys`) and get one entry each.
"""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import Coordinator, FindCoordinatorResponse
from fastlog.security.acl import Operation, ResourceType

GROUP, TRANSACTION = 0, 1


def _answer(ctx: RequestContext, key_type: int) -> tuple[int, str | None]:
    if key_type not in (GROUP, TRANSACTION):
        return ErrorCode.INVALID_REQUEST, f"Unsupported key type {key_type}"
    if key_type == GROUP and not ctx.services.groups.active:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, None
    if key_type == TRANSACTION and not ctx.services.transactions.active:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, None
    return ErrorCode.NONE, None


@api(key=10, name="FindCoordinator", min_version=0, max_version=6)
async def handle(ctx: RequestContext, request: dict) -> FindCoordinatorResponse:
    services = ctx.services
    key_type = request.get("key_type", GROUP)
    error, message = _answer(ctx, key_type)
    resource = ResourceType.GROUP if key_type == GROUP else ResourceType.TRANSACTIONAL_ID

    def entry(key: str) -> tuple[int, str | None, tuple]:
        """(error, message, node) for one key: DESCRIBE on its group or transactional id first."""
        key_error, key_message = error, message
        if key_error == ErrorCode.NONE and not ctx.authorize(Operation.DESCRIBE, resource, key):
            key_error = (ErrorCode.GROUP_AUTHORIZATION_FAILED if key_type == GROUP
                         else ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
            key_message = "Authorization failed."
        # As Kafka: the coordinator's internal topic exists once a client has found it.
        if key_error == ErrorCode.NONE and not (services.groups.ensure_offsets_topic() if key_type == GROUP
                                                else services.transactions.ensure_log_topic()):
            key_error, key_message = ErrorCode.COORDINATOR_NOT_AVAILABLE, None
        ok = key_error == ErrorCode.NONE
        return key_error, key_message, (services.node_id, *ctx.address) if ok else (-1, "", -1)

    if ctx.api_version >= 4:
        coordinators: list[Coordinator] = []
        for key in request.get("coordinator_keys", []):
            key_error, key_message, node = entry(key)
            coordinators.append({"key": key, "node_id": node[0], "host": node[1], "port": node[2],
                                 "error_code": key_error, "error_message": key_message})
        return {"coordinators": coordinators}
    key_error, key_message, node = entry(request.get("key", ""))
    return {"error_code": key_error, "error_message": key_message,
            "node_id": node[0], "host": node[1], "port": node[2]}
