"""Which topics the Produce fast path may serve (docs/scaling.md, "The Produce fast path").

The fast path (_native.ProduceFastPath, rust/fastlog-py/src/produce_fast.rs) decodes a Produce
request, appends it and encodes the response in one compiled call, for requests that need no
decision of Python's. Whether a topic is one of those is decided here: not internal (clients may
not write to those). A compacted topic ("compact" in cleanup.policy) is served too, but a request
with a keyless record for it goes to handlers/produce.py, which writes the per-record errors.
LogManager calls `sync` whenever a topic appears, goes, gains partitions or changes configs, so
the registry never serves a topic the Python handler would answer differently.

A request that must not be appended on the event loop (large, or rolling a segment) is served on
the fast path's own threads (num.io.threads of them), which never take the GIL: `serve_off_loop`
submits it and the loop collects every answer that finished when the completion descriptor turns
readable. Going through Python threads instead (AppendThreads) cost each request a queue
hand-over, two GIL acquisitions on the thread and a wake-up call: docs/bench.md, "CPU per byte,
round 3".
"""
from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any, Callable, Optional, Protocol

from fastlog import _native
from fastlog.config import Config
from fastlog.cross_loop import call_in_loop


class Topic(Protocol):
    """What is read of a log_manager.Topic (which imports this module)."""
    name: str
    topic_id: bytes
    internal: bool
    partitions: list[_native.PartitionLog]

    def config(self, key: str, broker: Config) -> Any: ...


def eligible(topic: Topic) -> bool:
    return not topic.internal


# Principal-and-host pairs whose writable topics are kept (all are dropped when full).
MAX_CACHED_PRINCIPALS = 1024


def with_throttle_time(fast: _native.FastProduce, throttle_ms: int) -> bytes | bytearray:
    """The fast path's response frame with throttle_time_ms set to a client quota's throttle time
    (the fast path writes 0 and says where: quotas are counted in Python, server/connection.py)."""
    assert fast.response is not None and fast.throttle_time_at is not None
    if not throttle_ms:
        return fast.response
    response = bytearray(fast.response)
    response[fast.throttle_time_at:fast.throttle_time_at + 4] = throttle_ms.to_bytes(4, "big")
    return response


class ProduceFastRegistry:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.native = _native.ProduceFastPath()
        self._waiting: dict[int, asyncio.Future] = {}  # token -> the future of a submitted request
        self._tokens = itertools.count(1)  # next() is atomic: every network loop submits
        # The loop watching the completions: the first to submit (the main one, or whichever
        # network loop came first); completions of other loops' requests are handed to them.
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._watch_lock = threading.Lock()  # two loops submitting first must not both watch
        self._threads = 0
        self._names: set[str] = set()  # the registered topics
        self.generation = 0  # bumped when they change
        # (principal, host) -> ((ACL generation, our generation), the topics it may write)
        self._writable: dict[tuple[str, str], tuple[tuple[int, int], _native.TopicSet]] = {}

    def sync(self, topic: Topic) -> None:
        """Register the topic's current partitions and cleanup.policy, or leave it to Python."""
        if eligible(topic):
            compacted = "compact" in topic.config("cleanup.policy", self.config)
            self.native.set_topic(topic, topic.name, topic.topic_id, list(topic.partitions), compacted=compacted)
            self._names.add(topic.name)
        else:
            self.remove(topic)
        self.generation += 1

    def remove(self, topic: Topic) -> None:
        self.native.remove_topic(topic.name)
        self._names.discard(topic.name)
        self.generation += 1

    def writable_topics(self, principal: str, host: str, acl_generation: int,
                        may_write: Callable[[str], bool]) -> _native.TopicSet:
        """The registered topics `principal` connecting from `host` may write (`may_write`: the
        authorizer's decision), decided again when the ACLs or the topics have changed; a
        request naming any other topic goes to the Python handler, which decides it itself.
        Shared by the connections of one principal and host."""
        key = (principal, host)
        version = (acl_generation, self.generation)
        cached = self._writable.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        if len(self._writable) >= MAX_CACHED_PRINCIPALS:
            self._writable.clear()
        writable = _native.TopicSet([name for name in self._names if may_write(name)])
        self._writable[key] = (version, writable)
        return writable

    def serve_off_loop(self, frame, body_offset: int, version: int, correlation_id: int, now_ms: int,
                       writable: Optional[_native.TopicSet] = None) -> asyncio.Future:
        """try_produce(..., inline=False) on the fast path's threads; the future gets what it
        would have returned. `frame` must stay unchanged until the future is done. Any network
        loop may call it; the future is the calling loop's."""
        loop = asyncio.get_running_loop()
        if self._loop is None or self._loop.is_closed():
            with self._watch_lock:
                if self._loop is None or self._loop.is_closed():
                    self._watch(loop)
        threads = self.config.get_int("num.io.threads")  # a dynamic broker config
        if threads != self._threads:
            self.native.set_threads(threads)
            self._threads = threads
        token = next(self._tokens)
        fut = loop.create_future()
        self._waiting[token] = fut
        self.native.submit(token, frame, body_offset, version, correlation_id, now_ms, writable=writable)
        return fut

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.native.completion_fd())
        loop.add_reader(self.native.completion_fd(), self._completed)
        self._loop = loop

    def _completed(self) -> None:
        for token, outcome in self.native.take_completed():
            fut = self._waiting.pop(token, None)
            if fut is not None:
                call_in_loop(fut.get_loop(), _resolve, fut, outcome)  # not if its loop has closed

    def close(self) -> None:
        """Serve what was submitted, stop the threads and stop watching (broker shutdown)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.native.completion_fd())
        self._loop = None
        self.native.shutdown()
        self._completed()


def _resolve(fut: asyncio.Future, outcome: Any) -> None:
    if not fut.done():
        fut.set_result(outcome)
