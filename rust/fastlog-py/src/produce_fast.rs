//! The Produce fast path (docs/scaling.md, "The Produce fast path"): a Produce request that needs
//! no decision of Python's (no transaction, no topic the ACLs refuse, no auto-creation, no
//! internal topic, no keyless record for a compacted topic) is decoded, appended and answered
//! here in one call, with the GIL released while the partitions append. Anything else is left to
//! the Python handler (fastlog.handlers.produce) untouched: `try_produce` then returns None before
//! appending. Client quotas are counted by Python after the answer, which then sets the answer's
//! throttle_time_ms where `throttle_time_at` says (server/connection.py).
//!
//! The answer is byte for byte what the Python path sends for the same outcomes (a unit test
//! compares them for every version): the same engine call with the same produce version, so the
//! same validation and error codes, and the response layout of protocol/messages/produce.py.
use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;

use fastlog_core::{self as core, cleaner};
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use super::wire::{Reader, ResponseWriter};
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
    name: Vec<u8>,
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
/// Requests that must not run on the event loop (large, or rolling a segment) are `submit`ted to
/// the fast path's own threads, which never take the GIL: Python collects their answers with
/// `take_completed` when `completion_fd` turns readable.
#[pyclass(module = "fastlog._native", frozen)]
pub(crate) struct ProduceFastPath {
    shared: Arc<Shared>,
    /// The read end of the completion socket pair (the threads write one byte to the other).
    completion_reader: UnixStream,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for ProduceFastPath {
    /// Without shutdown (a registry dropped unclosed): let the threads exit instead of waiting
    /// on the queue for ever.
    fn drop(&mut self) {
        self.shared.jobs.lock().unwrap_or_else(|e| e.into_inner()).retire = usize::MAX;
        self.shared.job_ready.notify_all();
    }
}

/// What the caller's thread and the append threads share.
struct Shared {
    registry: RwLock<Registry>,
    jobs: Mutex<Jobs>,
    job_ready: Condvar,
    done: Mutex<Vec<Done>>,
    /// Written (one byte) when `done` turns non-empty, so the event loop wakes once for all the
    /// answers that finish before it runs.
    completion_writer: UnixStream,
}

#[derive(Default)]
struct Jobs {
    queue: VecDeque<Job>,
    /// Threads running run_jobs, retiring ones included.
    alive: usize,
    /// Threads asked to exit (set_threads to fewer, or shutdown: usize::MAX).
    retire: usize,
}

/// A request submitted to the threads. The frame's buffer export keeps its bytes in place until
/// the answer has been taken (and is released there, under the GIL).
struct Job {
    token: u64,
    frame: PyBuffer<u8>,
    body_offset: usize,
    version: i16,
    correlation_id: i32,
    now_ms: i64,
    writable: Writable,
}

struct Done {
    token: u64,
    frame: PyBuffer<u8>,
    served: Served,
}

/// Names of topics a connection's principal may write (Python decides them from the ACLs):
/// given to try_produce/submit, a request naming any other topic is left to Python, which
/// answers TOPIC_AUTHORIZATION_FAILED or appends as the ACLs say.
#[pyclass(module = "fastlog._native", frozen)]
pub(crate) struct TopicSet {
    names: Arc<std::collections::HashSet<Vec<u8>>>,
}

#[pymethods]
impl TopicSet {
    #[new]
    fn new(names: Vec<String>) -> Self {
        TopicSet { names: Arc::new(names.into_iter().map(String::into_bytes).collect()) }
    }

    fn __len__(&self) -> usize {
        self.names.len()
    }

    fn __contains__(&self, name: &str) -> bool {
        self.names.contains(name.as_bytes())
    }
}

type Writable = Option<Arc<std::collections::HashSet<Vec<u8>>>>;

/// What `try_produce` did with a request.
#[pyclass(module = "fastlog._native", frozen, get_all)]
pub(crate) struct FastProduce {
    /// Nothing was appended: the request may block (a large or segment-rolling append), call
    /// again off the event loop with inline=False.
    deferred: bool,
    /// The whole response frame (size prefix included); None for acks=0.
    response: Option<Py<PyBytes>>,
    /// Where in `response` its throttle_time_ms (int32, written 0) is, for Python to set when a
    /// client quota throttles the request; None without a response.
    throttle_time_at: Option<usize>,
    /// Some partition answered an error (with acks=0 the connection must be closed).
    failed: bool,
    /// (owner, partition index) of each append done, to wake the fetches waiting on it.
    appended: Py<PyList>,
}

/// What the GIL-free part of serving a request did.
enum Served {
    /// Nothing appended: the request needs the Python handler (not decodable here, an
    /// unregistered topic, a transaction, a keyless record for a compacted topic, ...).
    LeftToPython,
    /// Nothing appended: an append would roll a segment, which is not done on the event loop.
    Deferred,
    /// Every partition appended or refused by the engine, in request order: the (topic,
    /// partition) of each append done, whether any failed, the response frame unless acks=0
    /// and where its throttle_time_ms is.
    Appended { appended: Vec<(Arc<Topic>, i32)>, failed: bool, response: Option<(Vec<u8>, usize)> },
}

impl Served {
    fn into_python(self, py: Python<'_>) -> PyResult<Option<FastProduce>> {
        match self {
            Served::LeftToPython => Ok(None),
            Served::Deferred => {
                Ok(Some(FastProduce {
                    deferred: true,
                    response: None,
                    throttle_time_at: None,
                    failed: false,
                    appended: PyList::empty(py).unbind(),
                }))
            }
            Served::Appended { appended, failed, response } => {
                let list = PyList::empty(py);
                for (topic, index) in appended {
                    list.append((topic.owner.clone_ref(py), index))?;
                }
                Ok(Some(FastProduce {
                    deferred: false,
                    throttle_time_at: response.as_ref().map(|(_, at)| *at),
                    response: response.map(|(r, _)| PyBytes::new(py, &r).unbind()),
                    failed,
                    appended: list.unbind(),
                }))
            }
        }
    }
}

/// Decode, append and encode one request without the GIL. `inline`: on the event loop, so an
/// append that rolls a segment is not done but deferred.
#[allow(clippy::too_many_arguments)]
fn serve(shared: &Shared, frame: &[u8], body_offset: usize, version: i16, correlation_id: i32, now_ms: i64,
         inline: bool, writable: Option<&std::collections::HashSet<Vec<u8>>>) -> Served {
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
        return Served::LeftToPython;
    }
    let Some(body) = frame.get(body_offset..) else { return Served::LeftToPython };
    let Some(req) = decode(&shared.registry, body, version) else { return Served::LeftToPython };
    if let Some(writable) = writable {
        if req.topics.iter().any(|t| !writable.contains(&t.topic.name)) {
            return Served::LeftToPython;
        }
    }
    let keyless = req.topics.iter().any(|t| {
        t.topic.compacted && t.parts.iter().any(|p| !p.records.is_empty() && !cleaner::keyless_records(p.records).is_empty())
    });
    if keyless {
        return Served::LeftToPython;
    }
    if inline {
        let rolls = req.topics.iter().any(|t| {
            t.parts.iter().any(|p| {
                let log = t.topic.partitions[p.index as usize].get();
                log.run(|l| Ok(l.rolls_by_size(p.records.len() as u64))).unwrap_or(false)
            })
        });
        if rolls {
            return Served::Deferred;
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
    let parts = req.topics.iter().flat_map(|t| t.parts.iter().map(move |p| (t, p)));
    let appended = parts.zip(&results).filter(|(_, r)| r.is_ok()).map(|((t, p), _)| (Arc::clone(&t.topic), p.index)).collect();
    Served::Appended { appended, failed: results.iter().any(|r| r.is_err()), response }
}

/// An append thread: serve submitted requests until told to retire (queued jobs first).
fn run_jobs(shared: Arc<Shared>) {
    loop {
        let job = {
            let mut jobs = shared.jobs.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(job) = jobs.queue.pop_front() {
                    break job;
                }
                if jobs.retire > 0 {
                    jobs.retire -= 1;
                    jobs.alive -= 1;
                    return;
                }
                jobs = shared.job_ready.wait(jobs).unwrap_or_else(|e| e.into_inner());
            }
        };
        let served = match view(&job.frame) {
            Ok(bytes) => serve(&shared, bytes.0, job.body_offset, job.version, job.correlation_id, job.now_ms, false,
                               job.writable.as_deref()),
            Err(_) => Served::LeftToPython,
        };
        let mut done = shared.done.lock().unwrap_or_else(|e| e.into_inner());
        let was_empty = done.is_empty();
        done.push(Done { token: job.token, frame: job.frame, served });
        drop(done);
        if was_empty {
            // Full socket: a byte is already waiting, the loop will wake anyway.
            let _ = (&shared.completion_writer).write(&[1]);
        }
    }
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

fn is_transactional(records: &[u8]) -> bool {
    records.len() >= BATCH_HEADER
        && i16::from_be_bytes([records[ATTRIBUTES_AT], records[ATTRIBUTES_AT + 1]]) & TRANSACTIONAL_BIT != 0
}

/// The request, if the fast path may serve it.
fn decode<'a>(registry: &RwLock<Registry>, body: &'a [u8], version: i16) -> Option<Request<'a>> {
        let mut r = Reader::new(body, version >= FIRST_FLEXIBLE);
        if r.nullable(false)?.is_some() {
            return None; // transactional_id: transactions are checked in Python
        }
        let acks = r.i16()?;
        if !(-1..=1).contains(&acks) {
            return None;
        }
        r.i32()?; // timeout_ms: the append is done when it returns
        let registry = registry.read().unwrap_or_else(|e| e.into_inner());
        let topic_count = r.count()?;
        let mut topics = Vec::with_capacity(topic_count);
        for _ in 0..topic_count {
            let (key, topic) = if version >= FIRST_BY_ID {
                let id = r.take(16)?;
                (id, registry.by_id.get(id)?)
            } else {
                let name = r.nullable(false)??;
                (name, registry.by_name.get(name)?)
            };
            let part_count = r.count()?;
            let mut parts = Vec::with_capacity(part_count);
            for _ in 0..part_count {
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

fn encode(version: i16, correlation_id: i32, req: &Request<'_>, results: &[core::Result<core::AppendResult>]) -> (Vec<u8>, usize) {
    let mut w = ResponseWriter::new(64 + 64 * results.len(), version >= FIRST_FLEXIBLE);
    w.buf.extend_from_slice(&[0; 4]);
    w.buf.extend_from_slice(&correlation_id.to_be_bytes());
    w.no_tags(); // response header v1
    w.length(req.topics.len());
    let mut results = results.iter();
    for t in &req.topics {
        if version >= FIRST_BY_ID {
            w.buf.extend_from_slice(t.key);
        } else {
            w.string_length(t.key.len());
            w.buf.extend_from_slice(t.key);
        }
        w.length(t.parts.len());
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
                // As Kafka: record errors and a message only for the errors it reports record
                // by record (INVALID_TIMESTAMP here; the keyless check is Python's); for the
                // others the code alone, no message.
                let record_errors: &[(i32, String)] = match result {
                    Err(e) => &e.record_errors,
                    Ok(_) => &[],
                };
                w.length(record_errors.len());
                for (index, why) in record_errors {
                    w.buf.extend_from_slice(&index.to_be_bytes());
                    w.string_length(why.len());
                    w.buf.extend_from_slice(why.as_bytes());
                    w.no_tags();
                }
                match result {
                    Err(e) if !record_errors.is_empty() => {
                        w.string_length(e.message.len());
                        w.buf.extend_from_slice(e.message.as_bytes());
                    }
                    _ => w.null_string(),
                }
            }
            w.no_tags();
        }
        w.no_tags();
    }
    let throttle_time_at = w.buf.len();
    w.buf.extend_from_slice(&0i32.to_be_bytes()); // throttle_time_ms (v1+): quotas are Python's
    w.no_tags();
    let size = (w.buf.len() - 4) as i32;
    w.buf[..4].copy_from_slice(&size.to_be_bytes());
    (w.buf, throttle_time_at)
}

#[pymethods]
impl ProduceFastPath {
    #[new]
    fn new() -> PyResult<Self> {
        let (completion_writer, completion_reader) = UnixStream::pair()?;
        completion_writer.set_nonblocking(true)?;
        completion_reader.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            registry: RwLock::new(Registry::default()),
            jobs: Mutex::new(Jobs::default()),
            job_ready: Condvar::new(),
            done: Mutex::new(Vec::new()),
            completion_writer,
        });
        Ok(ProduceFastPath { shared, completion_reader, threads: Mutex::new(Vec::new()) })
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
        let topic = Arc::new(Topic { owner, name: name.as_bytes().to_vec(), id, partitions, compacted });
        let mut reg = self.shared.registry.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = reg.by_name.insert(name.as_bytes().to_vec(), Arc::clone(&topic)) {
            reg.by_id.remove(&old.id);
        }
        reg.by_id.insert(id, topic);
        Ok(())
    }

    /// Leave a topic to the Python path (deleted, or no longer eligible).
    fn remove_topic(&self, name: &str) {
        let mut reg = self.shared.registry.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = reg.by_name.remove(name.as_bytes()) {
            reg.by_id.remove(&old.id);
        }
    }

    /// Names of the registered topics (for tests and diagnostics).
    fn topics(&self) -> Vec<String> {
        let reg = self.shared.registry.read().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<String> = reg.by_name.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
        names.sort();
        names
    }

    /// Serve one Produce request (`frame` without its size prefix, the body from `body_offset`),
    /// or return None, having appended nothing, when it needs the Python handler. `inline`: on
    /// the event loop, so an append that rolls a segment is not done but deferred. `writable`:
    /// the topics the connection may write (None: all).
    #[pyo3(signature = (frame, body_offset, version, correlation_id, now_ms, *, inline, writable = None))]
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
        writable: Option<PyRef<'_, TopicSet>>,
    ) -> PyResult<Option<FastProduce>> {
        let bytes = view(&frame)?;
        let writable = writable.map(|w| Arc::clone(&w.names));
        let served = py.detach(|| {
            serve(&self.shared, bytes.0, body_offset, version, correlation_id, now_ms, inline, writable.as_deref())
        });
        served.into_python(py)
    }

    /// Serve the request as `try_produce(..., inline=False)` does, on the fast path's own
    /// threads, which never take the GIL; its answer comes back from `take_completed` under
    /// `token`. The frame's buffer stays exported (not resizable) until then.
    #[pyo3(signature = (token, frame, body_offset, version, correlation_id, now_ms, *, writable = None))]
    #[allow(clippy::too_many_arguments)]
    fn submit(&self, token: u64, frame: PyBuffer<u8>, body_offset: usize, version: i16, correlation_id: i32,
              now_ms: i64, writable: Option<PyRef<'_, TopicSet>>) -> PyResult<()> {
        view(&frame)?; // refuse a non-contiguous buffer here, not on a thread
        let writable = writable.map(|w| Arc::clone(&w.names));
        let job = Job { token, frame, body_offset, version, correlation_id, now_ms, writable };
        self.shared.jobs.lock().unwrap_or_else(|e| e.into_inner()).queue.push_back(job);
        self.shared.job_ready.notify_one();
        Ok(())
    }

    /// The file descriptor that turns readable when submitted requests have been served.
    fn completion_fd(&self) -> i32 {
        self.completion_reader.as_raw_fd()
    }

    /// (token, what try_produce would have returned) of each submitted request served since
    /// the last call, in the order they finished; clears the completion descriptor first.
    fn take_completed(&self, py: Python<'_>) -> PyResult<Vec<(u64, Option<FastProduce>)>> {
        let mut sink = [0u8; 64];
        while matches!((&self.completion_reader).read(&mut sink), Ok(n) if n > 0) {}
        let done = std::mem::take(&mut *self.shared.done.lock().unwrap_or_else(|e| e.into_inner()));
        let mut out = Vec::with_capacity(done.len());
        for Done { token, frame, served } in done {
            drop(frame); // releases the export, under the GIL
            out.push((token, served.into_python(py)?));
        }
        Ok(out)
    }

    /// Run `count` threads (at least one), starting or retiring the difference; retiring
    /// threads finish the queued requests first.
    fn set_threads(&self, count: usize) -> PyResult<()> {
        let count = count.max(1);
        let mut threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        threads.retain(|t| !t.is_finished()); // retired ones
        let mut jobs = self.shared.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let staying = jobs.alive - jobs.retire.min(jobs.alive);
        if count < staying {
            jobs.retire += staying - count;
            self.shared.job_ready.notify_all();
            return Ok(());
        }
        let unretire = jobs.retire.min(count - staying); // keep threads asked to exit instead
        jobs.retire -= unretire;
        for _ in staying + unretire..count {
            let shared = Arc::clone(&self.shared);
            let name = format!("produce_fast_{}", jobs.alive);
            threads.push(std::thread::Builder::new().name(name).spawn(move || run_jobs(shared))?);
            jobs.alive += 1;
        }
        Ok(())
    }

    /// Serve what is queued, then stop every thread and wait for them (their answers stay
    /// for take_completed). Final: requests submitted afterwards are never served.
    fn shutdown(&self, py: Python<'_>) {
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        self.shared.jobs.lock().unwrap_or_else(|e| e.into_inner()).retire = usize::MAX;
        self.shared.job_ready.notify_all();
        py.detach(|| {
            for t in threads {
                let _ = t.join();
            }
        });
    }
}
