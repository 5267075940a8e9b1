"""EndTxn (26): commit or abort the producer's transaction (markers written before the answer).

fastlog advertises transaction.version 0, so v5's new producer id/epoch stay -1 (KIP-890's epoch
bump per transaction is not done)."""
from fastlog.handlers._txn import for_version
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import EndTxnResponse
from fastlog.security.acl import Operation


@api(key=26, name="EndTxn", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> EndTxnResponse:
    if not ctx.may_transactional_id(Operation.WRITE, request["transactional_id"]):
        error: int = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    else:
        error = await ctx.services.transactions.end_txn(request["transactional_id"], request["producer_id"],
                                                        request["producer_epoch"], request["committed"])
    return {"throttle_time_ms": 0, "error_code": for_version(error, 26, ctx.api_version),
            "producer_id": -1, "producer_epoch": -1}
