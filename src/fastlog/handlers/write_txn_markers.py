"""WriteTxnMarkers (27): write COMMIT/ABORT markers as told.

Kafka's coordinator sends it to partition leaders; clients send it through Admin.abortTransaction
(`kafka-transactions abort`) to end a hanging transaction the coordinator no longer knows. Our
own coordinator writes its markers directly (coordinator/transactions.py)."""
from __future__ import annotations

from fastlog import _native
from fastlog.coordinator.transactions import OFFSETS_TOPIC
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    WritableTxnMarkerPartitionResult,
    WritableTxnMarkerResult,
    WritableTxnMarkerTopicResult,
    WriteTxnMarkersResponse,
)
from fastlog.security.acl import Operation


async def _mark(ctx: RequestContext, name: str, index: int, marker: dict) -> int:
    services = ctx.services
    topic = services.logs.get(name)
    if topic is None or not 0 <= index < len(topic.partitions):
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    commit = marker["transaction_result"]
    try:
        await services.logs.write_txn_marker_async(topic, index, marker["producer_id"], marker["producer_epoch"],
                                                   commit, marker["coordinator_epoch"])
    except _native.StorageError as e:
        return e.code
    if name == OFFSETS_TOPIC:
        services.groups.offsets.complete_txn(marker["producer_id"], index, commit)
    return ErrorCode.NONE


@api(key=27, name="WriteTxnMarkers", min_version=1, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> WriteTxnMarkersResponse:
    results: list[WritableTxnMarkerResult] = []
    # Kafka: ALTER on the cluster (an admin's abortTransaction) or CLUSTER_ACTION (a broker), else
    # every partition CLUSTER_AUTHORIZATION_FAILED.
    allowed = ctx.may_cluster(Operation.ALTER) or ctx.may_cluster(Operation.CLUSTER_ACTION)
    refused = ErrorCode.NONE if allowed else ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    for marker in request["markers"]:
        topics: list[WritableTxnMarkerTopicResult] = []
        for t in marker["topics"]:
            partitions: list[WritableTxnMarkerPartitionResult] = [
                {"partition_index": i, "error_code": refused or await _mark(ctx, t["name"], i, marker)}
                for i in t["partition_indexes"]]
            topics.append({"name": t["name"], "partitions": partitions})
        results.append({"producer_id": marker["producer_id"], "topics": topics})
    return {"markers": results}
