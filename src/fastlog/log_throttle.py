"""Log lines about failures that can repeat thousands of times a second (running out of file
descriptors, a consumer stuck on damaged data): one line per kind per interval. Used by the server
and by handlers alike, so it sits below both."""
from __future__ import annotations

import collections
import logging
import time


class LogThrottle:
    """At most one line per `interval` seconds for each kind of repeated failure (running out of
    file descriptors fails every request at once); the next line says how many were left out."""

    def __init__(self, logger: logging.Logger, interval: float = 10.0) -> None:
        self.logger = logger
        self.interval = interval
        self._last: dict[str, float] = {}
        self._suppressed: collections.Counter[str] = collections.Counter()

    def log(self, kind: str, message: str, *args: object, level: int = logging.ERROR,
            exc_info: "logging._ExcInfoType" = False) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._suppressed[kind] += 1
            return
        self._last[kind] = now
        left_out = self._suppressed.pop(kind, 0)
        if left_out and last is not None:
            message += f" ({left_out} more like this in the last {now - last:.0f} s were not logged)"
        self.logger.log(level, message, *args, exc_info=exc_info)
