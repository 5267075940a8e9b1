"""InitProducerId (22), v0-v5, for idempotent producers.

Without a transactional id Kafka always hands out a fresh producer id with epoch 0 (also when the
producer names its old id to bump its epoch), and so do we. Transactions are not supported yet:
a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED (see the README).
"""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import InitProducerIdResponse


@api(key=22, name="InitProducerId", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> InitProducerIdResponse:
    if request["transactional_id"] is not None:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                "producer_id": -1, "producer_epoch": -1}
    return {"throttle_time_ms": 0, "error_code": 0, "producer_id": ctx.services.producer_ids.new_id(),
            "producer_epoch": 0}
