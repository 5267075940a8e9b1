"""AlterClientQuotas (49): set or remove quotas per entity, each entry on its own (fastlog.quotas).
Needs ALTER_CONFIGS on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every entry."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import AlterClientQuotasEntryData, AlterClientQuotasResponse
from fastlog.quotas import QuotaError, check_entity, kafka_order
from fastlog.security.acl import REFUSED_MESSAGES, Operation


@api(key=49, name="AlterClientQuotas", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> AlterClientQuotasResponse:
    entries: list[AlterClientQuotasEntryData] = []
    allowed = ctx.may_cluster(Operation.ALTER_CONFIGS)  # else every entry CLUSTER_AUTHORIZATION_FAILED
    for entry in request["entries"]:
        # Kafka keeps an entity as a map: a type given twice counts once, with its last name.
        parts = tuple(dict((e["entity_type"], e["entity_name"]) for e in entry["entity"]).items())
        try:
            if not allowed:
                raise QuotaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                                 REFUSED_MESSAGES[ErrorCode.CLUSTER_AUTHORIZATION_FAILED])
            entity = check_entity(list(parts))
            ctx.services.quotas.alter(entity, [(op["key"], op["value"], op["remove"]) for op in entry["ops"]],
                                      request["validate_only"])
            code, message = 0, None
        except QuotaError as e:
            code, message = e.code, e.message
        entries.append({"error_code": code, "error_message": message,
                        "entity": [{"entity_type": t, "entity_name": n} for t, n in kafka_order(parts)]})
    return {"throttle_time_ms": 0, "entries": entries}
