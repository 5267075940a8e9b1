"""OffsetFetch (9): committed positions of one group (v1-v7) or of several groups (v8+).

v10 (KIP-848) names topics by id: a requested id no topic has is answered UNKNOWN_TOPIC_ID for
its partitions; asked for every committed offset, topics deleted since are left out (they have
no id to answer with).

require_stable (v7+): a partition with a transactional offset of the group not yet committed or
aborted answers UNSTABLE_OFFSET_COMMIT (the consumer retries), as Kafka does.
"""
from __future__ import annotations

from typing import Optional

from fastlog.coordinator.group_state import CommittedOffset
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.security.acl import Operation

FIRST_VERSION_WITH_TOPIC_IDS = 10


def _partition(partition: int, committed, error: int) -> dict:
    return {
        "partition_index": partition,
        "committed_offset": committed.offset if committed else -1,
        "committed_leader_epoch": committed.leader_epoch if committed else -1,
        "metadata": (committed.metadata if committed.metadata is not None else "") if committed else "",
        "error_code": error,
    }


def _fetch(ctx: RequestContext, group_id: str, topics: Optional[list], require_stable: bool,
           member_id: Optional[str] = None, member_epoch: int = -1) -> tuple[int, list]:
    """(error, response topics) for one group; topics None asks for every committed offset."""
    by_id = ctx.api_version >= FIRST_VERSION_WITH_TOPIC_IDS
    logs = ctx.services.logs
    unknown_ids: list[dict] = []
    wanted: Optional[list[tuple[str, int]]] = None
    if topics is not None:
        wanted = []
        for t in topics:
            if by_id:
                topic = logs.get_by_id(t["topic_id"])
                if topic is None:
                    unknown_ids.append(t)
                    continue
                name = topic.name
            else:
                name = t["name"]
            wanted.extend((name, p) for p in t.get("partition_indexes") or [])
    rows: list[tuple[str, int, Optional[CommittedOffset]]]
    error: int
    if not ctx.may_group(Operation.DESCRIBE, group_id):
        error, rows = ErrorCode.GROUP_AUTHORIZATION_FAILED, []
    else:
        # topics the principal may not describe: left out of "all", refused when named
        allowed = None if wanted is None else [(t, p) for t, p in wanted if ctx.may_topic(Operation.DESCRIBE, t)]
        error, rows = ctx.services.groups.fetch_offsets(group_id, allowed, member_id, member_epoch)
        rows = [r for r in rows if ctx.may_topic(Operation.DESCRIBE, r[0])]
        if wanted is not None and error == ErrorCode.NONE:
            rows += [(t, p, None) for t, p in wanted if not ctx.may_topic(Operation.DESCRIBE, t)]
    if error != ErrorCode.NONE and wanted is not None:
        # Partition-level errors too, for versions without a top-level error field.
        rows = [(t, p, None) for t, p in wanted]
    out: dict[str, list] = {}
    offsets = ctx.services.groups.offsets
    for topic_name, partition, committed in rows:
        if error == ErrorCode.NONE and not ctx.may_topic(Operation.DESCRIBE, topic_name):
            out.setdefault(topic_name, []).append(_partition(partition, None, ErrorCode.TOPIC_AUTHORIZATION_FAILED))
        elif require_stable and error == ErrorCode.NONE and offsets.has_pending(group_id, (topic_name, partition)):
            out.setdefault(topic_name, []).append(_partition(partition, None, ErrorCode.UNSTABLE_OFFSET_COMMIT))
        else:
            out.setdefault(topic_name, []).append(_partition(partition, committed, error))
    if not by_id:
        return error, [{"name": name, "partitions": parts} for name, parts in out.items()]
    answered = []
    for name, parts in out.items():
        topic = logs.get(name)
        if topic is not None:
            answered.append({"topic_id": topic.topic_id, "partitions": parts})
    for t in unknown_ids:
        answered.append({"topic_id": t["topic_id"], "partitions": [
            _partition(p, None, error or ErrorCode.UNKNOWN_TOPIC_ID) for p in t.get("partition_indexes") or []]})
    return error, answered


@api(key=9, name="OffsetFetch", min_version=1, max_version=10)
async def handle(ctx: RequestContext, request: dict) -> dict:
    if ctx.api_version >= 8:
        groups = []
        for g in request.get("groups") or []:
            error, topics = _fetch(ctx, g["group_id"], g.get("topics"), request.get("require_stable", False),
                                   g.get("member_id"), g.get("member_epoch", -1))  # v9: KIP-848 member
            groups.append({"group_id": g["group_id"], "topics": topics, "error_code": error})
        return {"groups": groups}
    topics_req = request.get("topics")
    if ctx.api_version < 2 and topics_req is None:
        topics_req = []  # v1 cannot ask for "all"
    error, topics = _fetch(ctx, request["group_id"], topics_req, request.get("require_stable", False))
    return {"topics": topics, "error_code": error}
