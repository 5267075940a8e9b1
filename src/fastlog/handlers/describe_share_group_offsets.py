"""DescribeShareGroupOffsets (90, KIP-932): each share-partition's start offset (SPSO) and lag
(records up to the log end not yet acknowledged or archived), for `kafka-share-groups --describe`.
Topics null: every share-partition the group has state for. A partition never fetched answers
start offset -1, as Kafka; so does any partition of a group that is not a share group (Kafka 4.4
answers such a group without an error: it has no share-partition state)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeShareGroupOffsetsResponse
from fastlog.security.acl import Operation


@api(key=90, name="DescribeShareGroupOffsets", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> DescribeShareGroupOffsetsResponse:
    shares, logs = ctx.services.shares, ctx.services.logs
    groups_out: list = []
    for g in request["groups"]:
        group_id = g["group_id"]
        entry: dict = {"group_id": group_id, "topics": [], "error_code": ErrorCode.NONE, "error_message": None}
        groups_out.append(entry)
        if not ctx.may_group(Operation.DESCRIBE, group_id):
            entry["error_code"] = ErrorCode.GROUP_AUTHORIZATION_FAILED
            continue
        wanted: dict[str, list[int]] = {}
        if g["topics"] is None:
            for topic_id, index in shares.initialized_partitions(group_id):
                topic = logs.get_by_id(topic_id)
                if topic is not None:
                    wanted.setdefault(topic.name, []).append(index)
        else:
            for t in g["topics"]:
                wanted.setdefault(t["topic_name"], []).extend(t["partitions"])
        for name, indexes in wanted.items():
            topic = logs.get(name)
            parts = []
            for index in indexes:
                part = {"partition_index": index, "start_offset": -1, "leader_epoch": 0, "lag": -1,
                        "error_code": ErrorCode.NONE, "error_message": None}
                if topic is None or not 0 <= index < len(topic.partitions):
                    part["error_code"] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                elif not ctx.may_topic(Operation.DESCRIBE, name):
                    part["error_code"] = ErrorCode.TOPIC_AUTHORIZATION_FAILED
                else:
                    part["start_offset"], part["lag"] = shares.offsets((group_id, topic.topic_id, index))
                parts.append(part)
            entry["topics"].append({"topic_name": name, "topic_id": topic.topic_id if topic else bytes(16),
                                    "partitions": parts})
    return {"groups": groups_out}
