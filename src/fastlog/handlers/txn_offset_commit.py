"""TxnOffsetCommit (28): a group's offsets inside a transaction; visible with its COMMIT marker.

v3+ carry the group generation and member id (KIP-447) and are fenced like OffsetCommit."""
from fastlog.coordinator.group_state import CommitRequest, OffsetToCommit
from fastlog.handlers._txn import for_version
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.responses import TxnOffsetCommitResponse


@api(key=28, name="TxnOffsetCommit", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> TxnOffsetCommitResponse:
    services = ctx.services
    topics = request["topics"]
    offsets = {(t["name"], p["partition_index"]): OffsetToCommit(
        p["committed_offset"], p.get("committed_leader_epoch", -1), p.get("committed_metadata"))
        for t in topics for p in t["partitions"]}
    tid, pid, epoch = request["transactional_id"], request["producer_id"], request["producer_epoch"]
    errors = await services.groups.txn_commit_offsets(
        CommitRequest(group_id=request["group_id"], generation_id=request.get("generation_id", -1),
                      member_id=request.get("member_id") or "", group_instance_id=request.get("group_instance_id"),
                      retention_time_ms=-1, offsets=offsets, api_version=ctx.api_version),
        pid, epoch, lambda: services.transactions.check_offsets_producer(
            tid, pid, epoch, services.groups.offsets_partition(request["group_id"])))
    return {"throttle_time_ms": 0, "topics": [
        {"name": t["name"], "partitions": [
            {"partition_index": p["partition_index"],
             "error_code": for_version(errors[(t["name"], p["partition_index"])], 28, ctx.api_version)}
            for p in t["partitions"]]}
        for t in topics]}
