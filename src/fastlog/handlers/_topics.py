"""Topic lookups the handlers share: by name or id, with Kafka's auto-creation rule."""
from __future__ import annotations

import logging
from typing import Optional

from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import Topic, TopicError

log = logging.getLogger("fastlog.handlers")


def find_or_create(broker, name: str, allow_auto_create: bool = True) -> tuple[Optional[Topic], ErrorCode]:
    """The topic called `name`; created with num.partitions when it is missing and
    auto.create.topics.enable (and the request) allow it. Returns (topic, NONE) or (None, error)."""
    topic = broker.logs.get(name)
    if topic is not None:
        return topic, ErrorCode.NONE
    if not (allow_auto_create and broker.config.get_bool("auto.create.topics.enable")):
        return None, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    try:
        return broker.logs.create_topic(name, broker.config.get_int("num.partitions")), ErrorCode.NONE
    except TopicError as e:
        return None, ErrorCode(e.code)


def find_by_id(broker, topic_id: bytes) -> Optional[Topic]:
    return broker.logs.get_by_id(topic_id)
