"""IncrementalAlterConfigs (44), v0-v1: SET, DELETE (back to the default), and APPEND/SUBTRACT
for LIST-typed topic configs (cleanup.policy, the throttled replica lists). What can change on a
live topic: see AlterConfigs. Broker configs are not changed at runtime; deleting broker
overrides (there are none) succeeds."""
from fastlog.config import TOPIC_KEYS, ConfigError, Type
from fastlog.handlers._configs import BROKER, alter_resource
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import IncrementalAlterConfigsResourceResponse, IncrementalAlterConfigsResponse
from fastlog.services import BrokerServices
from fastlog.storage.log_manager import TopicError

SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3


def _apply(changes: list[dict], services: BrokerServices):
    def new_configs(current: dict) -> dict:
        for c in changes:
            name, op, value = c["name"], c["config_operation"], c["value"]
            if op == SET:
                current[name] = value
            elif op == DELETE:
                current.pop(name, None)
            elif op in (APPEND, SUBTRACT) and name in TOPIC_KEYS and TOPIC_KEYS[name].type == Type.LIST:
                try:
                    items = list(services.config.topic_value(name, current))
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
                raise TopicError(ErrorCode.INVALID_CONFIG,
                                 f"Operation {op} is not valid for config {name}")
        return current
    return new_configs


def _deletes_broker_overrides(resource: dict) -> bool:
    """Only DELETEs for the broker: fastlog has no dynamic broker configs, so there is nothing to
    delete and, as for a Kafka broker without those overrides, it succeeds (kafka-reassign-partitions
    --verify clears its replication throttles this way)."""
    return resource["resource_type"] == BROKER and all(c["config_operation"] == DELETE for c in resource["configs"])


@api(key=44, name="IncrementalAlterConfigs", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> IncrementalAlterConfigsResponse:
    responses: list[IncrementalAlterConfigsResourceResponse] = [
        {"error_code": 0, "error_message": None, "resource_type": res["resource_type"],
         "resource_name": res["resource_name"]} if _deletes_broker_overrides(res)
        else alter_resource(ctx.services, res, _apply(res["configs"], ctx.services), request["validate_only"])
        for res in request["resources"]]
    return {"throttle_time_ms": 0, "responses": responses}
