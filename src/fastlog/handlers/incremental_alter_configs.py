"""IncrementalAlterConfigs (44), v0-v1: SET, DELETE (back to the default), and APPEND/SUBTRACT
for LIST-typed configs (cleanup.policy, the throttled replica lists; SUBTRACT may leave a list
empty, as Kafka 4.1 allows) on a topic, this broker or the cluster default (dynamic broker
configs) and a group (resource type GROUP). What each change does: see handlers/_configs.py.
"""
from typing import Callable

from fastlog.config import BROKER_KEYS, GROUP_KEYS, TOPIC_KEYS, Config, ConfigError, Key, Type, parse
from fastlog.handlers._configs import BROKER, GROUP, alter_resource
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import IncrementalAlterConfigsResourceResponse, IncrementalAlterConfigsResponse
from fastlog.storage.log_manager import TopicError

SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
OPERATION_NAMES = {APPEND: "APPEND", SUBTRACT: "SUBTRACT"}


def _keys_of(rtype: int) -> dict[str, Key]:
    return BROKER_KEYS if rtype == BROKER else GROUP_KEYS if rtype == GROUP else TOPIC_KEYS


def _list_value(config: Config, rtype: int, name: str, current: dict) -> list[str]:
    """A LIST config's value before an APPEND/SUBTRACT: the resource's own, else what it runs with."""
    if name in current:
        return list(parse(Type.LIST, current[name]))
    if rtype == BROKER:
        return list(config.get(name) or [])
    return list(config.topic_value(name, {}))


def _apply(changes: list[dict], rtype: int, config: Config) -> Callable[[dict], dict]:
    keys = _keys_of(rtype)

    def new_configs(current: dict) -> dict:
        for c in changes:
            name, op, value = c["name"], c["config_operation"], c["value"]
            if op == SET:
                current[name] = value
            elif op == DELETE:
                current.pop(name, None)
            elif op in (APPEND, SUBTRACT):
                if name not in keys or keys[name].type != Type.LIST:
                    raise TopicError(ErrorCode.INVALID_CONFIG, f"Can't {OPERATION_NAMES[op]} to key {name} "
                                     "because its type is not LIST.")
                try:
                    items = _list_value(config, rtype, name, current)
                except ConfigError as e:
                    raise TopicError(ErrorCode.INVALID_CONFIG, str(e)) from None
                for item in (value or "").split(","):
                    item = item.strip()
                    if op == APPEND and item and item not in items:
                        items.append(item)
                    elif op == SUBTRACT and item in items:
                        items.remove(item)
                current[name] = ",".join(items)
            else:
                raise TopicError(ErrorCode.INVALID_REQUEST, f"Unknown config operation {op} for config {name}")
        return current
    return new_configs


@api(key=44, name="IncrementalAlterConfigs", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> IncrementalAlterConfigsResponse:
    responses: list[IncrementalAlterConfigsResourceResponse] = [
        alter_resource(ctx, res, _apply(res["configs"], res["resource_type"], ctx.services.config),
                       request["validate_only"])
        for res in request["resources"]]
    return {"throttle_time_ms": 0, "responses": responses}
