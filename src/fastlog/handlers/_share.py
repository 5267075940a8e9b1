"""What ShareFetch (78) and ShareAcknowledge (79) share: checking a share-partition named by topic
id, and applying a request's acknowledgement batches."""
from __future__ import annotations

import time
from typing import Optional

from fastlog.coordinator.share_groups import ShareCoordinator
from fastlog.handlers.registry import RequestContext
from fastlog.protocol.errors import ErrorCode
from fastlog.security.acl import Operation


def partition_error(ctx: RequestContext, topic_id: bytes, index: int) -> int:
    """Why this share-partition cannot be used (UNKNOWN_TOPIC_ID, ...), else 0."""
    topic = ctx.services.logs.get_by_id(topic_id)
    if topic is None or topic.internal:
        return ErrorCode.UNKNOWN_TOPIC_ID
    if not ctx.may_topic(Operation.READ, topic.name):
        return ErrorCode.TOPIC_AUTHORIZATION_FAILED
    if not 0 <= index < len(topic.partitions):
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    return ErrorCode.NONE


def apply_acknowledgements(ctx: RequestContext, shares: ShareCoordinator, group_id: str, member_id: str,
                           topics: list) -> dict[tuple[bytes, int], int]:
    """Every partition's acknowledgement batches -> its error code (only partitions with batches)."""
    results: dict[tuple[bytes, int], int] = {}
    now = time.monotonic()
    for t in topics:
        topic_id = bytes(t["topic_id"])
        for p in t["partitions"]:
            batches = p.get("acknowledgement_batches") or []
            if not batches:
                continue
            index = p["partition_index"]
            error: Optional[int] = partition_error(ctx, topic_id, index)
            if not error:
                error = shares.acknowledge((group_id, topic_id, index), member_id, batches, now)
            results[(topic_id, index)] = error or ErrorCode.NONE
    return results
