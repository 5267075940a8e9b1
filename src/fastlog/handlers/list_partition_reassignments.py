"""ListPartitionReassignments (46), v0: with one node no reassignment is ever in progress, so the
answer is always empty, for all topics (null) or named ones, known or not, as Kafka's."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ListPartitionReassignmentsResponse


@api(key=46, name="ListPartitionReassignments", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> ListPartitionReassignmentsResponse:
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "topics": []}
