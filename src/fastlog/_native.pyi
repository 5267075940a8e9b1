"""Type stubs of `fastlog._native`, the Rust storage engine (rust/fastlog-py over rust/fastlog-core).

On-disk format: docs/storage-format.md. Every call that touches files, checksums or decompression
releases the GIL; a PartitionLog may be shared by threads (it has an internal lock).
"""
from collections.abc import Iterable, Sequence
from typing import Any, final

from typing_extensions import Buffer, Self, disjoint_base

__all__ = [
    "StorageError", "crc32c", "send_pieces", "decode_fetch", "fetch_decoded", "session_changes", "SessionPartition",
    "covers_every_partition", "FullFetch",
    "validate_records", "decompress", "build_batch", "FileSlice",
    "AppendResult", "LogSettings", "PartitionLog", "ProducerState", "Record", "RecordIterator", "verify_partition",
    "keyless_records", "Cleanable", "CleanStats", "ProduceFastPath", "FastProduce", "TopicSet",
]

@final
class StorageError(Exception):
    """A storage failure; `code` is the Kafka error code to put in the response
    (-1 UNKNOWN_SERVER_ERROR (an unknown codec id, or a payload its codec cannot read, as Kafka),
    1 OFFSET_OUT_OF_RANGE, 2 CORRUPT_MESSAGE (also: a read reached damaged bytes in the log),
    10 MESSAGE_TOO_LARGE, 32 INVALID_TIMESTAMP, 45 OUT_OF_ORDER_SEQUENCE_NUMBER, 47 INVALID_PRODUCER_EPOCH,
    48 INVALID_TXN_STATE, 52 TRANSACTION_COORDINATOR_FENCED, 56 KAFKA_STORAGE_ERROR,
    87 INVALID_RECORD). `record_errors`: Kafka's per-record errors (batch index, why) for
    INVALID_TIMESTAMP, which a Produce answer carries with `message`; empty otherwise.
    `str()` is "[code] message"."""

    def __new__(cls, code: int, message: str, record_errors: list[tuple[int, str]] = ..., /) -> Self: ...
    @property
    def code(self) -> int: ...
    @property
    def message(self) -> str: ...
    @property
    def record_errors(self) -> list[tuple[int, str]]: ...

def crc32c(data: Buffer, value: int = 0) -> int:
    """CRC-32C (Castagnoli) of `data`, continuing from `value` (crc32c(b, crc32c(a)) == crc32c(a + b))."""

def send_pieces(sock_fd: int, pieces: list[Buffer | FileSlice], done: int) -> int:
    """Write a response's pieces (bytes-like and FileSlices) to a non-blocking socket, resuming
    `done` bytes in; returns the bytes written in all, fewer than the total when the socket is
    full (EAGAIN: wait for writable, call again). EOFError when a file is shorter than its region."""

@final
class FullFetch:
    """A full, sessionless Fetch request decoded by `decode_fetch` (handlers/fetch.py)."""
    max_wait_ms: int
    min_bytes: int
    max_bytes: int
    isolation_level: int
    session_id: int
    def topic_keys(self) -> list[str | bytes]:
        """The topics asked, in order: names, or 16-byte ids from v13."""
    def partitions(self, topic: int) -> list[int]:
        """The partition indexes asked of the `topic`th topic."""

def decode_fetch(frame: Buffer, offset: int, version: int) -> FullFetch | None:
    """The Fetch request body at `frame[offset:]` when it is a full sessionless fetch (session
    epoch -1, or before v7) with every topic asked once in a row and with partitions; None for
    anything else, malformed requests included (the codec decodes those)."""

def fetch_decoded(
    correlation_id: int, version: int, max_bytes: int, committed: bool, request: FullFetch,
    logs: list[list[PartitionLog]],
) -> tuple[list[bytes | FileSlice], int] | None:
    """A FullFetch's answer: (the response frame's pieces, the bytes of records in it), or None to
    leave the request to the Python path (a partition the topic lacks, a storage error). `logs`:
    each asked topic's PartitionLogs, in the order of `topic_keys()`; `max_bytes` capped by
    fetch.max.bytes; `committed`: isolation_level read_committed."""

@disjoint_base
class SessionPartition:
    """One partition of a fetch session, its fields stored natively for `session_changes`
    (fetch_sessions.CachedPartition subclasses it with the session's rules)."""
    @property
    def topic(self) -> Any: ...
    @property
    def index(self) -> int: ...
    fetch_offset: int
    max_bytes: int
    high_watermark: int
    log_start_offset: int
    last_stable_offset: int

    def __new__(cls, topic: Any, index: int, fetch_offset: int, max_bytes: int, high_watermark: int = ...,
                log_start_offset: int = ..., last_stable_offset: int = ...) -> Self:
        """high_watermark, log_start_offset and last_stable_offset default to -1."""

def session_changes(cached: list[Any], logs: dict[Any, list[PartitionLog] | None]) -> list[int]:
    """The indexes into `cached` (a fetch session's SessionPartitions, in order) of the partitions
    an incremental Fetch must read: all but those asked from the log end whose log end, last
    stable and log start offsets are those last answered (reading them sends and changes
    nothing), plus any whose topic `logs` maps to None, whose index the topic lacks, or whose log
    fails. `logs`: each topic key of the session -> its PartitionLogs, or None."""

def covers_every_partition(indexes: Iterable[int], count: int) -> bool:
    """Whether `indexes` name every partition 0..count-1 of a topic (others and repeats allowed)."""

def validate_records(
    records: Buffer, now_ms: int, *, max_message_bytes: int, log_append_time: bool,
    produce_version: int | None = None,
) -> int:
    """Validate a record set as PartitionLog.append would, without appending; returns the record count."""

def decompress(data: Buffer, codec: int) -> bytes:
    """Decompress a batch payload (bytes after the 61-byte header); codec 0 none .. 4 zstd."""

def keyless_records(records: Buffer) -> list[int]:
    """Index within its batch of each record without a key in a produce record set (a compacted
    topic refuses them); a malformed batch ends the scan (the append reports it)."""

def build_batch(
    records: Sequence[tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes | None]], int]],
    *,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    transactional: bool = False,
    control: bool = False,
    compression: int = 0,
) -> bytes:
    """One record batch v2 (base offset 0: the log assigns offsets) of (key, value, headers,
    timestamp) records, ready for PartitionLog.append. compression: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
    StorageError(87) for no records."""

def verify_partition(path: str) -> list[tuple[str, str]]:
    """Check a partition directory without changing it (`fastlog verify`): every batch's framing
    and CRC, dense offsets inside and across segments, both indexes. Returns (level, message)
    pairs, level "WARN" (start repairs it, e.g. an index) or "ERROR" (damage, missing offsets);
    the last pair is an "INFO" summary."""

@final
class Record:
    """A record read back from a partition, with the fields of the batch that holds it."""

    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int:
        """The record's timestamp (the append time for a LogAppendTime batch)."""
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> list[tuple[str, bytes | None]]: ...
    @property
    def producer_id(self) -> int: ...
    @property
    def producer_epoch(self) -> int: ...
    @property
    def is_transactional(self) -> bool: ...
    @property
    def is_control(self) -> bool:
        """A control record (transaction marker) rather than data."""

@final
class RecordIterator:
    """The records of a partition from an offset up to the log end as it was when made; reads
    and decompresses batch by batch (GIL released), checking each batch's CRC; a damaged batch
    raises StorageError(56)."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> Record: ...

@final
class FileSlice:
    """A region of a segment file, sent with sendfile. Keeps the file open while it lives, so
    retention deleting the segment cannot invalidate an in-flight send."""

    @property
    def fd(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def length(self) -> int: ...
    def tobytes(self) -> bytes:
        """The region's bytes (tests, TLS and other paths without sendfile)."""

@final
class AppendResult:
    @property
    def base_offset(self) -> int: ...
    @property
    def last_offset(self) -> int: ...
    @property
    def log_append_time(self) -> int:
        """The append time for LogAppendTime topics, else -1."""
    @property
    def log_start_offset(self) -> int: ...
    @property
    def record_count(self) -> int: ...
    @property
    def duplicate(self) -> bool:
        """True: an idempotent retry already in the log; the offsets are the original ones."""

@final
class ProducerState:
    """One producer of a partition, as DescribeProducers shows it."""

    @property
    def producer_id(self) -> int: ...
    @property
    def producer_epoch(self) -> int: ...
    @property
    def last_sequence(self) -> int:
        """-1 when no batch of the current epoch is remembered (e.g. only a marker since)."""
    @property
    def last_timestamp(self) -> int: ...
    @property
    def coordinator_epoch(self) -> int:
        """Epoch of the coordinator that wrote the producer's last marker, -1 if none."""
    @property
    def current_txn_start_offset(self) -> int:
        """First offset of the producer's ongoing transaction here, -1 if none."""

@final
class Cleanable:
    """How much of a log the cleaner may clean now (PartitionLog.cleanable)."""
    @property
    def first_dirty(self) -> int:
        """The checkpoint, or the log start when the checkpoint is outside the log."""
    @property
    def first_uncleanable(self) -> int:
        """The active segment's base, or that of the first segment younger than
        min.compaction.lag.ms or damaged."""
    @property
    def clean_bytes(self) -> int: ...
    @property
    def dirty_bytes(self) -> int: ...
    @property
    def first_dirty_timestamp(self) -> int:
        """Max timestamp of the first dirty batch (-1: none), for max.compaction.lag.ms."""

@final
class CleanStats:
    """What one cleaner pass did; `end` is the new cleaner checkpoint."""
    @property
    def first_dirty(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def segments_read(self) -> int: ...
    @property
    def segments_written(self) -> int: ...
    @property
    def bytes_read(self) -> int: ...
    @property
    def bytes_written(self) -> int: ...
    @property
    def records_read(self) -> int: ...
    @property
    def records_removed(self) -> int: ...
    @property
    def tombstones_removed(self) -> int: ...
    @property
    def aborted_removed(self) -> int: ...
    @property
    def markers_removed(self) -> int: ...
    @property
    def keys(self) -> int: ...
    @property
    def batches_rewritten(self) -> int: ...
    @property
    def duration_ms(self) -> int: ...

@final
class LogSettings:
    """A partition's settings, checked once (ValueError on a negative size or an unknown codec)."""

    def __new__(
        cls,
        *,
        segment_bytes: int,
        index_interval_bytes: int,
        max_message_bytes: int,
        max_decompressed_message_bytes: int,
        flush_interval_messages: int,
        log_append_time: bool,
        timestamp_before_max_ms: int,
        timestamp_after_max_ms: int,
        segment_ms: int,
        segment_jitter_ms: int,
        compression_codec: int,
        compression_level: int,
    ) -> Self:
        """Every setting is given (no defaults here): fastlog.storage.log_manager.log_settings
        reads them from the config table. compression_codec: -1 keeps batches as sent
        (compression.type=producer), else 0-4 recompresses others to that codec at that level.
        max_decompressed_message_bytes: the largest record a compressed batch may hold
        (INVALID_RECORD beyond it), checked where a Produce is validated."""

@final
class PartitionLog:
    """One partition directory: segments `<base>.log/.index/.timeindex`, recovered on open."""

    def __new__(cls, path: str, settings: LogSettings) -> Self: ...
    def configure(self, settings: LogSettings) -> None:
        """New settings for the open log (a live topic's configs changed); from the next append."""
    def append(self, records: Buffer, now_ms: int, *, produce_version: int | None = None) -> AppendResult:
        """Validate a record set (v2 batches), assign offsets and append it, all or nothing.
        With `produce_version` it is a client's Produce request of that version and must be
        exactly one whole batch of magic 2 (else StorageError(87)); without, the broker's own
        append (any number of batches)."""
    def read(self, offset: int, max_bytes: int) -> FileSlice:
        """Region from the batch holding `offset`, up to max_bytes within one segment but at least
        that whole batch, never past damage; empty at the log end; StorageError(1) outside
        [log start, log end]; StorageError(2) when `offset` lies in a damaged part of a segment."""
    def read_committed(self, offset: int, max_bytes: int) -> tuple[FileSlice, int, list[tuple[int, int]]]:
        """`read` for isolation_level=1: (whole batches below the last stable offset only, empty
        at or past it; the last stable offset; (producer id, first offset) of the aborted
        transactions overlapping the returned range, from the `.txnindex` files)."""
    def write_txn_marker(self, producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int,
                         now_ms: int) -> int:
        """Append the control batch that commits or aborts the producer's transaction here;
        returns its offset. StorageError(47) for an older producer epoch, (52) for an older
        coordinator epoch than the producer's last marker."""
    def fetch_uncommitted(self, offset: int, max_bytes: int | None) -> tuple[FileSlice | None, int, int, int]:
        """One partition of a read_uncommitted Fetch answer in one call: (`read(offset,
        max_bytes)`, or None when max_bytes is None or `offset` is the log end; the log end
        offset; the last stable offset; the log start offset)."""
    def last_stable_offset(self) -> int:
        """First offset of the oldest ongoing transaction (at least the log start), else the
        log end offset."""
    def aborted_transactions(self, fetch_offset: int, upper_offset: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of the aborted transactions overlapping
        [fetch_offset, upper_offset), from the `.txnindex` files."""
    def expire_producers(self, now_ms: int, expiration_ms: int) -> int:
        """Forget the producers idle for `expiration_ms` (producer.id.expiration.ms) that have no
        ongoing transaction; returns how many went."""
    def producer_states(self) -> list[ProducerState]:
        """Every producer of the partition, by producer id."""
    def records(self, offset: int) -> RecordIterator:
        """The records from `offset` to the current log end; StorageError(1) outside
        [log start, log end]."""
    @property
    def log_start_offset(self) -> int: ...
    @property
    def log_end_offset(self) -> int: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def active_segment_bytes(self) -> int:
        """Bytes in the active segment (an append past segment.bytes rolls it)."""
    def rolls_by_size(self, size: int) -> bool:
        """Whether appending `size` bytes fills the active segment past segment.bytes (the
        engine's size rule for a roll; a recompressed batch may differ a little in size)."""
    @property
    def unflushed_messages(self) -> int: ...
    @property
    def recovery_events(self) -> list[tuple[str, str]]:
        """What opening the directory truncated, rebuilt or found damaged: (level, message)
        pairs, level "INFO", "WARN" or "ERROR" (docs/storage-format.md, "Recovery")."""
    @property
    def recovery_point(self) -> int:
        """Offset below which every batch was fsynced (the `recovery-point` file)."""
    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record with timestamp >= `timestamp`, or None."""
    def max_timestamp(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the record with the largest timestamp, or None if empty."""
    def delete_records_before(self, offset: int) -> int:
        """Raise the log start offset (DeleteRecords); returns the new log start offset."""
    def enforce_retention(self, now_ms: int, retention_ms: int, retention_bytes: int) -> int:
        """Delete the oldest segments past retention (-1: unlimited), by largest timestamp / total
        size; as in Kafka the active segment goes too (after rolling an empty one). Returns how many."""
    def cleanable(self, checkpoint: int, now_ms: int, min_compaction_lag_ms: int) -> Cleanable:
        """The clean and dirty parts of the log for a cleaner checkpoint."""
    def clean(
        self,
        *,
        checkpoint: int,
        now_ms: int,
        min_compaction_lag_ms: int,
        delete_retention_ms: int,
        segment_bytes: int,
        max_map_entries: int,
        io_max_bytes_per_second: float,
    ) -> CleanStats | None:
        """One cleaner pass (docs/storage-format.md, "Log cleaner"); None when nothing is dirty or
        the log changed under the pass (it is then discarded). The log is locked only to plan and
        to swap the cleaned segments in."""
    def flush(self) -> None: ...
    def close(self) -> None:
        """Flush, write the clean-shutdown marker and release the files."""
    def delete(self) -> None:
        """Close and remove the partition directory."""

@final
class FastProduce:
    """What ProduceFastPath.try_produce did with a request."""
    @property
    def deferred(self) -> bool:
        """Nothing was appended: the request may block (it rolls a segment); call again off the
        event loop with inline=False."""
    @property
    def response(self) -> bytes | None:
        """The whole response frame, size prefix included; None for acks=0."""
    @property
    def throttle_time_at(self) -> int | None:
        """Where in `response` its throttle_time_ms (int32, written 0) is, for a client quota's
        throttle time; None without a response."""
    @property
    def failed(self) -> bool:
        """Some partition was answered with an error."""
    @property
    def appended(self) -> list[tuple[Any, int]]:
        """(registered owner, partition index) of each append done."""

@final
class TopicSet:
    """Names of the topics a principal may write (the Produce fast path leaves others to Python)."""
    def __new__(cls, names: list[str]) -> Self: ...
    def __len__(self) -> int: ...
    def __contains__(self, name: str, /) -> bool: ...

@final
class ProduceFastPath:
    """The Produce fast path (storage/produce_fast.py keeps its topics current)."""
    def __new__(cls) -> Self: ...
    def set_topic(self, owner: Any, name: str, topic_id: bytes, partitions: list[PartitionLog], *,
                  compacted: bool) -> None:
        """`compacted`: cleanup.policy has "compact" (requests with a keyless record go to Python)."""
    def remove_topic(self, name: str) -> None: ...
    def topics(self) -> list[str]: ...
    def try_produce(self, frame: Buffer, body_offset: int, version: int, correlation_id: int, now_ms: int, *,
                    inline: bool, writable: TopicSet | None = None) -> FastProduce | None:
        """Serve one Produce request (frame without its size prefix), or None, having appended
        nothing, when it needs the Python handler (also when it names a topic not in `writable`)."""
    def submit(self, token: int, frame: Buffer, body_offset: int, version: int, correlation_id: int,
               now_ms: int, *, writable: TopicSet | None = None) -> None:
        """try_produce(..., inline=False) on the fast path's own threads (no GIL); the answer comes
        back from take_completed under `token`. The frame stays exported until then."""
    def completion_fd(self) -> int:
        """Turns readable when submitted requests have been served."""
    def take_completed(self) -> list[tuple[int, FastProduce | None]]:
        """(token, what try_produce would have returned) of each request served since the last call."""
    def set_threads(self, count: int) -> None:
        """Run `count` threads (at least one); retiring ones finish the queued requests first."""
    def shutdown(self) -> None:
        """Serve what is queued, then stop the threads (final)."""
