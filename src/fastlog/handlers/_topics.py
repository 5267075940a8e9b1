"""Topic lookups the handlers share: Kafka's auto-creation rule, and the walk over a request's
topics and partitions."""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from fastlog.protocol.errors import ErrorCode
from fastlog.services import BrokerServices
from fastlog.storage.log_manager import Topic, TopicError

log = logging.getLogger("fastlog.handlers")


def find_or_create(services: BrokerServices, name: str,
                   allow_auto_create: bool = True) -> tuple[Optional[Topic], ErrorCode]:
    """The topic called `name`; created with num.partitions when it is missing and
    auto.create.topics.enable (and the request) allow it. Returns (topic, NONE) or (None, error)."""
    topic = services.logs.get(name)
    if topic is not None:
        return topic, ErrorCode.NONE
    if not (allow_auto_create and services.config.get_bool("auto.create.topics.enable")):
        return None, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    try:
        return services.logs.create_topic(name, services.config.get_int("num.partitions")), ErrorCode.NONE
    except TopicError as e:
        return None, ErrorCode(e.code)


def answer_per_partition(services: BrokerServices, request_topics: list, name_key: str, index_key: str,
                         answer: Callable[[Optional[Topic], Any, dict], Any]) -> list[Any]:
    """Walk Kafka's usual topics -> partitions request shape and build the same-shaped response.

    `answer(topic, plog, partition_request)` gets the topic (None if unknown) and the partition's
    log (None if the topic or the partition index is unknown) and returns the partition's answer.
    Typed Any: the topic's key is the caller's, so only `answer` can give a response shape.
    """
    out = []
    for t in request_topics:
        topic = services.logs.get(t[name_key])
        parts = []
        for p in t["partitions"]:
            index = p[index_key]
            known = topic is not None and 0 <= index < len(topic.partitions)
            parts.append(answer(topic, topic.partitions[index] if topic is not None and known else None, p))
        out.append({name_key: t[name_key], "partitions": parts})
    return out
