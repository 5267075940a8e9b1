"""DescribeConfigs (32), v1-v4: topic configs (explicit ones and broker defaults) and the
broker's own settings. Kafka's resource types: 2 = topic, 4 = broker, 8 = broker logger.
"""
from fastlog.config import DEFAULTS, TOPIC_CONFIG_DEFAULTS
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode

TOPIC, BROKER = 2, 4
# ConfigSource ids.
TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG = 1, 4, 5


def _entry(name: str, value, source: int, synonyms: bool) -> dict:
    return {"name": name, "value": value, "read_only": False, "config_source": source,
            "is_sensitive": False, "synonyms": [{"name": name, "value": value, "source": source}] if synonyms else [],
            "config_type": 0, "documentation": None}


def _topic_configs(broker, topic, synonyms: bool) -> list[dict]:
    out = []
    for key in sorted(TOPIC_CONFIG_DEFAULTS):
        if key in topic.configs:
            out.append(_entry(key, topic.configs[key], TOPIC_CONFIG, synonyms))
        else:
            source = STATIC_BROKER_CONFIG if TOPIC_CONFIG_DEFAULTS[key] in broker.config.values else DEFAULT_CONFIG
            out.append(_entry(key, broker.config.topic_default(key), source, synonyms))
    return out


def _broker_configs(broker, synonyms: bool) -> list[dict]:
    config = broker.config
    return [_entry(key, config.get_str(key), STATIC_BROKER_CONFIG if key in config.values else DEFAULT_CONFIG,
                   synonyms) for key in sorted(DEFAULTS)]


@api(key=32, name="DescribeConfigs", min_version=1, max_version=4)
async def handle(ctx: RequestContext, request: dict) -> dict:
    broker = ctx.broker
    synonyms = bool(request.get("include_synonyms"))
    results = []
    for res in request["resources"]:
        rtype, name = res["resource_type"], res["resource_name"]
        result = {"error_code": 0, "error_message": None, "resource_type": rtype, "resource_name": name,
                  "configs": []}
        if rtype == TOPIC:
            topic = broker.logs.get(name)
            if topic is None:
                result.update(error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                              error_message=f"Topic '{name}' does not exist.")
            else:
                result["configs"] = _topic_configs(broker, topic, synonyms)
        elif rtype == BROKER:
            if name not in ("", str(broker.node_id)):
                result.update(error_code=ErrorCode.INVALID_REQUEST, error_message=f"Unexpected broker id {name}")
            else:
                result["configs"] = _broker_configs(broker, synonyms)
        else:
            result.update(error_code=ErrorCode.INVALID_REQUEST,
                          error_message=f"Resource type {rtype} is not supported by fastlog")
        keys = res["configuration_keys"]
        if keys is not None:
            result["configs"] = [c for c in result["configs"] if c["name"] in keys]
        results.append(result)
    return {"throttle_time_ms": 0, "results": results}
