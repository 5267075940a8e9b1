//! The compiled Fetch path (docs/scaling.md, "The Fetch path"): a full, sessionless Fetch whose
//! topics Python has resolved and authorized (once per topic) is read and encoded here in one
//! call: every partition's read (read_uncommitted as `fetch_uncommitted`, read_committed as
//! handlers/fetch.py's `_build`: librdkafka's default isolation) with the GIL released once for
//! all of them, and the response frame around the file regions, as the pieces
//! `send_pieces` writes (bytes, FileSlice, bytes, ...). A librdkafka consumer opens no fetch
//! session, so each of its Fetches names every partition it consumes: over many partitions the
//! Python handler's per-partition dicts and the codec's walk over them were most of the cost.
//!
//! Anything that needs a decision of Python's (a partition the topic does not have, a storage
//! error, a key of the wrong type) makes `fetch_full` answer None before anything is sent, and
//! handlers/fetch.py answers the request as before (the Python path stays the reference: a unit
//! test compares the two byte for byte for every version). Long-poll waits stay in Python too.
use fastlog_core as core;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use super::wire::ResponseWriter;
use super::{FileSlice, PartitionLog};

/// Fetch versions served (handlers/fetch.py): v12 is the first flexible, v13 the first by topic id.
const MIN_VERSION: i16 = 4;
const MAX_VERSION: i16 = 18;
const FIRST_FLEXIBLE: i16 = 12;
const FIRST_BY_ID: i16 = 13;

/// One partition to read: its log, the index asked, from where and how much.
struct Wanted {
    log: Py<PartitionLog>,
    index: i32,
    fetch_offset: i64,
    partition_max_bytes: i32,
}

/// Where a file region goes in the response frame: after this many bytes of the writer's buffer.
type Cut = (usize, core::FileSlice);

/// What Python handed over, checked; None when the request must take the Python path.
#[allow(clippy::type_complexity)]
fn collect(
    py: Python<'_>,
    version: i16,
    topics: &[(Bound<'_, PyAny>, Bound<'_, PyList>, Bound<'_, PyList>)],
) -> PyResult<Option<Vec<(Vec<u8>, Vec<Wanted>)>>> {
    let mut out = Vec::with_capacity(topics.len());
    for (key, logs, partitions) in topics {
        let key_bytes = if version >= FIRST_BY_ID {
            match key.downcast::<PyBytes>() {
                Ok(b) if b.as_bytes().len() == 16 => b.as_bytes().to_vec(),
                _ => return Ok(None),
            }
        } else {
            match key.downcast::<PyString>() {
                Ok(s) => s.to_str()?.as_bytes().to_vec(),
                Err(_) => return Ok(None),
            }
        };
        let mut wanted = Vec::with_capacity(partitions.len());
        for part in partitions.iter() {
            let Ok(part) = part.downcast::<PyDict>() else { return Ok(None) };
            let (Some(index), Some(fetch_offset), Some(max_bytes)) = (
                part.get_item(intern!(py, "partition"))?,
                part.get_item(intern!(py, "fetch_offset"))?,
                part.get_item(intern!(py, "partition_max_bytes"))?,
            ) else {
                return Ok(None);
            };
            let index: i32 = index.extract()?;
            // A partition the topic does not have: Python answers UNKNOWN_TOPIC_OR_PARTITION.
            if index < 0 || index as usize >= logs.len() {
                return Ok(None);
            }
            let Ok(log) = logs.get_item(index as usize)?.downcast_into::<PartitionLog>() else { return Ok(None) };
            wanted.push(Wanted {
                log: log.unbind(),
                index,
                fetch_offset: fetch_offset.extract()?,
                partition_max_bytes: max_bytes.extract()?,
            });
        }
        out.push((key_bytes, wanted));
    }
    Ok(Some(out))
}

/// Read every partition and write the response frame, as handlers/fetch.py's `_build` and the
/// codec would: None on the first storage error (Python answers it) or a frame over 2 GiB.
fn read_and_encode(
    version: i16,
    committed: bool,
    correlation_id: i32,
    max_bytes: i64,
    topics: &[(Vec<u8>, Vec<Wanted>)],
) -> Option<(ResponseWriter, Vec<Cut>, i64)> {
    let flexible = version >= FIRST_FLEXIBLE;
    let count: usize = topics.iter().map(|(_, w)| w.len()).sum();
    let mut f = ResponseWriter::new(64 + count * 48, flexible);
    let mut cuts: Vec<Cut> = Vec::new();
    f.i32(0); // the size, patched below
    f.i32(correlation_id);
    f.no_tags(); // response header v1
    f.i32(0); // throttle_time_ms (Python sets it when a quota throttles: connection.py)
    if version >= 7 {
        f.i16(0); // error_code
        f.i32(0); // session_id: sessionless
    }
    f.length(topics.len());
    let mut remaining = max_bytes;
    let mut total: i64 = 0;
    for (key, wanted) in topics {
        if version >= FIRST_BY_ID {
            f.buf.extend_from_slice(key);
        } else if flexible {
            f.uvarint(key.len() as u64 + 1);
            f.buf.extend_from_slice(key);
        } else {
            f.i16(key.len() as i16);
            f.buf.extend_from_slice(key);
        }
        f.length(wanted.len());
        for w in wanted {
            let limit = (remaining > 0).then(|| (w.partition_max_bytes as i64).min(remaining));
            let read = w.log.get().run(|log| {
                // A caught-up consumer asks from the log end: nothing to read (as fetch_uncommitted
                // and handlers/fetch.py's read_committed branch skip it).
                let reading = limit.filter(|_| w.fetch_offset != log.log_end_offset());
                let (slice, aborted, stable) = match reading {
                    Some(limit) if committed => {
                        let r = log.read_committed(w.fetch_offset, limit)?;
                        (Some(r.slice), Some(r.aborted), r.last_stable_offset)
                    }
                    Some(limit) => (Some(log.read(w.fetch_offset, limit)?), None, -1),
                    None => (None, committed.then(Vec::new), -1),
                };
                let stable = if stable < 0 { log.last_stable_offset() } else { stable };
                Ok((slice, aborted, log.log_end_offset(), stable, log.log_start_offset()))
            });
            let Ok((slice, aborted, end, stable, start)) = read else { return None };
            f.i32(w.index);
            f.i16(0); // error_code
            f.i64(end); // high_watermark
            f.i64(stable); // last_stable_offset
            if version >= 5 {
                f.i64(start);
            }
            // aborted_transactions: a list (maybe empty) for read_committed, null for read_uncommitted, as Kafka
            match aborted {
                Some(aborted) => {
                    f.length(aborted.len());
                    for (producer_id, first_offset) in aborted {
                        f.i64(producer_id);
                        f.i64(first_offset);
                        f.no_tags();
                    }
                }
                None => f.null_array(),
            }
            if version >= 11 {
                f.i32(-1); // preferred_read_replica
            }
            match slice {
                Some(slice) if slice.length > 0 => {
                    remaining -= slice.length as i64;
                    total += slice.length as i64;
                    f.length(slice.length as usize);
                    cuts.push((f.buf.len(), slice));
                }
                _ => f.length(0), // empty records, not null
            }
            f.no_tags();
        }
        f.no_tags();
    }
    f.no_tags();
    let size = f.buf.len() as i64 - 4 + cuts.iter().map(|(_, s)| s.length as i64).sum::<i64>();
    if size > i32::MAX as i64 {
        return None;
    }
    f.buf[..4].copy_from_slice(&(size as i32).to_be_bytes());
    Some((f, cuts, total))
}

/// A full sessionless Fetch's answer: (the frame's pieces for `send_pieces`, the bytes of
/// records in it), or None to leave the request to the Python path. `topics`: per topic of the
/// request, in order, (its name, or id from v13, the topic's PartitionLogs, the request's
/// partition dicts); `max_bytes`: the request's, capped by fetch.max.bytes; `committed`:
/// isolation_level read_committed (whole batches below the last stable offset, and the aborted
/// transactions among them, from the engine's `read_committed`).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn fetch_full<'py>(
    py: Python<'py>,
    correlation_id: i32,
    version: i16,
    max_bytes: i64,
    committed: bool,
    topics: Vec<(Bound<'py, PyAny>, Bound<'py, PyList>, Bound<'py, PyList>)>,
) -> PyResult<Option<(Vec<Py<PyAny>>, i64)>> {
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!("Fetch v{version} is not served")));
    }
    let Some(wanted) = collect(py, version, &topics)? else { return Ok(None) };
    let Some((frame, cuts, total)) = py.detach(|| read_and_encode(version, committed, correlation_id, max_bytes, &wanted)) else {
        return Ok(None);
    };
    let mut pieces: Vec<Py<PyAny>> = Vec::with_capacity(2 * cuts.len() + 1);
    let mut start = 0;
    for (at, slice) in cuts {
        pieces.push(PyBytes::new(py, &frame.buf[start..at]).into_any().unbind());
        pieces.push(Py::new(py, FileSlice { inner: slice })?.into_any());
        start = at;
    }
    pieces.push(PyBytes::new(py, &frame.buf[start..]).into_any().unbind());
    Ok(Some((pieces, total)))
}
