"""InitProducerId (22), v0-v5.

Without a transactional id Kafka always hands out a fresh producer id with epoch 0 (also when the
producer names its old id to bump its epoch), and so do we. With one, the transaction coordinator
bumps the id's epoch (fencing older instances), aborting a transaction the last instance left
open, and KIP-360's producer_id/epoch (v3+) let a producer recover its own id.
ACLs as Kafka: WRITE on the transactional id; without one, IDEMPOTENT_WRITE on the cluster or
WRITE on any topic (else CLUSTER_AUTHORIZATION_FAILED).
"""
from fastlog.handlers._txn import for_version
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import InitProducerIdResponse
from fastlog.security.acl import Operation, ResourceType


@api(key=22, name="InitProducerId", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> InitProducerIdResponse:
    transactional_id = request["transactional_id"]
    if transactional_id is None:
        # Kafka: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (authorizeByResourceType).
        if not (ctx.may_cluster(Operation.IDEMPOTENT_WRITE)
                or ctx.services.authorizer.authorize_any(ctx.principal, Operation.WRITE, ResourceType.TOPIC, ctx.host)):
            return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "producer_id": -1,
                    "producer_epoch": -1}
        return {"throttle_time_ms": 0, "error_code": 0, "producer_id": ctx.services.producer_ids.new_id(),
                "producer_epoch": 0}
    if not ctx.may_transactional_id(Operation.WRITE, transactional_id):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                "producer_id": -1, "producer_epoch": -1}
    error, producer_id, epoch = await ctx.services.transactions.init_producer_id(
        transactional_id, request["transaction_timeout_ms"], request.get("producer_id", -1),
        request.get("producer_epoch", -1))
    return {"throttle_time_ms": 0, "error_code": for_version(error, 22, ctx.api_version),
            "producer_id": producer_id, "producer_epoch": epoch}
