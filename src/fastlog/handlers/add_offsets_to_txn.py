"""AddOffsetsToTxn (25): a group's `__consumer_offsets` partition joins the transaction, so that
its TxnOffsetCommit offsets commit or abort with it."""
from fastlog.handlers._txn import for_version
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import AddOffsetsToTxnResponse
from fastlog.security.acl import Operation


@api(key=25, name="AddOffsetsToTxn", min_version=0, max_version=4)
async def handle(ctx: RequestContext, request: dict) -> AddOffsetsToTxnResponse:
    services = ctx.services
    group_id = request["group_id"]
    error: int = ErrorCode.INVALID_GROUP_ID
    if not ctx.may_transactional_id(Operation.WRITE, request["transactional_id"]):
        error = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    elif group_id and not ctx.may_group(Operation.READ, group_id):
        error = ErrorCode.GROUP_AUTHORIZATION_FAILED
    elif group_id:
        partition = services.groups.offsets_partition(group_id)
        error = services.transactions.add_offsets(request["transactional_id"], request["producer_id"],
                                                  request["producer_epoch"], partition)
    return {"throttle_time_ms": 0, "error_code": for_version(error, 25, ctx.api_version)}
