//! `fastlog._native`: thin PyO3 binding of fastlog-core. Every call that touches files, checksums
//! or decompression runs with the GIL released; a PartitionLog is guarded by a Mutex so that two
//! Python threads may share it.
use std::sync::{Mutex, MutexGuard};

use fastlog_core::batch::ValidationConfig;
use fastlog_core::{self as core, LogConfig};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Inputs at least this big are checksummed with the GIL released.
const CRC_RELEASE_GIL_BYTES: usize = 64 * 1024;

const STORAGE_ERROR_SRC: &std::ffi::CStr = c"
class StorageError(Exception):
    \"\"\"A storage failure; `code` is the Kafka error code to put in the response.\"\"\"

    __module__ = 'fastlog._native'

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f'[{self.code}] {self.message}'
";

fn storage_error(py: Python<'_>, e: core::StorageError) -> PyErr {
    let cls = py.import("fastlog._native").and_then(|m| m.getattr("StorageError"));
    match cls.and_then(|c| c.call1((e.code, e.message.clone()))) {
        Ok(obj) => PyErr::from_value(obj),
        Err(err) => err,
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

#[pyfunction]
fn sendfile(py: Python<'_>, out_fd: i32, in_fd: i32, offset: i64, count: i64) -> PyResult<usize> {
    if offset < 0 || count < 0 {
        return Err(PyValueError::new_err("offset and count must be >= 0"));
    }
    let r = py.detach(|| core::sendfile::sendfile(out_fd, in_fd, offset as u64, count as usize));
    Ok(r?)
}

/// Validate a produce record set as append() would, without appending; returns the record count.
#[pyfunction]
#[pyo3(signature = (records, now_ms, *, max_message_bytes = 1048588, log_append_time = false))]
fn validate_records(py: Python<'_>, records: PyBuffer<u8>, now_ms: i64, max_message_bytes: i64, log_append_time: bool) -> PyResult<i64> {
    let b = view(&records)?;
    let cfg = ValidationConfig { max_message_bytes, log_append_time, ..ValidationConfig::default() };
    let r = py.detach(|| core::batch::validate_record_set(b.0, &cfg, now_ms));
    r.map(|v| v.iter().map(|b| b.record_count()).sum()).map_err(|e| storage_error(py, e))
}

/// Decompress a batch payload (the bytes after the 61-byte header) of codec 0..4.
#[pyfunction]
fn decompress<'py>(py: Python<'py>, data: PyBuffer<u8>, codec: u8) -> PyResult<Bound<'py, PyBytes>> {
    let b = view(&data)?;
    let r = py.detach(|| core::batch::decompress(b.0, codec)).map_err(|e| storage_error(py, e))?;
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

    /// Run `f` on the open log with the GIL released.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut core::PartitionLog) -> core::Result<T> + Send,
    ) -> PyResult<T> {
        let r = py.detach(|| match self.lock().as_mut() {
            Some(log) => f(log),
            None => Err(core::StorageError::new(core::code::KAFKA_STORAGE_ERROR, "partition log is closed")),
        });
        r.map_err(|e| storage_error(py, e))
    }
}

fn non_negative(name: &str, v: i64) -> PyResult<u64> {
    if v < 0 {
        return Err(PyValueError::new_err(format!("{name} must be >= 0")));
    }
    Ok(v as u64)
}

#[pymethods]
impl PartitionLog {
    #[new]
    #[pyo3(signature = (
        path, *, segment_bytes = 1073741824, index_interval_bytes = 4096, max_message_bytes = 1048588,
        flush_interval_messages = 9223372036854775807, log_append_time = false, timestamp_before_max_ms = 9223372036854775807,
        timestamp_after_max_ms = 3600000
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: std::path::PathBuf,
        segment_bytes: i64,
        index_interval_bytes: i64,
        max_message_bytes: i64,
        flush_interval_messages: i64,
        log_append_time: bool,
        timestamp_before_max_ms: i64,
        timestamp_after_max_ms: i64,
    ) -> PyResult<Self> {
        let cfg = LogConfig {
            segment_bytes: non_negative("segment_bytes", segment_bytes)?.max(1),
            index_interval_bytes: non_negative("index_interval_bytes", index_interval_bytes)?,
            flush_interval_messages: non_negative("flush_interval_messages", flush_interval_messages)?.max(1),
            validation: ValidationConfig {
                max_message_bytes,
                log_append_time,
                timestamp_before_max_ms: non_negative("timestamp_before_max_ms", timestamp_before_max_ms)? as i64,
                timestamp_after_max_ms: non_negative("timestamp_after_max_ms", timestamp_after_max_ms)? as i64,
            },
        };
        let log = py.detach(|| core::PartitionLog::open(&path, cfg)).map_err(|e| storage_error(py, e))?;
        Ok(PartitionLog { inner: Mutex::new(Some(log)), path })
    }

    fn append(&self, py: Python<'_>, records: PyBuffer<u8>, now_ms: i64) -> PyResult<AppendResult> {
        let b = view(&records)?;
        let r = self.with(py, |log| log.append(b.0, now_ms))?;
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
        r.map_err(|e| storage_error(py, e))
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
        r.map_err(|e| storage_error(py, e))
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let errors = PyModule::from_code(py, STORAGE_ERROR_SRC, c"fastlog/_native_errors.py", c"fastlog._native_errors")?;
    m.add("StorageError", errors.getattr("StorageError")?)?;
    m.add_function(wrap_pyfunction!(crc32c, m)?)?;
    m.add_function(wrap_pyfunction!(sendfile, m)?)?;
    m.add_function(wrap_pyfunction!(validate_records, m)?)?;
    m.add_function(wrap_pyfunction!(decompress, m)?)?;
    m.add_class::<FileSlice>()?;
    m.add_class::<AppendResult>()?;
    m.add_class::<PartitionLog>()?;
    Ok(())
}
