//! The Produce fast path (docs/scaling.md, "The Produce fast path"): a Produce request that needs
//! no decision of Python's (no transaction, no ACL, no quota, no auto-creation, no internal
//! topic, no keyless record for a compacted topic) is decoded, appended and answered here in one
//! call, with the GIL released while the partitions append. Anything else is left to the Python
//! handler (fastlog.handlers.produce) untouched: `try_produce` then returns None before appending.
//!
//! The answer is byte for byte what the Python path sends for the same outcomes (a unit test
//! compares them for every version): the same engine call with the same produce version, so the
//! same validation and error codes, and the response layout of protocol/messages/produce.py.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use fastlog_core::{self as core, cleaner};
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use super::{origin, view, PartitionLog};

/// Record batch v2: attributes int16 at this byte, bit 4 = transactional (handlers/produce.py).
const ATTRIBUTES_AT: usize = 21;
const TRANSACTIONAL_BIT: i16 = 0x10;
const BATCH_HEADER: usize = 61;
/// Produce versions served here: v3 is the first with record batches v2, v9 the first flexible,
/// v13 the first naming topics by id.
const MIN_VERSION: i16 = 3;
const MAX_VERSION: i16 = 13;
const FIRST_FLEXIBLE: i16 = 9;
const FIRST_BY_ID: i16 = 13;

/// A topic the fast path may append to, as Python registered it.
struct Topic {
    /// fastlog.storage.log_manager.Topic, handed back with each appended partition.
    owner: Py<PyAny>,
    id: [u8; 16],
    partitions: Vec<Py<PartitionLog>>,
    /// cleanup.policy has "compact": a keyless record is refused with per-record errors, which
    /// the Python handler writes, so such a request goes there.
    compacted: bool,
}

#[derive(Default)]
struct Registry {
    by_name: HashMap<Vec<u8>, Arc<Topic>>,
    by_id: HashMap<[u8; 16], Arc<Topic>>,
}

/// The topics eligible for the fast path; Python (storage/produce_fast.py) keeps it current.
#[pyclass(module = "fastlog._native", frozen)]
pub(crate) struct ProduceFastPath {
    registry: RwLock<Registry>,
}

/// What `try_produce` did with a request.
#[pyclass(module = "fastlog._native", frozen, get_all)]
pub(crate) struct FastProduce {
    /// Nothing was appended: the request may block (a large or segment-rolling append), call
    /// again off the event loop with inline=False.
    deferred: bool,
    /// The whole response frame (size prefix included); None for acks=0.
    response: Option<Py<PyBytes>>,
    /// Some partition answered an error (with acks=0 the connection must be closed).
    failed: bool,
    /// (owner, partition index) of each append done, to wake the fetches waiting on it.
    appended: Py<PyList>,
}

/// What the GIL-free part of `try_produce` did.
enum Outcome {
    /// Nothing appended: a compacted topic got a keyless record (the handler writes its errors).
    LeftToPython,
    /// Nothing appended: an append would roll a segment, which is not done on the event loop.
    Deferred,
    /// Every partition appended or refused by the engine, in request order; the response frame
    /// unless acks=0.
    Appended { results: Vec<core::Result<core::AppendResult>>, response: Option<Vec<u8>> },
}

/// One partition of the request, decoded.
struct Part<'a> {
    index: i32,
    records: &'a [u8],
}

/// One topic of the request: its name (or id) as sent, and its registry entry.
struct TopicPart<'a> {
    key: &'a [u8],
    topic: Arc<Topic>,
    parts: Vec<Part<'a>>,
}

struct Request<'a> {
    acks: i16,
    topics: Vec<TopicPart<'a>>,
}

/// Reads the request body; None = malformed or unexpected (the Python path then decides).
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    flexible: bool,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    fn uvarint(&mut self) -> Option<u32> {
        let mut v: u32 = 0;
        for shift in (0..35).step_by(7) {
            let byte = *self.take(1)?.first()?;
            v |= ((byte & 0x7f) as u32).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    /// A length: int16/int32 (wide) or, flexible, uvarint minus one; -1 = null.
    fn length(&mut self, wide: bool) -> Option<i64> {
        if self.flexible {
            Some(self.uvarint()? as i64 - 1)
        } else if wide {
            Some(self.i32()? as i64)
        } else {
            Some(self.i16()? as i64)
        }
    }
    /// Bytes of a nullable string or byte array; None inside = null.
    fn nullable(&mut self, wide: bool) -> Option<Option<&'a [u8]>> {
        match self.length(wide)? {
            -1 => Some(None),
            n if n >= 0 => Some(Some(self.take(n as usize)?)),
            _ => None,
        }
    }
    /// An array's element count (a null array is not expected from a client).
    fn count(&mut self) -> Option<usize> {
        let n = self.length(true)?;
        if n < 0 || n as usize > self.b.len() - self.pos {
            return None;
        }
        Some(n as usize)
    }
    /// Tagged fields: Produce requests define none, so all are skipped (as the codec does).
    fn skip_tags(&mut self) -> Option<()> {
        if self.flexible {
            for _ in 0..self.uvarint()? {
                self.uvarint()?;
                let size = self.uvarint()? as usize;
                self.take(size)?;
            }
        }
        Some(())
    }
}

fn is_transactional(records: &[u8]) -> bool {
    records.len() >= BATCH_HEADER
        && i16::from_be_bytes([records[ATTRIBUTES_AT], records[ATTRIBUTES_AT + 1]]) & TRANSACTIONAL_BIT != 0
}

impl ProduceFastPath {
    /// The request, if the fast path may serve it.
    fn decode<'a>(&self, body: &'a [u8], version: i16) -> Option<Request<'a>> {
        let mut r = Reader { b: body, pos: 0, flexible: version >= FIRST_FLEXIBLE };
        if r.nullable(false)?.is_some() {
            return None; // transactional_id: transactions are checked in Python
        }
        let acks = r.i16()?;
        if !(-1..=1).contains(&acks) {
            return None;
        }
        r.i32()?; // timeout_ms: the append is done when it returns
        let registry = self.registry.read().unwrap_or_else(|e| e.into_inner());
        let mut topics = Vec::with_capacity(r.count()?);
        for _ in 0..topics.capacity() {
            let (key, topic) = if version >= FIRST_BY_ID {
                let id = r.take(16)?;
                (id, registry.by_id.get(id)?)
            } else {
                let name = r.nullable(false)??;
                (name, registry.by_name.get(name)?)
            };
            let mut parts = Vec::with_capacity(r.count()?);
            for _ in 0..parts.capacity() {
                let index = r.i32()?;
                let records = r.nullable(true)?.unwrap_or(&[]);
                r.skip_tags()?;
                if index < 0 || index as usize >= topic.partitions.len() || is_transactional(records) {
                    return None;
                }
                parts.push(Part { index, records });
            }
            r.skip_tags()?;
            topics.push(TopicPart { key, topic: Arc::clone(topic), parts });
        }
        r.skip_tags()?;
        Some(Request { acks, topics })
    }
}

/// The response frame, laid out as protocol/messages/produce.py's response table.
struct Writer {
    buf: Vec<u8>,
    flexible: bool,
}

impl Writer {
    fn uvarint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.buf.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    fn length(&mut self, n: usize, wide: bool) {
        if self.flexible {
            self.uvarint(n as u32 + 1);
        } else if wide {
            self.buf.extend_from_slice(&(n as i32).to_be_bytes());
        } else {
            self.buf.extend_from_slice(&(n as i16).to_be_bytes());
        }
    }
    fn null_string(&mut self) {
        if self.flexible {
            self.buf.push(0);
        } else {
            self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        }
    }
    fn no_tags(&mut self) {
        if self.flexible {
            self.buf.push(0);
        }
    }
}

fn encode(version: i16, correlation_id: i32, req: &Request<'_>, results: &[core::Result<core::AppendResult>]) -> Vec<u8> {
    let mut w = Writer { buf: Vec::with_capacity(64 + 64 * results.len()), flexible: version >= FIRST_FLEXIBLE };
    w.buf.extend_from_slice(&[0; 4]);
    w.buf.extend_from_slice(&correlation_id.to_be_bytes());
    w.no_tags(); // response header v1
    w.length(req.topics.len(), true);
    let mut results = results.iter();
    for t in &req.topics {
        if version >= FIRST_BY_ID {
            w.buf.extend_from_slice(t.key);
        } else {
            w.length(t.key.len(), false);
            w.buf.extend_from_slice(t.key);
        }
        w.length(t.parts.len(), true);
        for p in &t.parts {
            let result = results.next().expect("one result per partition");
            w.buf.extend_from_slice(&p.index.to_be_bytes());
            let (code, base, append_time, start) = match result {
                Ok(a) => (0i16, a.base_offset, a.log_append_time, a.log_start_offset),
                Err(e) => (e.code, -1, -1, -1), // Kafka's answer for a failed partition
            };
            w.buf.extend_from_slice(&code.to_be_bytes());
            w.buf.extend_from_slice(&base.to_be_bytes());
            w.buf.extend_from_slice(&append_time.to_be_bytes()); // v2+
            if version >= 5 {
                w.buf.extend_from_slice(&start.to_be_bytes());
            }
            if version >= 8 {
                w.length(0, true); // record_errors: only the keyless check fills them (Python)
                match result {
                    Ok(_) => w.null_string(),
                    Err(e) => {
                        w.length(e.message.len(), false);
                        w.buf.extend_from_slice(e.message.as_bytes());
                    }
                }
            }
            w.no_tags();
        }
        w.no_tags();
    }
    w.buf.extend_from_slice(&0i32.to_be_bytes()); // throttle_time_ms (v1+): quotas go to Python
    w.no_tags();
    let size = (w.buf.len() - 4) as i32;
    w.buf[..4].copy_from_slice(&size.to_be_bytes());
    w.buf
}

#[pymethods]
impl ProduceFastPath {
    #[new]
    fn new() -> Self {
        ProduceFastPath { registry: RwLock::new(Registry::default()) }
    }

    /// Register (or refresh) a topic the fast path may serve: `owner` comes back with each
    /// append, `partitions` are its logs in partition order; `compacted`: cleanup.policy has
    /// "compact" (requests with a keyless record are left to Python).
    #[pyo3(signature = (owner, name, topic_id, partitions, *, compacted))]
    fn set_topic(
        &self,
        owner: Py<PyAny>,
        name: &str,
        topic_id: &[u8],
        partitions: Vec<Py<PartitionLog>>,
        compacted: bool,
    ) -> PyResult<()> {
        let id: [u8; 16] = topic_id.try_into().map_err(|_| pyo3::exceptions::PyValueError::new_err("topic_id must be 16 bytes"))?;
        let topic = Arc::new(Topic { owner, id, partitions, compacted });
        let mut reg = self.registry.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = reg.by_name.insert(name.as_bytes().to_vec(), Arc::clone(&topic)) {
            reg.by_id.remove(&old.id);
        }
        reg.by_id.insert(id, topic);
        Ok(())
    }

    /// Leave a topic to the Python path (deleted, or no longer eligible).
    fn remove_topic(&self, name: &str) {
        let mut reg = self.registry.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = reg.by_name.remove(name.as_bytes()) {
            reg.by_id.remove(&old.id);
        }
    }

    /// Names of the registered topics (for tests and diagnostics).
    fn topics(&self) -> Vec<String> {
        let reg = self.registry.read().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<String> = reg.by_name.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
        names.sort();
        names
    }

    /// Serve one Produce request (`frame` without its size prefix, the body from `body_offset`),
    /// or return None, having appended nothing, when it needs the Python handler. `inline`: on
    /// the event loop, so an append that rolls a segment is not done but deferred.
    #[pyo3(signature = (frame, body_offset, version, correlation_id, now_ms, *, inline))]
    #[allow(clippy::too_many_arguments)]
    fn try_produce(
        &self,
        py: Python<'_>,
        frame: PyBuffer<u8>,
        body_offset: usize,
        version: i16,
        correlation_id: i32,
        now_ms: i64,
        inline: bool,
    ) -> PyResult<Option<FastProduce>> {
        if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
            return Ok(None);
        }
        let bytes = view(&frame)?;
        let Some(body) = bytes.0.get(body_offset..) else { return Ok(None) };
        let Some(req) = self.decode(body, version) else { return Ok(None) };
        let outcome = py.detach(|| {
            let keyless = req.topics.iter().any(|t| {
                t.topic.compacted && t.parts.iter().any(|p| !p.records.is_empty() && !cleaner::keyless_records(p.records).is_empty())
            });
            if keyless {
                return Outcome::LeftToPython;
            }
            if inline {
                let rolls = req.topics.iter().any(|t| {
                    t.parts.iter().any(|p| {
                        let log = t.topic.partitions[p.index as usize].get();
                        log.run(|l| Ok(l.rolls_by_size(p.records.len() as u64))).unwrap_or(false)
                    })
                });
                if rolls {
                    return Outcome::Deferred;
                }
            }
            let origin = origin(Some(version));
            let results: Vec<core::Result<core::AppendResult>> = req
                .topics
                .iter()
                .flat_map(|t| t.parts.iter().map(move |p| (t, p)))
                .map(|(t, p)| t.topic.partitions[p.index as usize].get().run(|l| l.append(p.records, now_ms, origin)))
                .collect();
            let response = (req.acks != 0).then(|| encode(version, correlation_id, &req, &results));
            Outcome::Appended { results, response }
        });
        let (results, response) = match outcome {
            Outcome::LeftToPython => return Ok(None),
            Outcome::Deferred => {
                return Ok(Some(FastProduce { deferred: true, response: None, failed: false, appended: PyList::empty(py).unbind() }))
            }
            Outcome::Appended { results, response } => (results, response),
        };
        let appended = PyList::empty(py);
        let parts = req.topics.iter().flat_map(|t| t.parts.iter().map(move |p| (t, p)));
        for ((t, p), result) in parts.zip(&results) {
            if result.is_ok() {
                appended.append((t.topic.owner.clone_ref(py), p.index))?;
            }
        }
        Ok(Some(FastProduce {
            deferred: false,
            response: response.map(|r| PyBytes::new(py, &r).unbind()),
            failed: results.iter().any(|r| r.is_err()),
            appended: appended.unbind(),
        }))
    }
}
