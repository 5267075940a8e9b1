"""ListTransactions (66): transactional ids by state, producer id, duration (v1+) and id pattern
(v2+, a Java regular expression matched in full; Python's `re` reads the common ones alike).
Only the ids the principal may DESCRIBE are listed, as Kafka."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.responses import ListTransactionsResponse
from fastlog.security.acl import Operation


@api(key=66, name="ListTransactions", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> ListTransactionsResponse:
    error, unknown, txns = ctx.services.transactions.list(
        request["state_filters"], request["producer_id_filters"], request.get("duration_filter", -1),
        request.get("transactional_id_pattern"))
    return {"throttle_time_ms": 0, "error_code": error, "unknown_state_filters": unknown,
            "transaction_states": [{"transactional_id": m.transactional_id, "producer_id": m.producer_id,
                                    "transaction_state": m.state.kafka_name}
                                   for m in txns if ctx.may_transactional_id(Operation.DESCRIBE, m.transactional_id)]}
