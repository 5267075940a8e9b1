"""ListOffsets (2), v1-v11: earliest (-2), latest (-1), max timestamp (-3, v7+), earliest local
(-4, v8+: the same as earliest, there is no tiered storage), latest tiered (-5, v9+) and earliest
pending upload (-6, v11+: nothing is tiered or pending, so no offset), or the first offset whose
timestamp is >= the one asked. "No offset" is -1 with leader epoch -1, as Kafka answers it.
With isolation_level=1 (read_committed, v2+) latest is the last stable offset, as in Kafka.
"""
import functools

from fastlog.handlers._topics import answer_per_partition
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ListOffsetsPartitionResponse, ListOffsetsResponse
from fastlog.security.acl import Operation

LATEST, EARLIEST, MAX_TIMESTAMP, EARLIEST_LOCAL = -1, -2, -3, -4


def _lookup(plog, timestamp: int, committed: bool) -> tuple[int, int]:
    """(timestamp, offset) as ListOffsets answers them; (-1, -1) when there is no such record."""
    if timestamp in (EARLIEST, EARLIEST_LOCAL):
        return -1, plog.log_start_offset
    if timestamp == LATEST:
        return -1, plog.last_stable_offset() if committed else plog.log_end_offset
    if timestamp == MAX_TIMESTAMP:
        found = plog.max_timestamp()
        return (found[1], found[0]) if found else (-1, -1)
    if timestamp < 0:
        return -1, -1
    found = plog.offset_for_timestamp(timestamp)
    return (found[1], found[0]) if found else (-1, -1)


def _answer(committed: bool, topic, plog, p: dict) -> ListOffsetsPartitionResponse:
    if plog is None:
        return {"partition_index": p["partition_index"], "error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                "timestamp": -1, "offset": -1, "leader_epoch": -1}
    timestamp, offset = _lookup(plog, p["timestamp"], committed)
    return {"partition_index": p["partition_index"], "error_code": 0, "timestamp": timestamp,
            "offset": offset, "leader_epoch": 0 if offset >= 0 else -1}


@api(key=2, name="ListOffsets", min_version=1, max_version=11)
async def handle(ctx: RequestContext, request: dict) -> ListOffsetsResponse:
    answer = functools.partial(_answer, request.get("isolation_level", 0) == 1)
    topics = answer_per_partition(ctx.services, request["topics"], "name", "partition_index", answer)
    for topic in topics:  # DESCRIBE on the topic, else TOPIC_AUTHORIZATION_FAILED for its partitions
        if not ctx.may_topic(Operation.DESCRIBE, topic["name"]):
            for p in topic["partitions"]:
                p.update({"error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED, "timestamp": -1, "offset": -1,
                          "leader_epoch": -1})
    return {"throttle_time_ms": 0, "topics": topics}
