"""What AlterConfigs and IncrementalAlterConfigs share: resolving a resource and applying a new
set of topic configs through the log manager (which decides what may change on a live topic)."""
from __future__ import annotations

from typing import Callable

from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import TopicError

TOPIC, BROKER = 2, 4


def alter_resource(broker, resource: dict, new_configs: Callable[[dict], dict], validate_only: bool) -> dict:
    """Answer one resource of an alter request; `new_configs(current)` returns the topic's new
    explicit configs or raises TopicError."""
    rtype, name = resource["resource_type"], resource["resource_name"]
    out = {"error_code": 0, "error_message": None, "resource_type": rtype, "resource_name": name}
    if rtype == BROKER:
        out.update(error_code=ErrorCode.INVALID_CONFIG,
                   error_message="fastlog does not change broker configs at runtime: set them in server.properties")
    elif rtype != TOPIC:
        out.update(error_code=ErrorCode.INVALID_REQUEST, error_message=f"Unsupported resource type {rtype}")
    else:
        topic = broker.logs.get(name)
        try:
            if topic is None:
                raise TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Topic '{name}' does not exist.")
            broker.logs.alter_topic_configs(name, new_configs(dict(topic.configs)), validate_only)
        except TopicError as e:
            out.update(error_code=e.code, error_message=e.message)
    return out
