"""OffsetFetch (9): committed positions of one group (v1-v7) or of several groups (v8+)."""
from __future__ import annotations

from typing import Optional

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode


def _fetch(ctx: RequestContext, group_id: str, topics: Optional[list]) -> tuple[int, list]:
    """(error, response topics) for one group; topics None asks for every committed offset."""
    wanted = None if topics is None else [
        (t["name"], p) for t in topics for p in t.get("partition_indexes") or []]
    error, rows = ctx.services.groups.fetch_offsets(group_id, wanted)
    if error != ErrorCode.NONE and wanted is not None:
        # Partition-level errors too, for versions without a top-level error field.
        rows = [(t, p, None) for t, p in wanted]
    out: dict[str, list] = {}
    for topic, partition, committed in rows:
        out.setdefault(topic, []).append({
            "partition_index": partition,
            "committed_offset": committed.offset if committed else -1,
            "committed_leader_epoch": committed.leader_epoch if committed else -1,
            "metadata": (committed.metadata if committed.metadata is not None else "") if committed else "",
            "error_code": error,
        })
    return error, [{"name": name, "partitions": parts} for name, parts in out.items()]


@api(key=9, name="OffsetFetch", min_version=1, max_version=9)
async def handle(ctx: RequestContext, request: dict) -> dict:
    if ctx.api_version >= 8:
        groups = []
        for g in request.get("groups") or []:
            error, topics = _fetch(ctx, g["group_id"], g.get("topics"))
            groups.append({"group_id": g["group_id"], "topics": topics, "error_code": error})
        return {"groups": groups}
    topics_req = request.get("topics")
    if ctx.api_version < 2 and topics_req is None:
        topics_req = []  # v1 cannot ask for "all"
    error, topics = _fetch(ctx, request["group_id"], topics_req)
    return {"topics": topics, "error_code": error}
