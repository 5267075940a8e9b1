"""DescribeCluster (60), v0-v2: one broker, which is also the controller."""
from fastlog.handlers.metadata import NOT_REQUESTED, cluster_operations
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeClusterResponse

BROKERS_ENDPOINT = 1


@api(key=60, name="DescribeCluster", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> DescribeClusterResponse:
    services = ctx.services
    endpoint_type = request.get("endpoint_type", BROKERS_ENDPOINT)
    if endpoint_type != BROKERS_ENDPOINT:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
                "error_message": "fastlog serves broker endpoints only", "endpoint_type": endpoint_type,
                "cluster_id": services.cluster_id, "brokers": []}
    # Never refused (as Kafka); the authorized operations are the principal's.
    ops = cluster_operations(ctx) if request.get("include_cluster_authorized_operations") else NOT_REQUESTED
    return {"throttle_time_ms": 0, "error_code": 0, "error_message": None, "endpoint_type": endpoint_type,
            "cluster_id": services.cluster_id, "controller_id": services.node_id,
            "brokers": [{"broker_id": services.node_id, "host": ctx.address[0], "port": ctx.address[1],
                         "rack": None, "is_fenced": False}],
            "cluster_authorized_operations": ops}
