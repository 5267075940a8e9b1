"""Bounds the broker keeps on what clients can make it hold: request memory across all
connections. (Log lines about failures that repeat: fastlog.log_throttle.)"""
from __future__ import annotations

import collections
from typing import Callable


class RequestMemoryPool:
    """Kafka's queued.max.request.bytes memory pool: bytes of requests read but not yet handled,
    across all connections. A connection whose next request does not fit waits (stops reading)
    until handled requests give bytes back; waiters are served in arrival order. A request larger
    than the whole pool is let in when the pool is empty, so it can never wait forever.
    capacity < 0 means unbounded (Kafka's default; fastlog sets a bound, see config.py)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._waiters: collections.deque[tuple[int, Callable[[], None]]] = collections.deque()

    def _fits(self, size: int) -> bool:
        return self.capacity < 0 or self.used == 0 or self.used + size <= self.capacity

    def reserve(self, size: int, on_granted: Callable[[], None]) -> bool:
        """Take `size` bytes now (True), or queue `on_granted`, called once they are taken."""
        if not self._waiters and self._fits(size):
            self.used += size
            return True
        self._waiters.append((size, on_granted))
        return False

    def take(self, size: int) -> None:
        """Account bytes already read (a request that arrived whole in one read)."""
        self.used += size

    @property
    def exhausted(self) -> bool:
        return 0 <= self.capacity < self.used

    def release(self, size: int) -> None:
        self.used -= size
        while self._waiters and self._fits(self._waiters[0][0]):
            size, on_granted = self._waiters.popleft()
            self.used += size
            on_granted()

    def cancel(self, on_granted: Callable[[], None]) -> None:
        self._waiters = collections.deque(w for w in self._waiters if w[1] != on_granted)
