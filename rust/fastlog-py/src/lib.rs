//! `fastlog._native`: thin PyO3 binding of fastlog-core. Every call that touches files, checksums
//! or decompression runs with the GIL released; a PartitionLog is guarded by a Mutex so that two
//! Python threads may share it. Engine errors become `StorageError`, an exception class defined
//! here (code + message), raised lazily from `storage_error`.
use std::sync::{LazyLock, Mutex, MutexGuard};

use fastlog_core::cleaner::{self, CleanOptions, Throttle};

use fastlog_core::batch::{AppendOrigin, ValidationConfig};
use fastlog_core::recompress::Compression;
use fastlog_core::record::{BatchOptions, LogRecord, LogRecords, Record as CoreRecord, TxnMarker};
use fastlog_core::{self as core, LogConfig};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyEOFError, PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyList, PyType};

mod fetch_fast;
mod produce_fast;
mod wire;

/// Inputs at least this big are checksummed with the GIL released.
const CRC_RELEASE_GIL_BYTES: usize = 64 * 1024;

/// A storage failure; `code` is the Kafka error code to put in the response.
#[pyclass(extends = PyException, module = "fastlog._native", name = "StorageError", frozen)]
struct StorageError {
    #[pyo3(get)]
    code: i16,
    #[pyo3(get)]
    message: String,
    /// Kafka's per-record errors (batch index, why) of a refused Produce; empty for most codes.
    #[pyo3(get)]
    record_errors: Vec<(i32, String)>,
}

#[pymethods]
impl StorageError {
    #[new]
    #[pyo3(signature = (code, message, record_errors = Vec::new(), /))]
    fn new(code: i16, message: String, record_errors: Vec<(i32, String)>) -> Self {
        StorageError { code, message, record_errors }
    }
    fn __str__(&self) -> String {
        format!("[{}] {}", self.code, self.message)
    }
    fn __repr__(&self) -> String {
        format!("StorageError({}, {:?})", self.code, self.message)
    }
    /// Pickling and copy rebuild the exception from its code, message and record errors.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (i16, String, Vec<(i32, String)>))> {
        let me = slf.get();
        Ok((slf.get_type(), (me.code, me.message.clone(), me.record_errors.clone())))
    }
}

fn storage_error(e: core::StorageError) -> PyErr {
    if e.record_errors.is_empty() {
        PyErr::new::<StorageError, _>((e.code, e.message)) // args stay (code, message)
    } else {
        PyErr::new::<StorageError, _>((e.code, e.message, e.record_errors))
    }
}

/// A contiguous byte view of a Python buffer that may cross a GIL release.
struct Bytes<'a>(&'a [u8]);

fn view(buf: &PyBuffer<u8>) -> PyResult<Bytes<'_>> {
    if !buf.is_c_contiguous() {
        return Err(PyValueError::new_err("buffer must be C-contiguous"));
    }
    // SAFETY: the PyBuffer holds the exporter's buffer (export lock) for as long as the borrow.
    let s = unsafe { std::slice::from_raw_parts(buf.buf_ptr() as *const u8, buf.len_bytes()) };
    Ok(Bytes(s))
}

#[pyfunction]
#[pyo3(signature = (data, value = 0))]
fn crc32c(py: Python<'_>, data: PyBuffer<u8>, value: u32) -> PyResult<u32> {
    let b = view(&data)?;
    if b.0.len() >= CRC_RELEASE_GIL_BYTES {
        Ok(py.detach(|| core::crc::crc32c_append(value, b.0)))
    } else {
        Ok(core::crc::crc32c_append(value, b.0))
    }
}

/// Write a response's pieces (bytes-like objects and FileSlices) to a non-blocking socket,
/// resuming `done` bytes in; returns the bytes written in all, fewer than the total when the
/// socket is full (fastlog-core's send_pieces). The GIL is released while sending.
#[pyfunction]
fn send_pieces(py: Python<'_>, sock_fd: i32, pieces: Vec<Bound<'_, PyAny>>, done: u64) -> PyResult<u64> {
    let mut buffers = Vec::with_capacity(pieces.len());
    let mut files = Vec::with_capacity(pieces.len());
    for piece in &pieces {
        if let Ok(slice) = piece.downcast::<FileSlice>() {
            files.push(Some(slice.get().inner.clone()));
        } else {
            buffers.push(PyBuffer::<u8>::get(piece)?);
            files.push(None);
        }
    }
    let mut views = Vec::with_capacity(buffers.len());
    for buf in &buffers {
        views.push(view(buf)?);
    }
    let mut mem = views.iter();
    let parts: Vec<core::sendfile::Piece> = files
        .iter()
        .map(|f| match f {
            Some(s) => core::sendfile::Piece::File { fd: s.fd(), position: s.position, length: s.length },
            None => core::sendfile::Piece::Mem(mem.next().expect("one view per buffer").0),
        })
        .collect();
    match py.detach(|| core::sendfile::send_pieces(sock_fd, &parts, done)) {
        Ok(n) => Ok(n),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(PyEOFError::new_err(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// A Produce request's version makes the append a client's (held to the one-batch rule).
pub(crate) fn origin(produce_version: Option<i16>) -> AppendOrigin {
    match produce_version {
        Some(v) => AppendOrigin::Client { produce_version: v },
        None => AppendOrigin::Coordinator,
    }
}

/// Validate a record set as append() would, without appending; returns the record count.
/// Settings have no defaults here: Python passes them from its config table (fastlog.config).
#[pyfunction]
#[pyo3(signature = (records, now_ms, *, max_message_bytes, log_append_time, produce_version = None))]
fn validate_records(
    py: Python<'_>,
    records: PyBuffer<u8>,
    now_ms: i64,
    max_message_bytes: i64,
    log_append_time: bool,
    produce_version: Option<i16>,
) -> PyResult<i64> {
    let b = view(&records)?;
    let cfg = ValidationConfig { max_message_bytes, log_append_time, ..ValidationConfig::default() };
    let r = py.detach(|| core::batch::validate_record_set(b.0, &cfg, now_ms, origin(produce_version)));
    r.map(|v| v.iter().map(|b| b.record_count()).sum()).map_err(storage_error)
}

/// Decompress a batch payload (the bytes after the 61-byte header) of codec 0..4.
/// Index within its batch of each record without a key (a compacted topic refuses them).
#[pyfunction]
fn keyless_records(py: Python<'_>, records: PyBuffer<u8>) -> PyResult<Vec<i32>> {
    let b = view(&records)?;
    Ok(py.detach(|| cleaner::keyless_records(b.0)))
}

#[pyfunction]
fn decompress<'py>(py: Python<'py>, data: PyBuffer<u8>, codec: u8) -> PyResult<Bound<'py, PyBytes>> {
    let b = view(&data)?;
    let r = py.detach(|| core::batch::decompress(b.0, codec)).map_err(storage_error)?;
    Ok(PyBytes::new(py, &r))
}

/// A region of a segment file; keeps the file open while the object lives.
#[pyclass(module = "fastlog._native", frozen)]
struct FileSlice {
    inner: core::FileSlice,
}

#[pymethods]
impl FileSlice {
    #[getter]
    fn fd(&self) -> i32 {
        self.inner.fd()
    }
    #[getter]
    fn position(&self) -> u64 {
        self.inner.position
    }
    #[getter]
    fn length(&self) -> u64 {
        self.inner.length
    }
    /// The region's bytes (for tests, TLS connections and other non-sendfile paths).
    fn tobytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let v = py.detach(|| self.inner.to_vec())?;
        Ok(PyBytes::new(py, &v))
    }
    fn __repr__(&self) -> String {
        format!("FileSlice(fd={}, position={}, length={})", self.inner.fd(), self.inner.position, self.inner.length)
    }
}

#[pyclass(module = "fastlog._native", frozen, get_all)]
struct AppendResult {
    base_offset: i64,
    last_offset: i64,
    log_append_time: i64,
    log_start_offset: i64,
    record_count: i64,
    duplicate: bool,
}

#[pymethods]
impl AppendResult {
    fn __repr__(&self) -> String {
        format!(
            "AppendResult(base_offset={}, last_offset={}, log_append_time={}, log_start_offset={}, record_count={}, duplicate={})",
            self.base_offset,
            self.last_offset,
            self.log_append_time,
            self.log_start_offset,
            self.record_count,
            if self.duplicate { "True" } else { "False" }
        )
    }
}

/// One producer of a partition, as DescribeProducers shows it.
#[pyclass(module = "fastlog._native", frozen, get_all)]
struct ProducerState {
    producer_id: i64,
    producer_epoch: i16,
    last_sequence: i32,
    last_timestamp: i64,
    coordinator_epoch: i32,
    current_txn_start_offset: i64,
}

#[pymethods]
impl ProducerState {
    fn __repr__(&self) -> String {
        format!(
            "ProducerState(producer_id={}, producer_epoch={}, last_sequence={}, last_timestamp={}, coordinator_epoch={}, current_txn_start_offset={})",
            self.producer_id, self.producer_epoch, self.last_sequence, self.last_timestamp, self.coordinator_epoch, self.current_txn_start_offset
        )
    }
}

/// What `PartitionLog.cleanable` found (fastlog_core::cleaner::Cleanable).
#[pyclass(module = "fastlog._native", frozen, get_all)]
struct Cleanable {
    first_dirty: i64,
    first_uncleanable: i64,
    clean_bytes: u64,
    dirty_bytes: u64,
    first_dirty_timestamp: i64,
}

/// What one cleaner pass did (fastlog_core::cleaner::CleanStats).
#[pyclass(module = "fastlog._native", frozen, get_all)]
struct CleanStats {
    first_dirty: i64,
    end: i64,
    segments_read: u64,
    segments_written: u64,
    bytes_read: u64,
    bytes_written: u64,
    records_read: u64,
    records_removed: u64,
    tombstones_removed: u64,
    aborted_removed: u64,
    markers_removed: u64,
    keys: u64,
    batches_rewritten: u64,
    duration_ms: u64,
}

/// One I/O budget for every cleaner thread (log.cleaner.io.max.bytes.per.second).
static CLEANER_THROTTLE: LazyLock<Throttle> = LazyLock::new(Throttle::default);

/// One partition's log directory.
#[pyclass(module = "fastlog._native", frozen)]
struct PartitionLog {
    inner: Mutex<Option<core::PartitionLog>>,
    path: std::path::PathBuf,
}

impl PartitionLog {
    fn lock(&self) -> MutexGuard<'_, Option<core::PartitionLog>> {
        // A panic inside the engine must not make the partition unusable forever.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run `f` on the open log (the caller has released the GIL).
    fn run<T>(&self, f: impl FnOnce(&mut core::PartitionLog) -> core::Result<T>) -> core::Result<T> {
        match self.lock().as_mut() {
            Some(log) => f(log),
            None => Err(core::StorageError::new(core::code::KAFKA_STORAGE_ERROR, "partition log is closed")),
        }
    }

    /// Run `f` on the open log with the GIL released.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut core::PartitionLog) -> core::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| self.run(f)).map_err(storage_error)
    }
}

fn non_negative(name: &str, v: i64) -> PyResult<u64> {
    if v < 0 {
        return Err(PyValueError::new_err(format!("{name} must be >= 0")));
    }
    Ok(v as u64)
}

/// A partition's settings, checked once here and then handed to `PartitionLog` (at open and
/// on a live config change). compression_codec -1 = `producer` (batches kept as sent).
#[pyclass(module = "fastlog._native", frozen)]
struct LogSettings {
    config: LogConfig,
}

#[pymethods]
impl LogSettings {
    /// Settings have no defaults here: Python passes every one from its config table
    /// (fastlog.config, via fastlog.storage.log_manager.log_settings).
    #[new]
    #[pyo3(signature = (
        *, segment_bytes, index_interval_bytes, max_message_bytes, max_decompressed_message_bytes,
        flush_interval_messages, log_append_time, timestamp_before_max_ms, timestamp_after_max_ms, segment_ms,
        segment_jitter_ms, compression_codec, compression_level
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        segment_bytes: i64,
        index_interval_bytes: i64,
        max_message_bytes: i64,
        max_decompressed_message_bytes: i64,
        flush_interval_messages: i64,
        log_append_time: bool,
        timestamp_before_max_ms: i64,
        timestamp_after_max_ms: i64,
        segment_ms: i64,
        segment_jitter_ms: i64,
        compression_codec: i32,
        compression_level: i32,
    ) -> PyResult<Self> {
        let compression = match compression_codec {
            -1 => None,
            0..=4 => Some(Compression { codec: compression_codec as u8, level: compression_level }),
            _ => return Err(PyValueError::new_err(format!("unknown compression codec id {compression_codec}"))),
        };
        let config = LogConfig {
            segment_bytes: non_negative("segment_bytes", segment_bytes)?.max(1),
            index_interval_bytes: non_negative("index_interval_bytes", index_interval_bytes)?,
            flush_interval_messages: non_negative("flush_interval_messages", flush_interval_messages)?.max(1),
            validation: ValidationConfig {
                max_message_bytes,
                max_decompressed_record_bytes: non_negative(
                    "max_decompressed_message_bytes",
                    max_decompressed_message_bytes,
                )? as i64,
                log_append_time,
                timestamp_before_max_ms: non_negative("timestamp_before_max_ms", timestamp_before_max_ms)? as i64,
                timestamp_after_max_ms: non_negative("timestamp_after_max_ms", timestamp_after_max_ms)? as i64,
            },
            segment_ms: non_negative("segment_ms", segment_ms)?.max(1) as i64,
            segment_jitter_ms: non_negative("segment_jitter_ms", segment_jitter_ms)? as i64,
            compression,
        };
        Ok(LogSettings { config })
    }

    fn __repr__(&self) -> String {
        format!("LogSettings({:?})", self.config)
    }
}

#[pymethods]
impl PartitionLog {
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf, settings: PyRef<'_, LogSettings>) -> PyResult<Self> {
        let cfg = settings.config.clone();
        let log = py.detach(|| core::PartitionLog::open(&path, cfg)).map_err(storage_error)?;
        Ok(PartitionLog { inner: Mutex::new(Some(log)), path })
    }

    /// New settings for the open log (a topic config altered on a live topic); they apply from
    /// the next append.
    fn configure(&self, py: Python<'_>, settings: PyRef<'_, LogSettings>) -> PyResult<()> {
        let cfg = settings.config.clone();
        self.with(py, |log| {
            log.configure(cfg);
            Ok(())
        })
    }

    #[pyo3(signature = (records, now_ms, *, produce_version = None))]
    fn append(&self, py: Python<'_>, records: PyBuffer<u8>, now_ms: i64, produce_version: Option<i16>) -> PyResult<AppendResult> {
        let b = view(&records)?;
        let r = self.with(py, |log| log.append(b.0, now_ms, origin(produce_version)))?;
        Ok(AppendResult {
            base_offset: r.base_offset,
            last_offset: r.last_offset,
            log_append_time: r.log_append_time,
            log_start_offset: r.log_start_offset,
            record_count: r.record_count,
            duplicate: r.duplicate,
        })
    }

    fn read(&self, py: Python<'_>, offset: i64, max_bytes: i64) -> PyResult<FileSlice> {
        let inner = self.with(py, |log| log.read(offset, max_bytes))?;
        Ok(FileSlice { inner })
    }

    /// One partition of a read_uncommitted Fetch answer under one lock and one release of the
    /// GIL (a call each for the log end, the read, the last stable and the log start offsets
    /// was most of handlers/fetch.py's per-partition cost): (the records `read(offset,
    /// max_bytes)` gives, or None when max_bytes is None (the answer is full) or `offset` is the
    /// log end (a caught-up consumer: nothing to read), the log end offset, the last stable
    /// offset, the log start offset).
    #[allow(clippy::type_complexity)]
    fn fetch_uncommitted(
        &self,
        py: Python<'_>,
        offset: i64,
        max_bytes: Option<i64>,
    ) -> PyResult<(Option<FileSlice>, i64, i64, i64)> {
        let (slice, end, stable, start) = self.with(py, |log| {
            let slice = match max_bytes {
                Some(limit) if offset != log.log_end_offset() => Some(log.read(offset, limit)?),
                _ => None,
            };
            Ok((slice, log.log_end_offset(), log.last_stable_offset(), log.log_start_offset()))
        })?;
        Ok((slice.map(|inner| FileSlice { inner }), end, stable, start))
    }

    /// `read` for isolation_level=1: (records below the last stable offset, the last stable
    /// offset, (producer id, first offset) of the aborted transactions in the range).
    #[allow(clippy::type_complexity)]
    fn read_committed(&self, py: Python<'_>, offset: i64, max_bytes: i64) -> PyResult<(FileSlice, i64, Vec<(i64, i64)>)> {
        let r = self.with(py, |log| log.read_committed(offset, max_bytes))?;
        Ok((FileSlice { inner: r.slice }, r.last_stable_offset, r.aborted))
    }

    /// Append the control batch that commits or aborts `producer_id`'s transaction; its offset.
    fn write_txn_marker(
        &self,
        py: Python<'_>,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
        now_ms: i64,
    ) -> PyResult<i64> {
        let marker = TxnMarker { commit, coordinator_epoch };
        self.with(py, |log| log.write_txn_marker(producer_id, producer_epoch, marker, now_ms))
    }

    fn last_stable_offset(&self, py: Python<'_>) -> PyResult<i64> {
        self.with(py, |log| Ok(log.last_stable_offset()))
    }

    fn aborted_transactions(&self, py: Python<'_>, fetch_offset: i64, upper_offset: i64) -> PyResult<Vec<(i64, i64)>> {
        self.with(py, |log| Ok(log.aborted_transactions(fetch_offset, upper_offset)))
    }

    /// Forget the producers idle for `expiration_ms` with no ongoing transaction; returns how many.
    fn expire_producers(&self, py: Python<'_>, now_ms: i64, expiration_ms: i64) -> PyResult<usize> {
        self.with(py, |log| Ok(log.expire_producers(now_ms, expiration_ms)))
    }

    fn producer_states(&self, py: Python<'_>) -> PyResult<Vec<ProducerState>> {
        let states = self.with(py, |log| Ok(log.producer_states()))?;
        Ok(states
            .into_iter()
            .map(|p| ProducerState {
                producer_id: p.producer_id,
                producer_epoch: p.producer_epoch,
                last_sequence: p.last_sequence,
                last_timestamp: p.last_timestamp,
                coordinator_epoch: p.coordinator_epoch,
                current_txn_start_offset: p.current_txn_start_offset,
            })
            .collect())
    }

    fn records(&self, py: Python<'_>, offset: i64) -> PyResult<RecordIterator> {
        let inner = self.with(py, |log| log.records(offset))?;
        Ok(RecordIterator { inner, batch: None })
    }

    #[getter]
    fn log_start_offset(&self, py: Python<'_>) -> PyResult<i64> {
        self.with(py, |log| Ok(log.log_start_offset()))
    }

    #[getter]
    fn log_end_offset(&self, py: Python<'_>) -> PyResult<i64> {
        self.with(py, |log| Ok(log.log_end_offset()))
    }

    #[getter]
    fn size_bytes(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |log| Ok(log.size_bytes()))
    }

    /// What opening the directory truncated, rebuilt or found damaged: (level, message) pairs,
    /// level "INFO", "WARN" or "ERROR", for the broker to log.
    #[getter]
    fn recovery_events(&self, py: Python<'_>) -> PyResult<Vec<(&'static str, String)>> {
        self.with(py, |log| Ok(events(log.recovery_events())))
    }

    #[getter]
    fn recovery_point(&self, py: Python<'_>) -> PyResult<i64> {
        self.with(py, |log| Ok(log.recovery_point()))
    }

    #[getter]
    fn active_segment_bytes(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |log| Ok(log.active_segment_bytes()))
    }

    /// Whether appending `size` bytes rolls the active segment (the engine's size rule).
    fn rolls_by_size(&self, py: Python<'_>, size: u64) -> PyResult<bool> {
        self.with(py, |log| Ok(log.rolls_by_size(size)))
    }

    #[getter]
    fn unflushed_messages(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |log| Ok(log.unflushed_messages()))
    }

    fn offset_for_timestamp(&self, py: Python<'_>, timestamp: i64) -> PyResult<Option<(i64, i64)>> {
        self.with(py, |log| log.offset_for_timestamp(timestamp))
    }

    fn max_timestamp(&self, py: Python<'_>) -> PyResult<Option<(i64, i64)>> {
        self.with(py, |log| log.max_timestamp())
    }

    fn delete_records_before(&self, py: Python<'_>, offset: i64) -> PyResult<i64> {
        self.with(py, |log| log.delete_records_before(offset))
    }

    fn enforce_retention(&self, py: Python<'_>, now_ms: i64, retention_ms: i64, retention_bytes: i64) -> PyResult<u32> {
        self.with(py, |log| log.enforce_retention(now_ms, retention_ms, retention_bytes))
    }

    fn cleanable(&self, py: Python<'_>, checkpoint: i64, now_ms: i64, min_compaction_lag_ms: i64) -> PyResult<Cleanable> {
        let c = self.with(py, |log| log.cleanable(checkpoint, now_ms, min_compaction_lag_ms))?;
        Ok(Cleanable {
            first_dirty: c.first_dirty,
            first_uncleanable: c.first_uncleanable,
            clean_bytes: c.clean_bytes,
            dirty_bytes: c.dirty_bytes,
            first_dirty_timestamp: c.first_dirty_timestamp,
        })
    }

    /// One cleaner pass; the log is locked only to plan and to swap, not while reading and
    /// writing segments, so appends and fetches go on.
    #[pyo3(signature = (
        *, checkpoint, now_ms, min_compaction_lag_ms, delete_retention_ms, segment_bytes, max_map_entries,
        io_max_bytes_per_second
    ))]
    #[allow(clippy::too_many_arguments)]
    fn clean(
        &self,
        py: Python<'_>,
        checkpoint: i64,
        now_ms: i64,
        min_compaction_lag_ms: i64,
        delete_retention_ms: i64,
        segment_bytes: i64,
        max_map_entries: i64,
        io_max_bytes_per_second: f64,
    ) -> PyResult<Option<CleanStats>> {
        let opts = CleanOptions {
            checkpoint,
            now_ms,
            min_compaction_lag_ms,
            delete_retention_ms,
            segment_bytes: non_negative("segment_bytes", segment_bytes)?.max(1),
            max_map_entries: non_negative("max_map_entries", max_map_entries)? as usize,
        };
        let closed = || core::StorageError::new(core::code::KAFKA_STORAGE_ERROR, "partition log is closed");
        let result = py.detach(|| -> core::Result<Option<cleaner::CleanStats>> {
            let plan = match self.lock().as_ref() {
                Some(log) => log.clean_plan(opts)?,
                None => return Err(closed()),
            };
            let Some(plan) = plan else { return Ok(None) };
            let cleaned = plan.run(&CLEANER_THROTTLE, io_max_bytes_per_second)?;
            match self.lock().as_mut() {
                Some(log) => log.commit_clean(cleaned),
                None => {
                    cleaned.discard();
                    Err(closed())
                }
            }
        });
        Ok(result.map_err(storage_error)?.map(|s| CleanStats {
            first_dirty: s.first_dirty,
            end: s.end,
            segments_read: s.segments_read,
            segments_written: s.segments_written,
            bytes_read: s.bytes_read,
            bytes_written: s.bytes_written,
            records_read: s.records_read,
            records_removed: s.records_removed,
            tombstones_removed: s.tombstones_removed,
            aborted_removed: s.aborted_removed,
            markers_removed: s.markers_removed,
            keys: s.keys,
            batches_rewritten: s.batches_rewritten,
            duration_ms: s.duration_ms,
        }))
    }

    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |log| log.flush())
    }

    /// Flush, write the clean-shutdown marker and release the files. Closing twice is a no-op.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let r = py.detach(|| {
            let mut g = self.lock();
            let res = match g.as_mut() {
                Some(log) => log.close(),
                None => Ok(()),
            };
            if res.is_ok() {
                *g = None;
            }
            res
        });
        r.map_err(storage_error)
    }

    /// Close and remove the partition directory.
    fn delete(&self, py: Python<'_>) -> PyResult<()> {
        let r = py.detach(|| {
            let mut g = self.lock();
            let res = match g.as_mut() {
                Some(log) => log.delete(),
                // Already closed: still remove the directory.
                None => match std::fs::remove_dir_all(&self.path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(core::StorageError::io("delete partition directory", e))
                    }
                    _ => Ok(()),
                },
            };
            *g = None;
            res
        });
        r.map_err(storage_error)
    }
}

fn events(list: &[core::RecoveryEvent]) -> Vec<(&'static str, String)> {
    list.iter().map(|e| (e.level.name(), e.message.clone())).collect()
}

/// Check a partition directory without changing it (`fastlog verify`): (level, message) pairs,
/// the last one an INFO summary.
#[pyfunction]
fn verify_partition(py: Python<'_>, path: std::path::PathBuf) -> Vec<(&'static str, String)> {
    events(&py.detach(|| core::verify_partition(&path)))
}

type RecordTuple = (Option<PyBackedBytes>, Option<PyBackedBytes>, Vec<(String, Option<PyBackedBytes>)>, i64);

/// One uncompressed (or gzip/zstd) batch v2 of `records`, base offset 0.
#[pyfunction]
#[pyo3(signature = (
    records, *, producer_id = -1, producer_epoch = -1, base_sequence = -1, transactional = false, control = false,
    compression = 0
), text_signature = "(records, *, producer_id=-1, producer_epoch=-1, base_sequence=-1, transactional=False, control=False, compression=0)")]
#[allow(clippy::too_many_arguments)]
fn build_batch<'py>(
    py: Python<'py>,
    records: Vec<RecordTuple>,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
    control: bool,
    compression: u8,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = |b: Option<PyBackedBytes>| b.map(|b| b.to_vec());
    let records: Vec<CoreRecord> = records
        .into_iter()
        .map(|(key, value, headers, timestamp)| CoreRecord {
            key: bytes(key),
            value: bytes(value),
            headers: headers.into_iter().map(|(k, v)| (k, bytes(v))).collect(),
            timestamp,
        })
        .collect();
    let opts = BatchOptions { producer_id, producer_epoch, base_sequence, transactional, control, codec: compression };
    let out = py.detach(|| core::record::build_batch(&records, &opts)).map_err(storage_error)?;
    Ok(PyBytes::new(py, &out))
}

/// One record read back from a partition, with the fields of the batch that holds it.
#[pyclass(module = "fastlog._native", frozen, get_all)]
struct Record {
    offset: i64,
    timestamp: i64,
    key: Option<Py<PyBytes>>,
    value: Option<Py<PyBytes>>,
    producer_id: i64,
    producer_epoch: i16,
    is_transactional: bool,
    is_control: bool,
    headers: Py<PyList>,
}

#[pymethods]
impl Record {
    fn __repr__(&self, py: Python<'_>) -> String {
        let show = |b: &Option<Py<PyBytes>>| match b {
            Some(b) => format!("{:?}", String::from_utf8_lossy(b.as_bytes(py))),
            None => "None".into(),
        };
        format!("Record(offset={}, timestamp={}, key={}, value={})", self.offset, self.timestamp, show(&self.key), show(&self.value))
    }
}

/// Iterator over the records of a partition (PartitionLog.records).
#[pyclass(module = "fastlog._native")]
struct RecordIterator {
    inner: LogRecords,
    batch: Option<(core::batch::BatchHeader, std::vec::IntoIter<LogRecord>)>,
}

#[pymethods]
impl RecordIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Record>> {
        loop {
            if let Some((h, records)) = self.batch.as_mut() {
                if let Some(r) = records.next() {
                    let bytes = |b: Option<Vec<u8>>| b.map(|b| PyBytes::new(py, &b).unbind());
                    let headers = PyList::empty(py);
                    for (k, v) in r.headers {
                        headers.append((k, bytes(v)))?;
                    }
                    return Ok(Some(Record {
                        offset: r.offset,
                        timestamp: r.timestamp,
                        key: bytes(r.key),
                        value: bytes(r.value),
                        producer_id: h.producer_id,
                        producer_epoch: h.producer_epoch,
                        is_transactional: h.is_transactional(),
                        is_control: h.is_control(),
                        headers: headers.unbind(),
                    }));
                }
            }
            let inner = &mut self.inner;
            match py.detach(|| inner.next()) {
                None => return Ok(None),
                Some(Err(e)) => return Err(storage_error(e)),
                Some(Ok(b)) => self.batch = Some((b.header, b.records.into_iter())),
            }
        }
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<StorageError>()?;
    m.add_function(wrap_pyfunction!(crc32c, m)?)?;
    m.add_function(wrap_pyfunction!(send_pieces, m)?)?;
    m.add_function(wrap_pyfunction!(fetch_fast::decode_fetch, m)?)?;
    m.add_function(wrap_pyfunction!(fetch_fast::fetch_decoded, m)?)?;
    m.add_function(wrap_pyfunction!(fetch_fast::session_changes, m)?)?;
    m.add_function(wrap_pyfunction!(fetch_fast::covers_every_partition, m)?)?;
    m.add_class::<fetch_fast::FullFetch>()?;
    m.add_class::<fetch_fast::SessionPartition>()?;
    m.add_function(wrap_pyfunction!(validate_records, m)?)?;
    m.add_function(wrap_pyfunction!(decompress, m)?)?;
    m.add_function(wrap_pyfunction!(keyless_records, m)?)?;
    m.add_function(wrap_pyfunction!(build_batch, m)?)?;
    m.add_function(wrap_pyfunction!(verify_partition, m)?)?;
    m.add_class::<Record>()?;
    m.add_class::<RecordIterator>()?;
    m.add_class::<FileSlice>()?;
    m.add_class::<AppendResult>()?;
    m.add_class::<Cleanable>()?;
    m.add_class::<CleanStats>()?;
    m.add_class::<LogSettings>()?;
    m.add_class::<PartitionLog>()?;
    m.add_class::<ProducerState>()?;
    m.add_class::<produce_fast::ProduceFastPath>()?;
    m.add_class::<produce_fast::FastProduce>()?;
    m.add_class::<produce_fast::TopicSet>()?;
    Ok(())
}
