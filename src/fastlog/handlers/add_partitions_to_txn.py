"""AddPartitionsToTxn (24): partitions a producer is about to write join its transaction.

v0-v3 carry one transaction (what clients send); v4+ a batch, each possibly `verify_only` (Kafka
sends those broker to broker; we answer them the same way).
"""
from __future__ import annotations

from fastlog.handlers._txn import for_version
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    AddPartitionsToTxnPartitionResult,
    AddPartitionsToTxnResponse,
    AddPartitionsToTxnTopicResult,
)
from fastlog.security.acl import Operation


def _results(errors: dict[tuple[str, int], int]) -> list[AddPartitionsToTxnTopicResult]:
    by_topic: dict[str, list[AddPartitionsToTxnPartitionResult]] = {}
    for (topic, partition), error in errors.items():
        by_topic.setdefault(topic, []).append({"partition_index": partition, "partition_error_code": error})
    return [{"name": t, "results_by_partition": parts} for t, parts in by_topic.items()]


def _one(ctx: RequestContext, tid: str, pid: int, epoch: int, topics: list,
         verify: bool) -> list[AddPartitionsToTxnTopicResult]:
    partitions = [(t["name"], p) for t in topics for p in t["partitions"]]
    # Kafka's checks: WRITE on the transactional id, then on every topic; when one fails nothing
    # is added and the others are OPERATION_NOT_ATTEMPTED.
    if not ctx.may_transactional_id(Operation.WRITE, tid):
        return _results({tp: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED for tp in partitions})
    refused = {t["name"] for t in topics if not ctx.may_topic(Operation.WRITE, t["name"])}
    if refused:
        return _results({(t, p): ErrorCode.TOPIC_AUTHORIZATION_FAILED if t in refused
                         else ErrorCode.OPERATION_NOT_ATTEMPTED for t, p in partitions})
    txns = ctx.services.transactions
    if verify:
        errors = txns.verify_partitions(tid, pid, epoch, partitions)
    else:
        errors = txns.add_partitions(tid, pid, epoch, partitions)
    return _results({tp: for_version(e, 24, ctx.api_version) for tp, e in errors.items()})


@api(key=24, name="AddPartitionsToTxn", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> AddPartitionsToTxnResponse:
    if ctx.api_version < 4:
        return {"throttle_time_ms": 0, "results_by_topic_v3_and_below": _one(
            ctx, request["v3_and_below_transactional_id"], request["v3_and_below_producer_id"],
            request["v3_and_below_producer_epoch"], request["v3_and_below_topics"], False)}
    return {"throttle_time_ms": 0, "error_code": 0, "results_by_transaction": [
        {"transactional_id": t["transactional_id"],
         "topic_results": _one(ctx, t["transactional_id"], t["producer_id"], t["producer_epoch"], t["topics"],
                               t["verify_only"])}
        for t in request["transactions"]]}
