"""The broker's topics and their partition logs.

Data folder layout (one folder, the first of log.dirs):

    .lock                      held with flock by the running broker; holds its pid (Kafka's name)
    meta.properties            cluster.id and node.id, written once (Kafka's file name and keys)
    fastlog-topics.json        topic catalogue: name -> {topic_id (hex), partitions, configs,
                               internal}; replaced atomically (write temp, fsync, rename)
    fastlog-dynamic-configs.json  dynamic broker and group configs (storage/dynamic_configs.py)
    fastlog-reserve            RESERVE_BYTES of zeros, given up so that deletions work on a full disk
    <topic>-<partition>/       one partition log each, format in docs/storage-format.md

A new topic's partition folders are created before its catalogue entry is written, and a deleted
topic's entry is removed before its folders are; so after a crash a folder without a catalogue
entry is a leftover of an interrupted creation or deletion, and is removed. A topic is visible
to clients only once its folders and its catalogue entry both exist.

Disk full: appends fail with KAFKA_STORAGE_ERROR. Deleting a topic or records must still work, so
that the operator can free space through the Kafka API; both write a little metadata first
(catalogue, log start offset), so when free space is below RESERVE_BYTES the reserve file is
removed before them, and written again once there is room.
"""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import errno
import fcntl
import functools
import itertools
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional, Sequence

from fastlog import _native
from fastlog.config import Config, ConfigError, validate_topic_configs
from fastlog.cross_loop import call_in_loop
from fastlog.files import atomic_write, parse_properties
from fastlog.storage.append_threads import AppendThreads
from fastlog.storage.cleaner import LogCleaner
from fastlog.storage.dynamic_configs import DynamicConfigs
from fastlog.storage.produce_fast import ProduceFastRegistry

log = logging.getLogger("fastlog.storage")

CATALOGUE = "fastlog-topics.json"
LOCK_FILE = ".lock"
RESERVE_FILE = "fastlog-reserve"
RESERVE_BYTES = 1 << 20
# Record sets at least this large are appended on a worker thread (see append_async).
OFFLOAD_APPEND_BYTES = 64 * 1024
# Kafka's rule (Topic.validate): 1-249 of these characters, matched in full (a `$` would also
# accept a trailing newline), and not "." or "..".
LEGAL_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")


class DataDirInUse(Exception):
    """Another process holds the data folder's lock: two brokers on one folder lose acked data."""


class TopicError(Exception):
    """A topic operation that cannot be done; `code` is the Kafka error code to answer with."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


# Kafka error codes this module raises (storage does not import the protocol package).
INVALID_TOPIC_EXCEPTION = 17
TOPIC_ALREADY_EXISTS = 36
INVALID_PARTITIONS = 37
INVALID_CONFIG = 40
UNKNOWN_TOPIC_OR_PARTITION = 3
KAFKA_STORAGE_ERROR = 56


# compression.type -> the engine's codec id (-1: `producer`, batches kept as sent).
CODEC_IDS = {"producer": -1, "uncompressed": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CODEC_LEVEL_KEYS = {1: "compression.gzip.level", 3: "compression.lz4.level", 4: "compression.zstd.level"}


def check_topic_configs(config: Config, configs: dict[str, str]) -> None:
    """Raise TopicError(INVALID_CONFIG) for an unknown key or a value the config table refuses."""
    try:
        validate_topic_configs(config, configs)
    except ConfigError as e:
        raise TopicError(INVALID_CONFIG, str(e)) from None


def validate_topic_name(name: str) -> None:
    if name in (".", "..") or not LEGAL_TOPIC.fullmatch(name):
        raise TopicError(INVALID_TOPIC_EXCEPTION, f"Topic name {name!r} is illegal")


@dataclass
class Topic:
    name: str
    topic_id: bytes
    configs: dict[str, str]
    internal: bool = False
    partition_count: int = 0  # as in the catalogue; partitions are opened up to this count
    partitions: list[_native.PartitionLog] = field(default_factory=list)
    # Futures of long-polling fetches waiting for data on partition i.
    waiters: list[list[asyncio.Future]] = field(default_factory=list)
    # Futures of long-polling fetches waiting on every partition of the topic.
    topic_waiters: list[asyncio.Future] = field(default_factory=list)
    # The append sequence number (LogManager.append_mark) of each partition's last append, and of
    # the topic's (or its deletion): a fetch whose mark is older than one of these after it
    # registered its wait missed that append (wait_for_appends, `since`).
    last_appends: list[int] = field(default_factory=list)
    last_append: int = 0
    # Typed values config() gave, valid while `configs` is the same dict (it is replaced, never
    # changed in place) and the broker's Config has not changed (its generation).
    _values: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    _values_of: tuple[Optional[dict[str, str]], int] = field(default=(None, -1), repr=False, compare=False)

    def config(self, key: str, broker: Config):
        """The typed value of a topic config: the topic's own, else the broker's default."""
        configs, generation = self._values_of
        if configs is not self.configs or generation != broker.generation:
            self._values.clear()
            self._values_of = (self.configs, broker.generation)
        try:
            return self._values[key]
        except KeyError:
            value = self._values[key] = broker.topic_value(key, self.configs)
            return value


class LogManager:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self.topics: dict[str, Topic] = {}
        self.by_id: dict[bytes, Topic] = {}
        self.cluster_id = ""
        self._lock_fd: Optional[int] = None
        # The threads that run the engine's GIL-free appends (num.io.threads, Kafka's request
        # handler pool: here the part of request handling that can use more than one core).
        self._append_threads = AppendThreads(self.config.get_int("num.io.threads"))
        self.dynamic = DynamicConfigs(config, self.data_dir)
        self._last_flush: dict[str, float] = {}  # topic -> monotonic time of its last flush.ms flush
        self.cleaner = LogCleaner(config, self.data_dir, self.topics)
        # The topics the compiled Produce path may serve, kept current by every change below.
        self.fast_produce = ProduceFastRegistry(config)

    def _append_pool(self) -> AppendThreads:
        """The append threads, resized when num.io.threads (a dynamic broker config) has
        changed; appends already queued still run."""
        size = self.config.get_int("num.io.threads")
        if size != self._append_threads.size:
            self._append_threads.resize(size)
        return self._append_threads

    # -- start and stop -------------------------------------------------------------------
    def open(self) -> None:
        os.makedirs(self.data_dir, exist_ok=True)
        self._lock_data_dir()
        self.cluster_id = self._load_meta()
        self.dynamic.load()
        self.dynamic.keep_min_isr_at_cluster_level()
        catalogue = self._read_catalogue()
        for name, entry in catalogue.items():
            topic = Topic(name, bytes.fromhex(entry["topic_id"]), dict(entry.get("configs", {})),
                          bool(entry.get("internal", False)), int(entry["partitions"]))
            self._open_partitions(topic)
            self._index(topic)
        self._remove_orphans()
        self.cleaner.open()
        self.ensure_reserve()

    def close(self) -> None:
        self.cleaner.close()
        self._append_threads.shutdown()
        self.fast_produce.close()

        def close_one(topic: Topic, plog: _native.PartitionLog) -> None:
            try:
                plog.close()
            except Exception:  # keep closing the others; the next start recovers this one
                log.exception("closing %s failed", topic.name)

        # Closing is a handful of fsyncs per partition (segment, indexes, checkpoints, the clean
        # shutdown marker): one by one, 1,000 partitions took 27 s on a busy disk. The engine
        # releases the GIL while it syncs, so threads overlap them (as Kafka's recovery threads do).
        threads = self.config.get_int("num.recovery.threads.per.data.dir")
        with concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="fastlog-close") as pool:
            for topic in self.topics.values():
                for plog in topic.partitions:
                    pool.submit(close_one, topic, plog)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def _lock_data_dir(self) -> None:
        """Take the folder's exclusive lock for as long as this process runs (the kernel drops a
        flock when its holder dies, so a crash never leaves a stale lock)."""
        path = os.path.join(self.data_dir, LOCK_FILE)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            who = f"process {holder}" if holder.isdigit() else "another process"
            raise DataDirInUse(f"data folder {self.data_dir} is in use by {who} (it holds {path}); "
                               "two brokers on one folder would overwrite each other's data") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    # -- topics -----------------------------------------------------------------------------
    def get(self, name: str) -> Optional[Topic]:
        return self.topics.get(name)

    def get_by_id(self, topic_id: bytes) -> Optional[Topic]:
        return self.by_id.get(topic_id)

    def check_new_topic(self, name: str, num_partitions: int, configs: Optional[dict[str, str]] = None) -> None:
        """Raise TopicError if create_topic would refuse these arguments."""
        validate_topic_name(name)
        if name in self.topics:
            raise TopicError(TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        if num_partitions <= 0:
            raise TopicError(INVALID_PARTITIONS, "Number of partitions must be larger than 0.")
        check_topic_configs(self.config, configs or {})

    def create_topic(self, name: str, num_partitions: int, configs: Optional[dict[str, str]] = None,
                     internal: bool = False) -> Topic:
        """Create the partition folders, then the catalogue entry, then show the topic; if any
        step fails (disk full, no file descriptors) nothing is left behind and TopicError says
        KAFKA_STORAGE_ERROR."""
        self.check_new_topic(name, num_partitions, configs)
        topic = Topic(name, uuid.uuid4().bytes, dict(configs or {}), internal, num_partitions)
        try:
            self._open_partitions(topic)
            self._index(topic)
            self._write_catalogue()
        except (OSError, _native.StorageError) as e:
            self._unindex(topic)
            self._drop_partitions(topic, 0)
            raise TopicError(KAFKA_STORAGE_ERROR, f"Could not create topic {name}: {_describe(e)}") from None
        log.info("created topic %s with %d partitions", name, num_partitions)
        return topic

    def add_partitions(self, name: str, total: int) -> Topic:
        topic = self.topics[name]
        before = len(topic.partitions)
        if total <= before:
            raise TopicError(INVALID_PARTITIONS,
                             f"Topic currently has {before} partitions, {total} would not be an increase.")
        try:
            topic.partition_count = total
            self._open_partitions(topic)
            self._write_catalogue()
        except (OSError, _native.StorageError) as e:
            topic.partition_count = before
            self._drop_partitions(topic, before)
            self.fast_produce.sync(topic)
            raise TopicError(KAFKA_STORAGE_ERROR, f"Could not add partitions to {name}: {_describe(e)}") from None
        self.fast_produce.sync(topic)
        return topic

    def _drop_partitions(self, topic: Topic, keep: int) -> None:
        """Delete the partition logs of `topic` from index `keep` on (undoing a creation)."""
        for plog in topic.partitions[keep:]:
            try:
                plog.delete()
            except Exception:  # the next start removes folders the catalogue does not list
                log.warning("could not remove a partition of %s", topic.name)
        del topic.partitions[keep:]
        with _waiters_lock:
            del topic.waiters[keep:]
            del topic.last_appends[keep:]

    def alter_topic_configs(self, name: str, configs: dict[str, str], validate_only: bool = False) -> None:
        """Replace a topic's explicit configs (keys left out fall back to the broker defaults).
        Any may change on a live topic: retention, cleanup policy and flush.ms are read at each
        use, the others are handed to the open partition logs and apply from their next append."""
        topic = self.topics.get(name)
        if topic is None:
            raise TopicError(UNKNOWN_TOPIC_OR_PARTITION, f"Topic '{name}' does not exist.")
        check_topic_configs(self.config, configs)
        if validate_only:
            return
        topic.configs = dict(configs)
        self._write_catalogue()
        self._reconfigure(topic)
        log.info("topic %s configs now %s", name, topic.configs)

    def alter_broker_configs(self, resource_name: str, values: dict[str, str], validate_only: bool = False) -> None:
        """Replace the dynamic broker configs of this broker (`resource_name` its id) or of the
        cluster default (''); every topic that takes a default from them follows from its next
        append. ConfigError (Kafka's words) changes nothing."""
        self.dynamic.alter_broker(self.dynamic.source_of(resource_name), values, validate_only)
        if not validate_only:
            for topic in list(self.topics.values()):
                self._reconfigure(topic)
            self.cleaner.wake()

    def _reconfigure(self, topic: Topic) -> None:
        settings = log_settings(self.config, topic.configs)
        for plog in topic.partitions:
            plog.configure(settings)
        self.fast_produce.sync(topic)  # cleanup.policy may have changed

    def delete_topic(self, name: str) -> None:
        topic = self.topics.get(name)
        if topic is None:
            raise TopicError(UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.")
        self._unindex(topic)
        try:
            with self.freeing_space():
                self._write_catalogue()
        except OSError as e:
            self._index(topic)
            raise TopicError(KAFKA_STORAGE_ERROR, f"Could not delete topic {name}: {_describe(e)}") from None
        self.cleaner.forget(name)
        for plog in topic.partitions:
            plog.delete()
        deleted = next(_append_sequence)  # as an append to every partition
        topic.last_append = deleted
        topic.last_appends[:] = [deleted] * len(topic.last_appends)
        for waiting in topic.waiters:
            _wake(waiting)
        _wake(topic.topic_waiters)
        log.info("deleted topic %s", name)

    def delete_records_before(self, plog: _native.PartitionLog, offset: int) -> int:
        """Move a partition's log start offset to `offset` (DeleteRecords); works on a full disk."""
        with self.freeing_space():
            return plog.delete_records_before(offset)

    # -- the disk-full reserve ----------------------------------------------------------------
    @contextlib.contextmanager
    def freeing_space(self):
        """Around an operation that frees space but first writes a little: give up the reserve
        when the disk is (nearly) full, and take it back afterwards if there is room."""
        if self._free_bytes() < RESERVE_BYTES:
            self._release_reserve()
        try:
            yield
        finally:
            self.ensure_reserve()

    def ensure_reserve(self) -> None:
        path = os.path.join(self.data_dir, RESERVE_FILE)
        try:
            if os.path.getsize(path) >= RESERVE_BYTES:
                return
        except OSError:
            pass
        if self._free_bytes() < 2 * RESERVE_BYTES:
            return  # leave the space to appends; the maintenance loop tries again later
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.posix_fallocate(fd, 0, RESERVE_BYTES)
            finally:
                os.close(fd)
        except OSError as e:
            log.warning("could not write the disk-full reserve %s: %s", path, e)
            with contextlib.suppress(OSError):
                os.unlink(path)

    def _release_reserve(self) -> None:
        path = os.path.join(self.data_dir, RESERVE_FILE)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            log.warning("disk nearly full: gave up the %d-byte reserve %s to free space", RESERVE_BYTES, path)

    def _free_bytes(self) -> int:
        try:
            st = os.statvfs(self.data_dir)
        except OSError:
            return 0
        return st.f_bavail * st.f_frsize

    # -- data -------------------------------------------------------------------------------
    def append(self, topic: Topic, index: int, records, now_ms: Optional[int] = None) -> _native.AppendResult:
        """The broker's own append (any number of batches, e.g. the group coordinator's) to one
        partition; wakes fetches waiting on it."""
        result = topic.partitions[index].append(records, now_ms if now_ms is not None else int(time.time() * 1000))
        self._appended(topic, index)
        return result

    async def append_async(self, topic: Topic, index: int, records, now_ms: int,
                           produce_version: int) -> _native.AppendResult:
        """Append a client's Produce request (of `produce_version`: the engine also checks the
        request's rule that a partition carries exactly one v2 batch) and wake waiting fetches.
        A large record set is appended on a worker thread: the engine releases
        the GIL while it validates and writes, so the event loop goes on receiving and sending for
        other connections meanwhile (and a write stalled by the kernel's dirty-page throttling
        stalls only this request). Small ones stay inline, where a thread hop would cost more
        than the append, unless the append rolls the segment: sealing it fsyncs its indexes and
        the producer snapshot, milliseconds to hundreds of them while the disk writes back
        (docs/bench.md, "Latency tails"), and on the loop that would stall every connection.
        (A roll by segment.ms is not foreseen here; it is at most one per segment.ms.)"""
        plog = topic.partitions[index]
        append = functools.partial(plog.append, records, now_ms, produce_version=produce_version)
        if len(records) < OFFLOAD_APPEND_BYTES and not plog.rolls_by_size(len(records)):
            result = append()
        else:
            result = await self._append_pool().run(append)
        self._appended(topic, index)
        return result

    async def try_produce_fast(self, frame, body_offset: int, version: int, correlation_id: int,
                               writable: Optional[_native.TopicSet] = None) -> Optional[_native.FastProduce]:
        """Serve a whole Produce request with the compiled fast path, or None (nothing appended)
        when it needs the Python handler (storage/produce_fast.py says which topics may). As in
        append_async, a small request is appended on the loop and a large one, or one that rolls
        a segment, on the fast path's threads. Wakes the fetches waiting on the appended
        partitions. `writable`: the topics the connection may write (None: every topic).
        Any network loop may call it (the engine, the fast path's threads and the wake-ups are
        thread-safe)."""
        now_ms = int(time.time() * 1000)
        fast = self.fast_produce.native
        inline = len(frame) < OFFLOAD_APPEND_BYTES
        outcome = fast.try_produce(frame, body_offset, version, correlation_id, now_ms, inline=True,
                                   writable=writable) if inline else None
        if inline and outcome is None:
            return None
        if outcome is None or outcome.deferred:
            outcome = await self.fast_produce.serve_off_loop(frame, body_offset, version, correlation_id, now_ms,
                                                             writable)
            if outcome is None:
                return None
        for topic, index in outcome.appended:
            self._appended(topic, index)
        return outcome

    def write_txn_marker(self, topic: Topic, index: int, producer_id: int, producer_epoch: int, commit: bool,
                         coordinator_epoch: int) -> int:
        """Append the marker (control batch) that commits or aborts `producer_id`'s transaction
        in one partition and wake waiting fetches (the last stable offset may have moved);
        returns the marker's offset. The engine raises StorageError(47/52) for a fenced producer
        or coordinator epoch."""
        plog = topic.partitions[index]
        offset = plog.write_txn_marker(producer_id, producer_epoch, commit, coordinator_epoch, int(time.time() * 1000))
        self._appended(topic, index)
        return offset

    async def write_txn_marker_async(self, topic: Topic, index: int, producer_id: int, producer_epoch: int,
                                     commit: bool, coordinator_epoch: int) -> int:
        """`write_txn_marker` on the append worker thread (a marker is small, but its fsync
        policy and any roll are the partition's; keeps the event loop free either way)."""
        write = functools.partial(topic.partitions[index].write_txn_marker, producer_id, producer_epoch, commit,
                                  coordinator_epoch, int(time.time() * 1000))
        offset = await self._append_pool().run(write)
        self._appended(topic, index)
        return offset

    def _appended(self, topic: Topic, index: int) -> None:
        """Wake the fetches waiting on this partition or on its whole topic (any thread). The
        append's sequence number is stored first: a fetch registers its wait, then compares the
        numbers (wait_for_appends), so either this sees the wait or the fetch sees the number."""
        sequence = next(_append_sequence)
        if index < len(topic.last_appends):
            topic.last_appends[index] = sequence
        topic.last_append = sequence
        waiters = topic.waiters
        if index < len(waiters) and waiters[index]:
            _wake(waiters[index])
        if topic.topic_waiters:
            _wake(topic.topic_waiters)

    async def wait_for_appends(self, waits: Sequence[tuple[Topic, Sequence[int]]], timeout: float,
                               since: Optional[int] = None) -> None:
        """Return at the next append to any of these partitions (`waits`: each topic with the
        indexes of its partitions waited on; indexes the topic lacks are left out) or their topic's
        deletion, or after `timeout` seconds: a long-polling fetch's wait. A wait on every
        partition of a topic is one registration on the topic: registering on each of a thousand
        partitions and taking it back was most of an idle long poll's CPU. (Not on most of them:
        appends to the others would wake the fetch to read again as often as they come.)
        `since`: the caller's append_mark() from before it read; an append to one of these
        partitions after it, found once the wait is registered, returns at once: the read may
        have missed it, and no wake-up would come for it."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        lists: list[list[asyncio.Future]] = []
        # (topic, the indexes waited on, or None for all of them)
        waited: list[tuple[Topic, Optional[Sequence[int]]]] = []
        for topic, indexes in waits:
            if _every_partition(topic, indexes):
                lists.append(topic.topic_waiters)
                waited.append((topic, None))
            else:
                per_partition = topic.waiters
                lists.extend(per_partition[i] for i in indexes if 0 <= i < len(per_partition))
                waited.append((topic, indexes))
        with _waiters_lock:
            for waiting in lists:
                waiting.append(fut)
        if since is not None and any(_appended_since(topic, indexes, since) for topic, indexes in waited):
            fut.set_result(None)
        # A timer that resolves the future rather than asyncio.wait_for, which wraps the wait in a
        # second future and callbacks: a share of every tailing consumer's fetch.
        timer = loop.call_later(timeout, _time_out, fut)
        try:
            await fut
        finally:
            timer.cancel()
            with _waiters_lock:
                for waiting in lists:
                    if fut in waiting:
                        waiting.remove(fut)

    @staticmethod
    def append_mark() -> int:
        """What a fetch notes before it reads, for wait_for_appends(..., since=): every append
        after this call gets a higher sequence number."""
        return next(_append_sequence)

    # -- maintenance --------------------------------------------------------------------------
    async def run_maintenance(self) -> None:
        """Time-based flush (each topic's flush.ms, checked at least once a second) and retention
        (log.retention.check.interval.ms), on a thread as Kafka's scheduler does them: fsyncs and
        the unlinking of whole segments take milliseconds to hundreds of them while the disk
        writes back, and on the event loop that time is every client's."""
        retention_check_ms: int = self.config.get("log.retention.check.interval.ms")
        producer_check_ms = self.config.get_int("producer.id.expiration.check.interval.ms")
        tick = min(self.config.flush_interval_ms, retention_check_ms, producer_check_ms, 1000) / 1000
        last_retention = last_producer_check = time.monotonic()
        while True:
            await asyncio.sleep(max(tick, 0.01))
            now = time.monotonic()
            retention = (now - last_retention) * 1000 >= retention_check_ms
            if retention:
                last_retention = now
            producers = (now - last_producer_check) * 1000 >= producer_check_ms
            if producers:
                last_producer_check = now
            try:
                await asyncio.to_thread(self._maintain, now, retention, producers)
            except (OSError, _native.StorageError) as e:
                # e.g. a topic deleted meanwhile (its logs closed) or a failing disk: next round
                log.warning("log maintenance failed: %s", _describe(e))

    def _maintain(self, now: float, retention: bool, producers: bool) -> None:
        self.flush_due(now)
        if retention:
            self.enforce_retention()
            self.ensure_reserve()
        if producers:
            self.expire_producers(int(time.time() * 1000))

    def expire_producers(self, now_ms: int) -> int:
        """Forget, in every partition, the producers idle for producer.id.expiration.ms with no
        ongoing transaction (Kafka's removeExpiredProducers); returns how many went."""
        expiration_ms = self.config.get_int("producer.id.expiration.ms")
        removed = sum(plog.expire_producers(now_ms, expiration_ms)
                      for topic in list(self.topics.values()) for plog in topic.partitions)
        if removed:
            log.info("forgot %d producer(s) idle for producer.id.expiration.ms=%d", removed, expiration_ms)
        return removed

    def flush_due(self, now: float) -> None:
        """fsync the partitions of every topic whose flush.ms has passed since its last flush."""
        for topic in list(self.topics.values()):
            flush_ms = topic.config("flush.ms", self.config)
            last = self._last_flush.setdefault(topic.name, now)
            if flush_ms < 2**62 and (now - last) * 1000 >= flush_ms:
                self._last_flush[topic.name] = now
                for plog in topic.partitions:
                    if plog.unflushed_messages:
                        plog.flush()

    def flush_all(self, only_dirty: bool = False) -> None:
        for topic in list(self.topics.values()):
            for plog in topic.partitions:
                if not only_dirty or plog.unflushed_messages:
                    plog.flush()

    def enforce_retention(self) -> int:
        deleted = 0
        now_ms = int(time.time() * 1000)
        for topic in list(self.topics.values()):
            if "delete" not in topic.config("cleanup.policy", self.config):
                continue
            retention_ms = topic.config("retention.ms", self.config)
            retention_bytes = topic.config("retention.bytes", self.config)
            if retention_ms < 0 and retention_bytes < 0:
                continue
            for plog in topic.partitions:
                deleted += plog.enforce_retention(now_ms, retention_ms, retention_bytes)
        if deleted:
            log.info("retention deleted %d segments", deleted)
        return deleted

    # -- internals ----------------------------------------------------------------------------
    def _open_partitions(self, topic: Topic) -> None:
        settings = log_settings(self.config, topic.configs)
        for index in range(len(topic.partitions), topic.partition_count):
            path = os.path.join(self.data_dir, f"{topic.name}-{index}")
            plog = _native.PartitionLog(path, settings)
            _log_recovery(f"{topic.name}-{index}", plog.recovery_events)
            topic.partitions.append(plog)
            topic.waiters.append([])
            topic.last_appends.append(0)

    def _index(self, topic: Topic) -> None:
        self.topics[topic.name] = topic
        self.by_id[topic.topic_id] = topic
        self.fast_produce.sync(topic)

    def _unindex(self, topic: Topic) -> None:
        if self.topics.get(topic.name) is topic:
            self.fast_produce.remove(topic)
        self.topics.pop(topic.name, None)
        self.by_id.pop(topic.topic_id, None)

    def _read_catalogue(self) -> dict:
        path = os.path.join(self.data_dir, CATALOGUE)
        if not os.path.exists(path):
            return {}
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def _write_catalogue(self) -> None:
        catalogue = {
            t.name: {"topic_id": t.topic_id.hex(), "partitions": t.partition_count,
                     "configs": t.configs, "internal": t.internal}
            for t in self.topics.values()
        }
        # No indent: with one, json.dumps takes its pure-Python encoder; a 1,000-topic catalogue,
        # rewritten for each new topic, took ~7 ms instead of ~2 (`python3 -m json.tool` shows
        # the file indented).
        atomic_write(os.path.join(self.data_dir, CATALOGUE), json.dumps(catalogue, sort_keys=True))

    def _remove_orphans(self) -> None:
        expected = {f"{t.name}-{i}" for t in self.topics.values() for i in range(t.partition_count)}
        for entry in os.listdir(self.data_dir):
            full = os.path.join(self.data_dir, entry)
            if os.path.isdir(full) and re.match(r"^.+-\d+$", entry) and entry not in expected:
                log.warning("removing %s: no topic in the catalogue owns it (interrupted deletion)", full)
                shutil.rmtree(full, ignore_errors=True)

    def _load_meta(self) -> str:
        path = os.path.join(self.data_dir, "meta.properties")
        values: dict[str, str] = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                values = parse_properties(f.read())
        cluster_id = values.get("cluster.id") or self.config.get_str("cluster.id") or \
            base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not values:
            atomic_write(path, f"version=1\ncluster.id={cluster_id}\nnode.id={self.config.node_id}\n")
        return cluster_id


_LEVELS = {"INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR}


def _log_recovery(partition: str, events: list[tuple[str, str]]) -> None:
    """Log what opening a partition truncated, rebuilt or found damaged (the engine says what,
    with segment file, offset and byte position; docs/storage-format.md, "Recovery")."""
    for level, message in events:
        log.log(_LEVELS.get(level, logging.ERROR), "partition %s: %s", partition, message)


def _describe(e: Exception) -> str:
    if isinstance(e, OSError):
        return f"{e.strerror or e} ({errno.errorcode.get(e.errno or 0, e.errno)})"
    return str(e)


def log_settings(config: Config, topic_configs: dict[str, str], **replaced) -> _native.LogSettings:
    """A topic's PartitionLog settings from the config table (some `replaced`, for tests)."""
    return _native.LogSettings(**{**log_options(config, topic_configs), **replaced})


def log_options(config: Config, topic_configs: dict[str, str]) -> dict:
    """LogSettings' keyword arguments for a topic: every one given, from the config table."""
    def value(key: str):
        return config.topic_value(key, topic_configs)

    codec = CODEC_IDS[value("compression.type")]
    return dict(
        segment_bytes=value("segment.bytes"),
        index_interval_bytes=value("index.interval.bytes"),
        max_message_bytes=value("max.message.bytes"),
        max_decompressed_message_bytes=value("max.decompressed.message.bytes"),
        flush_interval_messages=value("flush.messages"),
        log_append_time=value("message.timestamp.type") == "LogAppendTime",
        timestamp_before_max_ms=value("message.timestamp.before.max.ms"),
        timestamp_after_max_ms=value("message.timestamp.after.max.ms"),
        segment_ms=value("segment.ms"),
        segment_jitter_ms=value("segment.jitter.ms"),
        compression_codec=codec,
        compression_level=value(CODEC_LEVEL_KEYS[codec]) if codec in CODEC_LEVEL_KEYS else 0,
    )


def _time_out(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


# Append sequence numbers (Topic.last_appends): next() is atomic under the GIL, from any thread.
_append_sequence = itertools.count(1)


def _every_partition(topic: Topic, indexes: Sequence[int]) -> bool:
    count = len(topic.waiters)
    return len(indexes) >= count and _native.covers_every_partition(indexes, count)


def _appended_since(topic: Topic, indexes: Optional[Sequence[int]], since: int) -> bool:
    """Whether one of these partitions (None: all of them) had an append after `since`."""
    if topic.last_append <= since:
        return False
    last = topic.last_appends
    return indexes is None or any(0 <= i < len(last) and last[i] > since for i in indexes)


# Guards every Topic.waiters list: fetches wait on any network loop (server/network_loops.py)
# and appends on any of them wake them.
_waiters_lock = threading.Lock()


def _wake(waiting: list[asyncio.Future]) -> None:
    """Wake these waiting fetches, each on its own loop, from whichever thread appended."""
    with _waiters_lock:
        woken = waiting[:]
        waiting.clear()
    for fut in woken:
        call_in_loop(fut.get_loop(), _time_out, fut)
