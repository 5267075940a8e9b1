"""DescribeTransactions (65): the coordinator's state of each transactional id (kafka-transactions
describe). Needs DESCRIBE on each transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for
it); the partitions of topics the principal may not DESCRIBE are left out, as Kafka does."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeTransactionsResponse, DescribeTransactionsTransactionState
from fastlog.security.acl import Operation


@api(key=65, name="DescribeTransactions", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> DescribeTransactionsResponse:
    states: list[DescribeTransactionsTransactionState] = []
    for tid in request["transactional_ids"]:
        if ctx.may_transactional_id(Operation.DESCRIBE, tid):
            error, meta = ctx.services.transactions.describe(tid)
        else:
            error, meta = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, None
        if meta is None:
            states.append({"error_code": error, "transactional_id": tid, "transaction_state": "",
                           "transaction_timeout_ms": 0, "transaction_start_time_ms": -1, "producer_id": -1,
                           "producer_epoch": -1, "topics": []})
            continue
        by_topic: dict[str, list[int]] = {}
        for topic, partition in sorted(meta.partitions):
            if ctx.may_topic(Operation.DESCRIBE, topic):  # others left out, as Kafka
                by_topic.setdefault(topic, []).append(partition)
        states.append({"error_code": 0, "transactional_id": tid, "transaction_state": meta.state.kafka_name,
                       "transaction_timeout_ms": meta.timeout_ms, "transaction_start_time_ms": meta.start_ms,
                       "producer_id": meta.producer_id, "producer_epoch": meta.producer_epoch,
                       "topics": [{"topic": t, "partitions": ps} for t, ps in by_topic.items()]})
    return {"throttle_time_ms": 0, "transaction_states": states}
