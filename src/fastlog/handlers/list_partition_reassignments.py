"""ListPartitionReassignments (46), v0: with one node no reassignment is ever in progress, so the
answer is always empty, for all topics (null) or named ones, known or not, as Kafka's.
Needs DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ListPartitionReassignmentsResponse
from fastlog.security.acl import Operation


@api(key=46, name="ListPartitionReassignments", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> ListPartitionReassignmentsResponse:
    if not ctx.may_cluster(Operation.DESCRIBE):  # Kafka echoes the named partitions beside the error
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": ctx.not_authorized, "topics": [
                    {"name": t["name"], "partitions": [
                        {"partition_index": i, "replicas": [], "adding_replicas": [], "removing_replicas": []}
                        for i in t["partition_indexes"]]} for t in request["topics"] or ()]}
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "topics": []}
