"""Answer parts the KIP-848 consumer-group and the KIP-932 share-group handlers share: their
heartbeat answers and their described assignments have the same fields in both protocols."""
from __future__ import annotations

from typing import Any

from fastlog.coordinator.consumer_state import Assignment, HeartbeatResult
from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import LogManager


def heartbeat_answer(result: HeartbeatResult) -> dict[str, Any]:
    """A ConsumerGroupHeartbeat / ShareGroupHeartbeat response body for `result`."""
    ok = result.error == ErrorCode.NONE
    answer: dict[str, Any] = {
        "error_code": result.error,
        "error_message": result.message,
        # An error answer carries only the code and message (Kafka leaves the rest at defaults).
        "member_id": result.member_id if ok else None,
        "member_epoch": result.member_epoch if ok else 0,
        "heartbeat_interval_ms": result.heartbeat_interval_ms if ok else 0,
        "assignment": None,
    }
    if result.assignment is not None:
        answer["assignment"] = {"topic_partitions": [
            {"topic_id": topic_id, "partitions": sorted(parts)}
            for topic_id, parts in sorted(result.assignment.items()) if parts]}
    return answer


def described_assignment(logs: LogManager, assignment: Assignment) -> dict[str, Any]:
    """A member's assignment as ConsumerGroupDescribe / ShareGroupDescribe show it: by topic id,
    with the topic's name ("" for a topic deleted meanwhile)."""
    out: list[dict[str, Any]] = []
    for topic_id, parts in sorted(assignment.items()):
        topic = logs.get_by_id(topic_id)
        if parts:
            out.append({"topic_id": topic_id, "topic_name": topic.name if topic is not None else "",
                        "partitions": sorted(parts)})
    return {"topic_partitions": out}
