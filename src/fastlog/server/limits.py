"""Bounds the broker keeps on what clients can make it hold: request memory across all
connections. (Log lines about failures that repeat: fastlog.log_throttle.)"""
from __future__ import annotations

import collections
import threading
from typing import Callable


class RequestMemoryPool:
    """Kafka's queued.max.request.bytes memory pool: bytes of requests read but not yet handled,
    across all connections. A connection whose next request does not fit waits (stops reading)
    until handled requests give bytes back; waiters are served in arrival order. A request larger
    than the whole pool is let in when the pool is empty, so it can never wait forever.
    capacity < 0 means unbounded (Kafka's default; fastlog sets a bound, see config.py).
    Connections on every network loop share it (server/network_loops.py), hence the lock; a
    waiter's `on_granted(size)` runs in the thread that released the bytes, after the lock."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._waiters: collections.deque[tuple[int, Callable[[int], None]]] = collections.deque()
        self._lock = threading.Lock()

    def _fits(self, size: int) -> bool:
        return self.capacity < 0 or self.used == 0 or self.used + size <= self.capacity

    def reserve(self, size: int, on_granted: Callable[[int], None]) -> bool:
        """Take `size` bytes now (True), or queue `on_granted`, called with `size` once they are taken."""
        with self._lock:
            if not self._waiters and self._fits(size):
                self.used += size
                return True
            self._waiters.append((size, on_granted))
            return False

    def take(self, size: int) -> None:
        """Account bytes already read (a request that arrived whole in one read)."""
        with self._lock:
            self.used += size

    @property
    def exhausted(self) -> bool:
        return 0 <= self.capacity < self.used

    def release(self, size: int) -> None:
        granted = []
        with self._lock:
            self.used -= size
            while self._waiters and self._fits(self._waiters[0][0]):
                waiter = self._waiters.popleft()
                self.used += waiter[0]
                granted.append(waiter)
        for size, on_granted in granted:
            on_granted(size)

    def cancel(self, on_granted: Callable[[int], None]) -> None:
        with self._lock:
            self._waiters = collections.deque(w for w in self._waiters if w[1] != on_granted)
