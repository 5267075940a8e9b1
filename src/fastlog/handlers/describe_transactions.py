"""DescribeTransactions (65): the coordinator's state of each transactional id (kafka-transactions
describe)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.responses import DescribeTransactionsResponse, DescribeTransactionsTransactionState


@api(key=65, name="DescribeTransactions", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> DescribeTransactionsResponse:
    states: list[DescribeTransactionsTransactionState] = []
    for tid in request["transactional_ids"]:
        error, meta = ctx.services.transactions.describe(tid)
        if meta is None:
            states.append({"error_code": error, "transactional_id": tid, "transaction_state": "",
                           "transaction_timeout_ms": 0, "transaction_start_time_ms": -1, "producer_id": -1,
                           "producer_epoch": -1, "topics": []})
            continue
        by_topic: dict[str, list[int]] = {}
        for topic, partition in sorted(meta.partitions):
            by_topic.setdefault(topic, []).append(partition)
        states.append({"error_code": 0, "transactional_id": tid, "transaction_state": meta.state.kafka_name,
                       "transaction_timeout_ms": meta.timeout_ms, "transaction_start_time_ms": meta.start_ms,
                       "producer_id": meta.producer_id, "producer_epoch": meta.producer_epoch,
                       "topics": [{"topic": t, "partitions": ps} for t, ps in by_topic.items()]})
    return {"throttle_time_ms": 0, "transaction_states": states}
