"""DescribeClientQuotas (48): the quotas set on entities matching a filter (fastlog.quotas). Needs
DESCRIBE_CONFIGS on the cluster, else CLUSTER_AUTHORIZATION_FAILED."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeClientQuotasResponse
from fastlog.quotas import QuotaError, kafka_order
from fastlog.security.acl import REFUSED_MESSAGES, Operation


@api(key=48, name="DescribeClientQuotas", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> DescribeClientQuotasResponse:
    if not ctx.may_cluster(Operation.DESCRIBE_CONFIGS):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": REFUSED_MESSAGES[ErrorCode.CLUSTER_AUTHORIZATION_FAILED], "entries": None}
    components = [(c["entity_type"], c["match_type"], c["match"]) for c in request["components"]]
    try:
        found = ctx.services.quotas.describe(components, request["strict"])
    except QuotaError as e:
        return {"throttle_time_ms": 0, "error_code": e.code, "error_message": e.message, "entries": None}
    # Kafka answers an empty error message, not null, on success.
    return {"throttle_time_ms": 0, "error_code": 0, "error_message": "", "entries": [
        {"entity": [{"entity_type": t, "entity_name": n} for t, n in kafka_order(entity)],
         "values": [{"key": k, "value": v} for k, v in sorted(values.items())]}
        for entity, values in found]}
