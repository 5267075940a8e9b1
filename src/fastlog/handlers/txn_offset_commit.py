"""TxnOffsetCommit (28): a group's offsets inside a transaction; visible with its COMMIT marker.

v3+ carry the group generation and member id (KIP-447) and are fenced like OffsetCommit; v5+ is
transaction.version 2: the group's `__consumer_offsets` partition joins the transaction without
AddOffsetsToTxn; v6 names topics by id (an id no topic has is answered UNKNOWN_TOPIC_ID for its
partitions)."""
from __future__ import annotations

from fastlog.coordinator.group_state import CommitRequest, OffsetToCommit
from fastlog.handlers._txn import for_version
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    TxnOffsetCommitResponse,
    TxnOffsetCommitResponsePartition,
    TxnOffsetCommitResponseTopic,
)
from fastlog.security.acl import Operation

FIRST_VERSION_WITH_TOPIC_IDS = 6


@api(key=28, name="TxnOffsetCommit", min_version=0, max_version=6)
async def handle(ctx: RequestContext, request: dict) -> TxnOffsetCommitResponse:
    services = ctx.services
    topics = request["topics"]
    by_id = ctx.api_version >= FIRST_VERSION_WITH_TOPIC_IDS
    names: list[str | None] = []
    for t in topics:
        if by_id:
            topic = services.logs.get_by_id(t["topic_id"])
            names.append(topic.name if topic is not None else None)
        else:
            names.append(t["name"])
    tid, pid, epoch = request["transactional_id"], request["producer_id"], request["producer_epoch"]
    # Kafka's checks: WRITE on the transactional id, READ on the group (either refuses every
    # partition), READ on each topic (refuses that topic's partitions, the others commit).
    refuse_all = ErrorCode.NONE
    if not ctx.may_transactional_id(Operation.WRITE, tid):
        refuse_all = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    elif not ctx.may_group(Operation.READ, request["group_id"]):
        refuse_all = ErrorCode.GROUP_AUTHORIZATION_FAILED
    refused = {name for name in names if name is not None and not ctx.may_topic(Operation.READ, name)}
    offsets = {(name, p["partition_index"]): OffsetToCommit(
        p["committed_offset"], p.get("committed_leader_epoch", -1), p.get("committed_metadata"))
        for t, name in zip(topics, names) if name is not None and name not in refused for p in t["partitions"]}
    errors: dict[tuple[str, int], int] = {}
    if not refuse_all:
        errors = await services.groups.txn_commit_offsets(
            CommitRequest(group_id=request["group_id"],
                          generation_id=request.get("generation_id_or_member_epoch", -1),
                          member_id=request.get("member_id") or "", group_instance_id=request.get("group_instance_id"),
                          retention_time_ms=-1, offsets=offsets, api_version=ctx.api_version),
            pid, epoch, lambda: services.transactions.check_offsets_producer(
                tid, pid, epoch, services.groups.offsets_partition(request["group_id"]), ctx.api_version))

    def error_of(name: str | None, partition: int) -> int:
        if name is None:
            return ErrorCode.UNKNOWN_TOPIC_ID
        if refuse_all:
            return refuse_all
        if name in refused:
            return ErrorCode.TOPIC_AUTHORIZATION_FAILED
        return for_version(errors[(name, partition)], 28, ctx.api_version)

    out: TxnOffsetCommitResponse = {"throttle_time_ms": 0, "topics": []}
    for t, name in zip(topics, names):
        partitions: list[TxnOffsetCommitResponsePartition] = [
            {"partition_index": p["partition_index"],
             "error_code": error_of(name, p["partition_index"])}
            for p in t["partitions"]]
        answer: TxnOffsetCommitResponseTopic = {"partitions": partitions}
        if by_id:
            answer["topic_id"] = t["topic_id"]
        else:
            answer["name"] = t["name"]
        out["topics"].append(answer)
    return out
