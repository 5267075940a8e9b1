"""The log cleaner's scheduling (Kafka's LogCleaner/LogCleanerManager): which compacted log to
clean next, the cleaner threads, the checkpoint file and the per-pass log line. A pass itself
(key map, rewrite, crash-safe swap) is Rust: `PartitionLog.clean`, fastlog-core's cleaner.rs;
docs/storage-format.md, "Log cleaner", has the rules and the files.

A log is cleaned when its topic's cleanup.policy contains `compact` (read at each round, so a
live change applies) and its dirty part (from the checkpoint to the first uncleanable offset)
is at least min.cleanable.dirty.ratio of the cleanable bytes, or its first dirty record is older
than max.compaction.lag.ms. The dirtiest logs go first, one pass per cleaner thread at a time.

`cleaner-offset-checkpoint` in the data folder (Kafka's name and format): the line `0` (version),
the number of entries, then `topic partition offset` per line; offsets below it were cleaned.
Written (atomic_write) after each pass; a lost update only makes the next pass clean again.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

from fastlog import _native
from fastlog.config import Config
from fastlog.files import atomic_write

# A log_manager.Topic (not imported: log_manager imports this module).
Topic = Any

log = logging.getLogger("fastlog.cleaner")

CHECKPOINT_FILE = "cleaner-offset-checkpoint"
# log.cleaner.dedupe.buffer.size counts 24 bytes a key (fastlog-core cleaner::MAP_ENTRY_BYTES).
MAP_ENTRY_BYTES = 24
RETRY_AFTER_FAILURE_S = 60.0


def read_checkpoint(path: str) -> dict[tuple[str, int], int]:
    """Entries of a checkpoint file; a missing or malformed file is empty (everything is dirty)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return {}
    if len(lines) < 2 or lines[0].strip() != "0":
        log.warning("ignoring %s: not a version 0 checkpoint", path)
        return {}
    out: dict[tuple[str, int], int] = {}
    for line in lines[2:]:
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].lstrip("-").isdigit():
            out[(parts[0], int(parts[1]))] = int(parts[2])
    return out


def checkpoint_text(entries: dict[tuple[str, int], int]) -> str:
    lines = ["0", str(len(entries))] + [f"{t} {p} {o}" for (t, p), o in sorted(entries.items())]
    return "\n".join(lines) + "\n"


@dataclass
class CleanerTotals:
    """Since the broker started (Kafka's cleaner metrics, in short)."""
    passes: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    records_removed: int = 0
    failures: int = 0
    last_pass: Optional[_native.CleanStats] = None


class LogCleaner:
    def __init__(self, config: Config, data_dir: str, topics: dict[str, Topic]) -> None:
        """`topics` is the log manager's own table (name -> Topic), read at each round."""
        self.topics = topics
        self.config = config
        self.path = os.path.join(data_dir, CHECKPOINT_FILE)
        self.threads = max(int(self.config.get("log.cleaner.threads")), 1)
        self.checkpoints: dict[tuple[str, int], int] = {}
        self.totals = CleanerTotals()
        self._busy: set[tuple[str, int]] = set()
        # A log whose pass failed waits before the next try (monotonic time).
        self._retry_at: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()  # checkpoints and the checkpoint file
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None
        # Set by wake(): ends the backoff pause early (a dynamic broker config changed). Made by
        # run(), in the loop that runs the cleaner.
        self._wakeup: Optional[asyncio.Event] = None

    @property
    def enabled(self) -> bool:
        return bool(self.config.get("log.cleaner.enable")) and int(self.config.get("log.cleaner.threads")) > 0

    def open(self) -> None:
        self.checkpoints = read_checkpoint(self.path)

    def close(self) -> None:
        # A pass still running finds its log closed at the swap and drops its files.
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # -- choosing -------------------------------------------------------------------------------
    def candidates(self, now_ms: int) -> list[tuple[float, Topic, int]]:
        """(dirty ratio, topic, partition) of the logs to clean now, dirtiest first."""
        found = []
        for topic in list(self.topics.values()):
            if "compact" not in topic.config("cleanup.policy", self.config):
                continue
            ratio_min = float(topic.config("min.cleanable.dirty.ratio", self.config))
            min_lag = int(topic.config("min.compaction.lag.ms", self.config))
            max_lag = int(topic.config("max.compaction.lag.ms", self.config))
            for index, plog in enumerate(topic.partitions):
                if (topic.name, index) in self._busy:
                    continue
                try:
                    c = plog.cleanable(self.checkpoints.get((topic.name, index), -1), now_ms, min_lag)
                except _native.StorageError:
                    continue  # closed or damaged: not this round
                if c.dirty_bytes == 0:
                    continue
                ratio = c.dirty_bytes / (c.clean_bytes + c.dirty_bytes)
                overdue = c.first_dirty_timestamp >= 0 and now_ms - c.first_dirty_timestamp > max_lag
                if ratio >= ratio_min or overdue:
                    found.append((ratio, topic, index))
        found.sort(key=lambda f: -f[0])
        return found

    # -- running --------------------------------------------------------------------------------
    async def run(self) -> None:
        """Forever: start passes on free threads; sleep log.cleaner.backoff.ms when none is due."""
        if not self.enabled:
            return
        loop = asyncio.get_running_loop()
        running: set[asyncio.Future] = set()
        self._wakeup = asyncio.Event()
        while True:
            # log.cleaner.threads and .backoff.ms are dynamic broker configs (as in Kafka): read
            # each round; a new thread count gets a new pool, passes on the old one finish there.
            threads = max(int(self.config.get("log.cleaner.threads")), 1)
            if self._pool is None or threads != self.threads:
                if self._pool is not None:
                    self._pool.shutdown(wait=False)
                self.threads = threads
                self._pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="log-cleaner")
            backoff = int(self.config.get("log.cleaner.backoff.ms")) / 1000
            now = time.monotonic()
            free = self.threads - len(running)
            for _, topic, index in self.candidates(int(time.time() * 1000))[:free]:
                key = (topic.name, index)
                if self._retry_at.get(key, 0.0) > now:
                    continue
                self._busy.add(key)
                fut = loop.run_in_executor(self._pool, self.clean, topic, index)
                fut.add_done_callback(functools.partial(self._done, key))
                running.add(fut)
            running = await self._pause(max(backoff, 0.01), running)

    def wake(self) -> None:
        """Start the next round now: the dynamic cleaner configs (threads, backoff) apply at once,
        as Kafka's LogCleaner.reconfigure restarts its threads."""
        if self._wakeup is not None:
            self._wakeup.set()

    async def _pause(self, seconds: float, running: set[asyncio.Future]) -> set[asyncio.Future]:
        """Until a pass ends, wake() is called or `seconds` pass; returns the passes still running."""
        assert self._wakeup is not None
        waker = asyncio.ensure_future(self._wakeup.wait())
        try:
            await asyncio.wait({*running, waker}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
        self._wakeup.clear()
        return {f for f in running if not f.done()}

    def _done(self, key: tuple[str, int], _fut: asyncio.Future) -> None:
        self._busy.discard(key)

    def clean(self, topic: Topic, index: int) -> Optional[_native.CleanStats]:
        """One pass over one partition (on a cleaner thread); updates the checkpoint and logs it."""
        name = f"{topic.name}-{index}"
        cfg = self.config
        try:
            plog = topic.partitions[index]
            budget = int(cfg.get("log.cleaner.dedupe.buffer.size")) / self.threads
            entries = int(budget / MAP_ENTRY_BYTES * float(cfg.get("log.cleaner.io.buffer.load.factor")))
            stats = plog.clean(
                checkpoint=self.checkpoints.get((topic.name, index), -1),
                now_ms=int(time.time() * 1000),
                min_compaction_lag_ms=int(topic.config("min.compaction.lag.ms", cfg)),
                delete_retention_ms=int(topic.config("delete.retention.ms", cfg)),
                segment_bytes=int(topic.config("segment.bytes", cfg)),
                max_map_entries=max(entries, 1),
                io_max_bytes_per_second=float(cfg.get("log.cleaner.io.max.bytes.per.second")),
            )
        except Exception as e:  # a log the cleaner cannot clean now must not stop the others
            self.totals.failures += 1
            self._retry_at[(topic.name, index)] = time.monotonic() + RETRY_AFTER_FAILURE_S
            log.warning("cleaning %s stopped: %s", name, e, exc_info=not isinstance(e, _native.StorageError))
            return None
        if stats is None:
            return None
        with self._lock:
            self.checkpoints[(topic.name, index)] = stats.end
            self._write_checkpoint()
        t = self.totals
        t.passes += 1
        t.bytes_read += stats.bytes_read
        t.bytes_written += stats.bytes_written
        t.records_removed += stats.records_removed
        t.last_pass = stats
        secs = max(stats.duration_ms, 1) / 1000
        log.info("cleaned %s offsets %d to %d: read %d bytes (%.1f MB/s), wrote %d bytes in %d segment(s), "
                 "%d keys, removed %d of %d records (%d tombstones, %d aborted) and %d transaction markers, %d ms",
                 name, stats.first_dirty, stats.end, stats.bytes_read, stats.bytes_read / secs / 1e6,
                 stats.bytes_written, stats.segments_written, stats.keys, stats.records_removed,
                 stats.records_read, stats.tombstones_removed, stats.aborted_removed, stats.markers_removed,
                 stats.duration_ms)
        return stats

    def forget(self, topic_name: str) -> None:
        """A deleted topic: its checkpoints go (a new topic of that name starts dirty)."""
        with self._lock:
            self.checkpoints = {k: v for k, v in self.checkpoints.items() if k[0] != topic_name}

    def _write_checkpoint(self) -> None:
        # Only logs that still exist (a deleted topic's entry goes, as in Kafka).
        live = {(t.name, i) for t in list(self.topics.values()) for i in range(len(t.partitions))}
        self.checkpoints = {k: v for k, v in self.checkpoints.items() if k in live}
        try:
            atomic_write(self.path, checkpoint_text(self.checkpoints))
        except OSError as e:
            log.warning("could not write %s: %s", self.path, e)
