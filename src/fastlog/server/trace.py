"""Opt-in timing trace of the broker, for finding where latency spikes come from (bench/tails.py).

Off unless the environment names a file: FASTLOG_TRACE_FILE=/tmp/trace.jsonl. The broker then
appends one JSON object per line, each with "t" (wall-clock seconds, so the bench can line the
events up with its clients' send times and /proc samples) and "kind":

- "request": every request: api key, handler ms (decode to response built; for Produce the
  append), total ms (frame taken from the connection's queue to response written), bytes;
  "fast": true for a Produce the compiled fast path served, "throttle_ms" when a client quota
  throttled the request (the connection then waits that long), "loop": the network loop's
  thread when not the main loop (num.network.threads, server/network_loops.py).
- "lag": the event loop ran a callback late: a ticker sleeping TICK_S measured its oversleep,
  i.e. how long something else held the loop (logged above LAG_LOG_MS), split with the loop
  thread's scheduler counters (/proc/thread-self/schedstat) into ran_ms (the thread was on a
  CPU: the broker's own work held the loop), waited_ms (runnable but waiting for a CPU: the
  machine) and blocked_ms (the rest: asleep in a blocking call, e.g. a write throttled by
  writeback, or page faults on I/O).
- "gc": a garbage collection pass, its generation and ms (gc.callbacks).

Lines are buffered and written once a second and at stop, so tracing adds no write per request.
Not a setting in config.py on purpose: it is a debugging aid of fastlog's, not a Kafka key.
"""
from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import time
from typing import Optional

ENV = "FASTLOG_TRACE_FILE"
TICK_S = 0.002
LAG_LOG_MS = 2.0
FLUSH_S = 1.0


class Trace:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self._lines_lock = threading.Lock()  # events come from every network loop's thread
        self._gc_started: Optional[float] = None
        self._tasks: list[asyncio.Task] = []

    def event(self, kind: str, **fields: object) -> None:
        line = json.dumps({"t": round(time.time(), 6), "kind": kind, **fields})
        with self._lines_lock:
            self.lines.append(line)

    def request(self, api_key: int, handler_s: float, total_s: float, size: int, fast: bool = False,
                throttle_ms: int = 0) -> None:
        optional: dict[str, object] = {}
        if fast:
            optional["fast"] = True
        if throttle_ms:
            optional["throttle_ms"] = throttle_ms
        thread = threading.current_thread()
        if thread is not threading.main_thread():
            optional["loop"] = thread.name
        self.event("request", api=api_key, handler_ms=round(handler_s * 1000, 3), total_ms=round(total_s * 1000, 3),
                   bytes=size, **optional)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            self.event("gc", generation=info.get("generation"), collected=info.get("collected"),
                       ms=round((time.perf_counter() - self._gc_started) * 1000, 3))
            self._gc_started = None

    async def _ticker(self) -> None:
        """Sleep TICK_S again and again; any oversleep is time the loop spent on something else."""
        schedstat = SchedStat()
        try:
            ran, waited = schedstat.read()
            while True:
                before = time.perf_counter()
                await asyncio.sleep(TICK_S)
                late_ms = (time.perf_counter() - before - TICK_S) * 1000
                ran_before, waited_before = ran, waited
                ran, waited = schedstat.read()
                if late_ms > LAG_LOG_MS:
                    # the legitimate TICK_S asleep in epoll is neither running nor waiting
                    ran_ms, waited_ms = (ran - ran_before) / 1e6, (waited - waited_before) / 1e6
                    self.event("lag", ms=round(late_ms, 3), ran_ms=round(ran_ms, 3), waited_ms=round(waited_ms, 3),
                               blocked_ms=round(max(0.0, late_ms - ran_ms - waited_ms), 3))
        finally:
            schedstat.close()

    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        with self._lines_lock:
            lines, self.lines = self.lines, []
        with open(self.path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        gc.callbacks.append(self._on_gc)
        self._tasks = [loop.create_task(self._ticker()), loop.create_task(self._flusher())]

    async def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.flush()


class SchedStat:
    """The calling thread's nanoseconds on a CPU and waiting on a run queue (Linux schedstat;
    zeros where it is missing, which makes every lag look "blocked")."""

    def __init__(self) -> None:
        try:
            self.fd: Optional[int] = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:
            self.fd = None

    def read(self) -> tuple[int, int]:
        if self.fd is None:
            return 0, 0
        fields = os.pread(self.fd, 128, 0).split()
        return int(fields[0]), int(fields[1])

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def from_environment() -> Optional[Trace]:
    path = os.environ.get(ENV)
    return Trace(path) if path else None


def read(path: str) -> list[dict]:
    """The events of a trace file, skipping a line cut short by a killed broker."""
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events
