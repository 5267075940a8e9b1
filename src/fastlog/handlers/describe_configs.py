"""DescribeConfigs (32), v1-v4: every topic config (the topic's own, else the broker's), the
broker's settings (static and dynamic; resource name '' = the cluster default, which lists only
its dynamic default configs, as Kafka does) and a group's configs, with sources, synonyms, types
and documentation from the config tables (fastlog.config). Kafka's resource types: 2 = topic,
4 = broker, 8 = broker logger, 32 = group. A resource the principal may not DESCRIBE_CONFIGS gets
Kafka's TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED and no configs.
"""
from fastlog.handlers._configs import (
    BROKER,
    GROUP,
    TOPIC,
    broker_config_entries,
    broker_default_entries,
    broker_name_error,
    config_refusal,
    group_config_entries,
    topic_config_entries,
)
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeConfigsResponse, DescribeConfigsResult
from fastlog.security.acl import Operation


@api(key=32, name="DescribeConfigs", min_version=1, max_version=4)
async def handle(ctx: RequestContext, request: dict) -> DescribeConfigsResponse:
    services = ctx.services
    synonyms = bool(request.get("include_synonyms"))
    documentation = bool(request.get("include_documentation"))
    results: list[DescribeConfigsResult] = []
    for res in request["resources"]:
        rtype, name = res["resource_type"], res["resource_name"]
        result: DescribeConfigsResult = {"error_code": 0, "error_message": None, "resource_type": rtype,
                                         "resource_name": name, "configs": []}
        refusal = config_refusal(ctx, Operation.DESCRIBE_CONFIGS, rtype, name)
        if refusal is not None:  # DESCRIBE_CONFIGS on the topic, group, or cluster for a broker
            result.update({"error_code": refusal[0], "error_message": refusal[1]})
        elif rtype == TOPIC:
            topic = services.logs.get(name)
            if topic is None:
                result.update({"error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                               "error_message": f"Topic '{name}' does not exist."})
            else:
                result["configs"] = topic_config_entries(services.config, topic.configs, synonyms, documentation)
        elif rtype == BROKER:
            if broker_name_error(services, name):
                result.update({"error_code": ErrorCode.INVALID_REQUEST,
                               "error_message": broker_name_error(services, name)})
            elif name == "":
                result["configs"] = broker_default_entries(services.config, synonyms, documentation)
            else:
                result["configs"] = broker_config_entries(services.config, synonyms, documentation)
        elif rtype == GROUP:
            result["configs"] = group_config_entries(services.logs.dynamic.group(name), synonyms, documentation)
        else:
            result.update({"error_code": ErrorCode.INVALID_REQUEST,
                           "error_message": f"Resource type {rtype} is not supported by fastlog"})
        keys = res["configuration_keys"]
        if keys is not None:
            result["configs"] = [c for c in result["configs"] if c["name"] in keys]
        results.append(result)
    return {"throttle_time_ms": 0, "results": results}
