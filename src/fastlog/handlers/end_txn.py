"""EndTxn (26): commit or abort the producer's transaction (markers written before the answer).

v5+ is transaction.version 2 (KIP-890), decided by the request's version as Kafka does: the epoch
goes up with every commit or abort and the answer carries the producer id and epoch to go on with
(coordinator/transactions.py, _end_txn_tv2). v0-v4 keep the epoch and answer -1, -1."""
from fastlog.handlers._txn import for_version
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import EndTxnResponse
from fastlog.security.acl import Operation

TV2_VERSION = 5


@api(key=26, name="EndTxn", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> EndTxnResponse:
    producer_id, producer_epoch = -1, -1
    if not ctx.may_transactional_id(Operation.WRITE, request["transactional_id"]):
        error: int = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    else:
        error, producer_id, producer_epoch = await ctx.services.transactions.end_txn(
            request["transactional_id"], request["producer_id"], request["producer_epoch"], request["committed"],
            client_tv=2 if ctx.api_version >= TV2_VERSION else 0)
    return {"throttle_time_ms": 0, "error_code": for_version(error, 26, ctx.api_version),
            "producer_id": producer_id, "producer_epoch": producer_epoch}
