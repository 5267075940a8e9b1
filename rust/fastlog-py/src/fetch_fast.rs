//! The compiled Fetch path (docs/scaling.md, "The Fetch path"): a full, sessionless Fetch is
//! decoded here (`decode_fetch`), its topics resolved and authorized by Python (once per topic),
//! and read and encoded here in one call (`fetch_decoded`): every partition's read
//! (read_uncommitted as `fetch_uncommitted`, read_committed as handlers/fetch.py's `_build`:
//! librdkafka's default isolation) with the GIL released once for all of them, and the response
//! frame around the file regions, as the pieces `send_pieces` writes (bytes, FileSlice, bytes,
//! ...). A librdkafka consumer opens no fetch session, so each of its Fetches names every
//! partition it consumes: over many partitions the codec's per-partition dicts and the Python
//! handler's walk over them were most of the cost.
//!
//! Anything that needs a decision of Python's (a partition the topic does not have, a storage
//! error) makes `fetch_decoded` answer None before anything is sent, and handlers/fetch.py
//! answers the request with the codec's decoding (the Python path stays the reference: a unit
//! test compares the two byte for byte for every version). Long-poll waits stay in Python too.
use fastlog_core as core;
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use std::sync::atomic::AtomicI64;
use std::sync::atomic::Ordering::Relaxed;

use super::wire::{Reader, ResponseWriter};
use super::{view, FileSlice, PartitionLog};

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

/// Read and encode with the GIL released; the frame's pieces for `send_pieces` and the bytes
/// of records in them, or None to leave the request to the Python path.
#[allow(clippy::type_complexity)]
fn answer(
    py: Python<'_>,
    correlation_id: i32,
    version: i16,
    max_bytes: i64,
    committed: bool,
    wanted: &[(Vec<u8>, Vec<Wanted>)],
) -> PyResult<Option<(Vec<Py<PyAny>>, i64)>> {
    let Some((frame, cuts, total)) = py.detach(|| read_and_encode(version, committed, correlation_id, max_bytes, wanted)) else {
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

/// A partition asked: (index, fetch offset, partition_max_bytes).
type Asked = (i32, i64, i32);

/// A full, sessionless Fetch request (session epoch -1, or a version before sessions) decoded
/// here instead of by the codec: over a thousand partitions the codec's dicts cost ~0.4 ms a
/// request, most of what was left of a compiled fetch. handlers/fetch.py resolves and
/// authorizes its topics and answers it with `fetch_decoded`; the codec still decodes every
/// other Fetch (`decode_fetch` gives None for them).
#[pyclass(module = "fastlog._native", frozen)]
pub struct FullFetch {
    #[pyo3(get)]
    max_wait_ms: i32,
    #[pyo3(get)]
    min_bytes: i32,
    #[pyo3(get)]
    max_bytes: i32,
    #[pyo3(get)]
    isolation_level: i8,
    /// The session the request names: a full fetch closes it (handlers/fetch.py does).
    #[pyo3(get)]
    session_id: i32,
    /// Per topic asked, in order: its name (its 16-byte id from v13) and its partitions.
    topics: Vec<(Vec<u8>, Vec<Asked>)>,
    by_id: bool,
}

#[pymethods]
impl FullFetch {
    /// The topics asked, in order: names (str), or ids (16 bytes) from v13.
    fn topic_keys<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.topics
            .iter()
            .map(|(key, _)| {
                Ok(if self.by_id {
                    PyBytes::new(py, key).into_any()
                } else {
                    PyString::new(py, std::str::from_utf8(key)?).into_any()
                })
            })
            .collect()
    }
    /// The partition indexes asked of the `topic`th topic (a long poll waits on them).
    fn partitions(&self, topic: usize) -> Vec<i32> {
        self.topics.get(topic).map_or_else(Vec::new, |(_, parts)| parts.iter().map(|p| p.0).collect())
    }
}

/// The body of a Fetch request (`frame[offset..]`, after the header) as a FullFetch, or None
/// when the codec must decode it: an incremental fetch (session epoch other than -1), a topic
/// asked with no partitions or twice in a row (the Python path's answer merges or omits it), a
/// topic name that is null or not UTF-8, or anything malformed.
#[pyfunction]
pub fn decode_fetch(frame: PyBuffer<u8>, offset: usize, version: i16) -> PyResult<Option<FullFetch>> {
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
        return Ok(None);
    }
    let bytes = view(&frame)?;
    Ok(bytes.0.get(offset..).and_then(|body| parse_full_fetch(body, version)))
}

fn parse_full_fetch(body: &[u8], version: i16) -> Option<FullFetch> {
    // Field by field as protocol/messages/fetch.py's table; tagged fields (cluster_id,
    // replica_state, a partition's replica_directory_id and high_watermark) matter only to
    // followers and sessions, and are skipped.
    let mut r = Reader::new(body, version >= FIRST_FLEXIBLE);
    let by_id = version >= FIRST_BY_ID;
    if version < 15 {
        r.i32()?; // replica_id
    }
    let max_wait_ms = r.i32()?;
    let min_bytes = r.i32()?;
    let max_bytes = r.i32()?;
    let isolation_level = r.i8()?;
    let (session_id, session_epoch) = if version >= 7 { (r.i32()?, r.i32()?) } else { (0, -1) };
    if session_epoch != -1 {
        return None;
    }
    let topic_count = r.count()?;
    let mut topics: Vec<(Vec<u8>, Vec<Asked>)> = Vec::with_capacity(topic_count);
    for _ in 0..topic_count {
        let key = if by_id {
            r.take(16)?
        } else {
            let name = r.nullable(false)??;
            std::str::from_utf8(name).ok()?;
            name
        };
        if topics.last().is_some_and(|(last, _)| last.as_slice() == key) {
            return None;
        }
        let count = r.count()?;
        if count == 0 {
            return None;
        }
        let mut parts = Vec::with_capacity(count);
        for _ in 0..count {
            let index = r.i32()?;
            if version >= 9 {
                r.i32()?; // current_leader_epoch
            }
            let fetch_offset = r.i64()?;
            if version >= 12 {
                r.i32()?; // last_fetched_epoch
            }
            if version >= 5 {
                r.i64()?; // log_start_offset
            }
            let partition_max_bytes = r.i32()?;
            r.skip_tags()?;
            parts.push((index, fetch_offset, partition_max_bytes));
        }
        r.skip_tags()?;
        topics.push((key.to_vec(), parts));
    }
    if version >= 7 {
        // forgotten_topics_data: a full fetch has no session to forget from.
        for _ in 0..r.count()? {
            if by_id {
                r.take(16)?;
            } else {
                r.nullable(false)??;
            }
            for _ in 0..r.count()? {
                r.i32()?;
            }
            r.skip_tags()?;
        }
    }
    if version >= 11 {
        r.nullable(false)?; // rack_id
    }
    r.skip_tags()?;
    if !r.at_end() {
        return None;
    }
    Some(FullFetch { max_wait_ms, min_bytes, max_bytes, isolation_level, session_id, topics, by_id })
}

/// The answer to a FullFetch: `logs` holds each asked topic's PartitionLogs, in the order
/// of `topic_keys()`; `max_bytes` is the request's capped by fetch.max.bytes. None to leave
/// the request to the Python path (a partition the topic lacks, a storage error).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn fetch_decoded<'py>(
    py: Python<'py>,
    correlation_id: i32,
    version: i16,
    max_bytes: i64,
    committed: bool,
    request: PyRef<'py, FullFetch>,
    logs: Vec<Bound<'py, PyList>>,
) -> PyResult<Option<(Vec<Py<PyAny>>, i64)>> {
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) || logs.len() != request.topics.len() {
        return Err(pyo3::exceptions::PyValueError::new_err("a PartitionLog list for each topic asked, at a served version"));
    }
    let mut wanted = Vec::with_capacity(logs.len());
    for ((key, parts), topic_logs) in request.topics.iter().zip(&logs) {
        let mut topic_wanted = Vec::with_capacity(parts.len());
        for &(index, fetch_offset, partition_max_bytes) in parts {
            // A partition the topic does not have: Python answers UNKNOWN_TOPIC_OR_PARTITION.
            if index < 0 || index as usize >= topic_logs.len() {
                return Ok(None);
            }
            let Ok(log) = topic_logs.get_item(index as usize)?.downcast_into::<PartitionLog>() else { return Ok(None) };
            topic_wanted.push(Wanted { log: log.unbind(), index, fetch_offset, partition_max_bytes });
        }
        wanted.push((key.clone(), topic_wanted));
    }
    answer(py, correlation_id, version, max_bytes, committed, &wanted)
}

/// One partition of a fetch session (fetch_sessions.py's CachedPartition subclasses it and keeps
/// the session's rules): where the client reads it from and what the broker last answered about
/// it. The fields live here so that `session_changes` reads them without an attribute lookup
/// each: six lookups over a thousand partitions were most of an idle incremental Fetch. Frozen,
/// with the offsets in atomics: no borrow flag to check on each access, and none to refuse a
/// setter on another network loop's thread should the GIL change hands while a scan holds a
/// borrow (a duplicate request may use a session that another fetch is scanning).
#[pyclass(module = "fastlog._native", frozen, subclass)]
pub struct SessionPartition {
    /// The topic as the client names it: the name (Fetch v7-12) or the 16-byte id (v13+).
    #[pyo3(get)]
    topic: Py<PyAny>,
    #[pyo3(get)]
    index: i64,
    fetch_offset: AtomicI64,
    max_bytes: AtomicI64,
    /// -1 (Kafka's INVALID_HIGH_WATERMARK) for a partition not answered yet: it is sent next time.
    high_watermark: AtomicI64,
    log_start_offset: AtomicI64,
    last_stable_offset: AtomicI64,
}

#[pymethods]
impl SessionPartition {
    #[new]
    #[pyo3(signature = (topic, index, fetch_offset, max_bytes, high_watermark=-1, log_start_offset=-1,
                        last_stable_offset=-1))]
    fn new(
        topic: Py<PyAny>,
        index: i64,
        fetch_offset: i64,
        max_bytes: i64,
        high_watermark: i64,
        log_start_offset: i64,
        last_stable_offset: i64,
    ) -> Self {
        SessionPartition {
            topic,
            index,
            fetch_offset: AtomicI64::new(fetch_offset),
            max_bytes: AtomicI64::new(max_bytes),
            high_watermark: AtomicI64::new(high_watermark),
            log_start_offset: AtomicI64::new(log_start_offset),
            last_stable_offset: AtomicI64::new(last_stable_offset),
        }
    }

    // The offsets' getters and setters (the GIL orders the accesses; Relaxed is enough).
    #[getter]
    fn fetch_offset(&self) -> i64 {
        self.fetch_offset.load(Relaxed)
    }
    #[setter]
    fn set_fetch_offset(&self, value: i64) {
        self.fetch_offset.store(value, Relaxed)
    }
    #[getter]
    fn max_bytes(&self) -> i64 {
        self.max_bytes.load(Relaxed)
    }
    #[setter]
    fn set_max_bytes(&self, value: i64) {
        self.max_bytes.store(value, Relaxed)
    }
    #[getter]
    fn high_watermark(&self) -> i64 {
        self.high_watermark.load(Relaxed)
    }
    #[setter]
    fn set_high_watermark(&self, value: i64) {
        self.high_watermark.store(value, Relaxed)
    }
    #[getter]
    fn log_start_offset(&self) -> i64 {
        self.log_start_offset.load(Relaxed)
    }
    #[setter]
    fn set_log_start_offset(&self, value: i64) {
        self.log_start_offset.store(value, Relaxed)
    }
    #[getter]
    fn last_stable_offset(&self) -> i64 {
        self.last_stable_offset.load(Relaxed)
    }
    #[setter]
    fn set_last_stable_offset(&self, value: i64) {
        self.last_stable_offset.store(value, Relaxed)
    }
}

/// Which partitions of a fetch session an incremental Fetch must read (handlers/fetch.py,
/// `_answer`): the indexes into `cached` (the session's SessionPartitions, in session order) of
/// those whose answer could differ from an idle one. A partition is idle when the client asks
/// from the log end (nothing to read) and the log end, last stable and log start offsets are
/// those its last answer told (high_watermark, last_stable_offset, log_start_offset): reading it
/// sends nothing and changes nothing (CachedPartition.must_respond is false), so leaving it out
/// keeps the answer and the session as they would be. Every other partition is kept, and so is
/// one whose topic `logs` lacks (None: unknown or refused), whose index the topic lacks, or whose
/// log fails: the Python path answers those. `logs`: each topic key of the session -> its
/// PartitionLogs, or None. The walk over a thousand idle partitions in Python was ~1.3 ms a Fetch.
#[pyfunction]
pub fn session_changes<'py>(
    py: Python<'py>,
    cached: &Bound<'py, PyList>,
    logs: &Bound<'py, PyDict>,
) -> PyResult<Vec<usize>> {
    // Per partition in session order: its log (None: Python must answer it, so it is read) and
    // what its last answer told: [fetch offset, log end, last stable, log start].
    let mut entries: Vec<(Option<Py<PartitionLog>>, [i64; 4])> = Vec::with_capacity(cached.len());
    // A session's partitions of one topic mostly follow each other and share the key object:
    // the topic's logs are looked up once per run of them.
    let mut topic: Option<(Bound<'py, PyAny>, Option<Bound<'py, PyList>>)> = None;
    for entry in cached.iter() {
        let part = entry.downcast::<SessionPartition>()?.get();
        let key = part.topic.bind(py);
        let same_topic = matches!(&topic, Some((previous, _)) if previous.is(key));
        if !same_topic {
            let found = match logs.get_item(key)? {
                Some(found) if !found.is_none() => Some(found.downcast_into::<PyList>()?),
                _ => None,
            };
            topic = Some((key.clone(), found));
        }
        let Some((_, Some(topic_logs))) = &topic else {
            entries.push((None, [0; 4]));
            continue;
        };
        if part.index < 0 || part.index as usize >= topic_logs.len() {
            entries.push((None, [0; 4]));
            continue;
        }
        let log = topic_logs.get_item(part.index as usize)?.downcast_into::<PartitionLog>()?.unbind();
        let told = [&part.fetch_offset, &part.high_watermark, &part.last_stable_offset, &part.log_start_offset];
        entries.push((Some(log), told.map(|field| field.load(Relaxed))));
    }
    Ok(py.detach(|| {
        entries
            .iter()
            .enumerate()
            .filter(|(_, (log, [fetch_offset, end, stable, start]))| {
                let Some(log) = log else { return true };
                let now = log.get().run(|l| Ok((l.log_end_offset(), l.last_stable_offset(), l.log_start_offset())));
                now.map_or(true, |(e, lso, ls)| *fetch_offset != e || *end != e || *stable != lso || *start != ls)
            })
            .map(|(position, _)| position)
            .collect()
    }))
}

/// Whether `indexes` (a long-polling fetch's partitions of one topic) name every partition of a
/// topic of `count` partitions (storage/log_manager.py, `wait_for_appends`: then the wait is
/// one registration on the topic). Python's set operations over a thousand indexes took ~50 us
/// on every wait.
#[pyfunction]
pub fn covers_every_partition(indexes: &Bound<'_, PyAny>, count: usize) -> PyResult<bool> {
    let mut seen = vec![false; count];
    let mut missing = count;
    for index in indexes.try_iter()? {
        let index: i64 = index?.extract()?;
        if index >= 0 && (index as u64) < count as u64 && !seen[index as usize] {
            seen[index as usize] = true;
            missing -= 1;
        }
    }
    Ok(missing == 0)
}
