"""ListConfigResources (74), v0-v1: the resources DescribeConfigs can be asked about.

v0 (KIP-714's ListClientMetricsResources) lists client-metrics subscriptions: fastlog has none.
v1 lists, as Kafka 4.1 does for the types asked (all when the list is empty), in Kafka's order:
this node as a broker logger and as a broker, then every topic, then every group that has
configs of its own (IncrementalAlterConfigs, resource type GROUP). Client-metrics resources:
fastlog has none. Any other type is UNSUPPORTED_VERSION, Kafka's answer. Needs DESCRIBE_CONFIGS
on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
"""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ConfigResource, ListConfigResourcesResponse
from fastlog.security.acl import Operation

TOPIC, BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP = 2, 4, 8, 16, 32
KNOWN_TYPES = {TOPIC, BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP}


@api(key=74, name="ListConfigResources", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> ListConfigResourcesResponse:
    services = ctx.services
    if not ctx.may_cluster(Operation.DESCRIBE_CONFIGS):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "config_resources": []}
    if ctx.api_version == 0:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "config_resources": []}
    wanted = set(request["resource_types"]) or KNOWN_TYPES
    if not wanted <= KNOWN_TYPES:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.UNSUPPORTED_VERSION, "config_resources": []}
    resources: list[ConfigResource] = []
    for kind in (BROKER_LOGGER, BROKER):
        if kind in wanted:
            resources.append({"resource_name": str(services.node_id), "resource_type": kind})
    if TOPIC in wanted:
        resources += [{"resource_name": name, "resource_type": TOPIC} for name in sorted(services.logs.topics)]
    if GROUP in wanted:
        resources += [{"resource_name": name, "resource_type": GROUP}
                      for name, configs in sorted(services.logs.dynamic.groups.items()) if configs]
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "config_resources": resources}
