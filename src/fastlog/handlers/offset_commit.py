"""OffsetCommit (8): store a group's consumed positions; errors are per partition.

v10 (KIP-848) names topics by id instead of name: an id no topic has is answered UNKNOWN_TOPIC_ID
for its partitions, which are not committed; the others are committed under the topic's name.
"""
from __future__ import annotations

from fastlog.coordinator.group_state import CommitRequest, OffsetToCommit
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import OffsetCommitResponse, OffsetCommitResponsePartition, OffsetCommitResponseTopic
from fastlog.security.acl import Operation

FIRST_VERSION_WITH_TOPIC_IDS = 10


@api(key=8, name="OffsetCommit", min_version=2, max_version=10)
async def handle(ctx: RequestContext, request: dict) -> OffsetCommitResponse:
    topics = request.get("topics") or []
    by_id = ctx.api_version >= FIRST_VERSION_WITH_TOPIC_IDS
    names: list[str | None] = []
    for t in topics:
        if by_id:
            topic = ctx.services.logs.get_by_id(t["topic_id"])
            names.append(topic.name if topic is not None else None)
        else:
            names.append(t["name"])
    offsets = {}
    # READ on the group for all of it, READ on each topic for its partitions (Kafka's checks)
    refused: dict[tuple[str, int], int] = {}
    group_ok = ctx.may_group(Operation.READ, request["group_id"])
    for t, name in zip(topics, names):
        if name is None:
            continue
        topic_ok = group_ok and ctx.may_topic(Operation.READ, name)
        for p in t.get("partitions") or []:
            if not topic_ok:
                refused[(name, p["partition_index"])] = (ErrorCode.TOPIC_AUTHORIZATION_FAILED if group_ok
                                                         else ErrorCode.GROUP_AUTHORIZATION_FAILED)
                continue
            offsets[(name, p["partition_index"])] = OffsetToCommit(
                p["committed_offset"], p.get("committed_leader_epoch", -1), p.get("committed_metadata"))
    errors = {} if not offsets else await ctx.services.groups.commit_offsets(CommitRequest(
        group_id=request["group_id"],
        generation_id=request.get("generation_id_or_member_epoch", -1),
        member_id=request.get("member_id") or "",
        group_instance_id=request.get("group_instance_id"),
        retention_time_ms=request.get("retention_time_ms", -1) if ctx.api_version <= 4 else -1,
        offsets=offsets,
        api_version=ctx.api_version,
    ))
    errors.update(refused)
    # Answer in the request's order.
    out: OffsetCommitResponse = {"topics": []}
    for t, name in zip(topics, names):
        partitions: list[OffsetCommitResponsePartition] = [{"partition_index": p["partition_index"],
                       "error_code": ErrorCode.UNKNOWN_TOPIC_ID if name is None
                       else errors[(name, p["partition_index"])]}
                      for p in t.get("partitions") or []]
        answer: OffsetCommitResponseTopic = {"partitions": partitions}
        if by_id:
            answer["topic_id"] = t["topic_id"]
        else:
            answer["name"] = t["name"]
        out["topics"].append(answer)
    return out
