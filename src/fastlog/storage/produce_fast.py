"""Which topics the Produce fast path may serve (docs/scaling.md, "The Produce fast path").

The fast path (_native.ProduceFastPath, rust/fastlog-py/src/produce_fast.rs) decodes a Produce
request, appends it and encodes the response in one compiled call, for requests that need no
decision of Python's. Whether a topic is one of those is decided here: not internal (clients may
not write to those), and no "compact" in cleanup.policy (a compacted topic refuses keyless
records with per-record errors, checked in handlers/produce.py). LogManager calls `sync` whenever
a topic appears, goes, gains partitions or changes configs, so the registry never serves a topic
the Python handler would answer differently.
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


def eligible(topic: Topic, config: Config) -> bool:
    return not topic.internal and "compact" not in topic.config("cleanup.policy", config)


class ProduceFastRegistry:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.native = _native.ProduceFastPath()

    def sync(self, topic: Topic) -> None:
        """Register the topic's current partitions, or leave it to Python if not eligible."""
        if eligible(topic, self.config):
            self.native.set_topic(topic, topic.name, topic.topic_id, list(topic.partitions))
        else:
            self.native.remove_topic(topic.name)

    def remove(self, topic: Topic) -> None:
        self.native.remove_topic(topic.name)
