"""Which topics the Produce fast path may serve (docs/scaling.md, "The Produce fast path").

The fast path (_native.ProduceFastPath, rust/fastlog-py/src/produce_fast.rs) decodes a Produce
request, appends it and encodes the response in one compiled call, for requests that need no
decision of Python's. Whether a topic is one of those is decided here: not internal (clients may
not write to those). A compacted topic ("compact" in cleanup.policy) is served too, but a request
with a keyless record for it goes to handlers/produce.py, which writes the per-record errors.
LogManager calls `sync` whenever a topic appears, goes, gains partitions or changes configs, so
the registry never serves a topic the Python handler would answer differently.
"""
from __future__ import annotations

from typing import Any, Protocol

from fastlog import _native
from fastlog.config import Config


class Topic(Protocol):
    """What is read of a log_manager.Topic (which imports this module)."""
    name: str
    topic_id: bytes
    internal: bool
    partitions: list[_native.PartitionLog]

    def config(self, key: str, broker: Config) -> Any: ...


def eligible(topic: Topic) -> bool:
    return not topic.internal


class ProduceFastRegistry:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.native = _native.ProduceFastPath()

    def sync(self, topic: Topic) -> None:
        """Register the topic's current partitions and cleanup.policy, or leave it to Python."""
        if eligible(topic):
            compacted = "compact" in topic.config("cleanup.policy", self.config)
            self.native.set_topic(topic, topic.name, topic.topic_id, list(topic.partitions), compacted=compacted)
        else:
            self.native.remove_topic(topic.name)

    def remove(self, topic: Topic) -> None:
        self.native.remove_topic(topic.name)
