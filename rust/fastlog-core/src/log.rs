//! The segmented partition log: segments with sparse offset and time indexes, append, read,
//! recovery, retention. On-disk format: docs/storage-format.md.
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::batch::{self, check_batch_frame, BatchHeader, ValidationConfig, HEADER_SIZE, LOG_OVERHEAD};
use crate::error::{code, Result, StorageError};
use crate::producer::ProducerState;

pub const CLEAN_SHUTDOWN_FILE: &str = ".clean-shutdown";
pub const LOG_START_FILE: &str = "log-start-offset";
pub const PRODUCER_SNAPSHOT_FILE: &str = "producer-state.snapshot";
const INDEX_ENTRY: usize = 8;
const TIME_ENTRY: usize = 12;
/// Smallest possible v2 batch: header plus one empty record would be more, but the header is the floor.
const MIN_BATCH: u64 = HEADER_SIZE as u64;

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub segment_bytes: u64,
    pub index_interval_bytes: u64,
    pub flush_interval_messages: u64,
    pub validation: ValidationConfig,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1 << 30,
            index_interval_bytes: 4096,
            flush_interval_messages: u64::MAX,
            validation: ValidationConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    pub base_offset: i64,
    pub last_offset: i64,
    pub log_append_time: i64,
    pub log_start_offset: i64,
    pub record_count: i64,
    pub duplicate: bool,
}

/// A region of a segment file. Holding the Arc keeps the file open after the segment is deleted.
#[derive(Debug, Clone)]
pub struct FileSlice {
    pub file: Arc<File>,
    pub position: u64,
    pub length: u64,
}

impl FileSlice {
    pub fn fd(&self) -> i32 {
        self.file.as_raw_fd()
    }
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        let mut v = vec![0u8; self.length as usize];
        self.file.read_exact_at(&mut v, self.position)?;
        Ok(v)
    }
}

fn io_err(ctx: impl AsRef<str>) -> impl FnOnce(io::Error) -> StorageError {
    move |e| StorageError::io(ctx.as_ref(), e)
}

fn segment_name(base: i64, ext: &str) -> String {
    format!("{base:020}.{ext}")
}

fn now_wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Reading batches back from a segment file through a window buffer.

enum Step {
    Batch { pos: u64, header: BatchHeader, size: u64 },
    End,
    /// The bytes at `pos` are not a valid batch (torn write or corruption).
    Bad { pos: u64, reason: String },
}

struct Scanner<'a> {
    file: &'a File,
    end: u64,
    pos: u64,
    /// Base offset the next batch must have at least (offsets only grow).
    min_offset: i64,
    buf: Vec<u8>,
    buf_start: u64,
    window: usize,
}

impl<'a> Scanner<'a> {
    fn new(file: &'a File, start: u64, end: u64, min_offset: i64, window: usize) -> Self {
        Scanner { file, end, pos: start, min_offset, buf: Vec::new(), buf_start: 0, window }
    }

    /// Make [pos, pos+len) available in the buffer.
    fn ensure(&mut self, pos: u64, len: u64) -> io::Result<()> {
        if pos >= self.buf_start && pos + len <= self.buf_start + self.buf.len() as u64 {
            return Ok(());
        }
        let want = (len.max(self.window as u64)).min(self.end - pos) as usize;
        self.buf.resize(want, 0);
        self.file.read_exact_at(&mut self.buf, pos)?;
        self.buf_start = pos;
        Ok(())
    }

    fn bytes(&self, pos: u64, len: u64) -> &[u8] {
        let at = (pos - self.buf_start) as usize;
        &self.buf[at..at + len as usize]
    }

    /// Next batch header; with `verify` the whole batch is read and its CRC checked.
    fn next(&mut self, verify: bool) -> io::Result<Step> {
        let pos = self.pos;
        if pos >= self.end {
            return Ok(Step::End);
        }
        if self.end - pos < MIN_BATCH {
            return Ok(Step::Bad { pos, reason: format!("{} trailing bytes are not a batch", self.end - pos) });
        }
        self.ensure(pos, HEADER_SIZE as u64)?;
        let header = BatchHeader::parse(self.bytes(pos, HEADER_SIZE as u64));
        let size = LOG_OVERHEAD as u64 + header.batch_length.max(0) as u64;
        let bad = |reason: String| Ok(Step::Bad { pos, reason });
        if header.batch_length < (HEADER_SIZE - LOG_OVERHEAD) as i32 || header.magic != 2 {
            return bad(format!("invalid batch length {} or magic {}", header.batch_length, header.magic));
        }
        if pos + size > self.end {
            return bad(format!("batch of {size} bytes runs past the end of the segment"));
        }
        if header.base_offset < self.min_offset || header.last_offset_delta < 0 {
            return bad(format!("batch base offset {} is below the expected {}", header.base_offset, self.min_offset));
        }
        if verify {
            self.ensure(pos, size)?;
            if let Err(e) = check_batch_frame(self.bytes(pos, size), None) {
                return bad(e.message);
            }
        }
        self.pos = pos + size;
        self.min_offset = header.last_offset() + 1;
        Ok(Step::Batch { pos, header, size })
    }
}

// ---------------------------------------------------------------------------------------------
// Segment

#[derive(Debug)]
struct Segment {
    base: i64,
    log: Arc<File>,
    size: u64,
    /// Offset after the last batch (== base when empty).
    next_offset: i64,
    /// Sparse offset index: (base offset of a batch - segment base, file position).
    index: Vec<(u32, u32)>,
    /// Sparse time index: (largest timestamp so far, offset - segment base of a record in the
    /// batch that holds it).
    time_index: Vec<(i64, u32)>,
    index_file: Option<File>,
    time_file: Option<File>,
    bytes_since_index: u64,
    /// Largest timestamp in the segment (-1: none) and an offset inside the batch that holds it.
    max_ts: i64,
    max_ts_offset: i64,
    dirty: bool,
}

impl Segment {
    fn path(dir: &Path, base: i64, ext: &str) -> PathBuf {
        dir.join(segment_name(base, ext))
    }

    fn create(dir: &Path, base: i64) -> Result<Segment> {
        let open = |ext: &str| {
            let p = Segment::path(dir, base, ext);
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&p)
                .map_err(io_err(format!("create {}", p.display())))
        };
        let log = open("log")?;
        let index = open("index")?;
        let time = open("timeindex")?;
        Ok(Segment {
            base,
            log: Arc::new(log),
            size: 0,
            next_offset: base,
            index: Vec::new(),
            time_index: Vec::new(),
            index_file: Some(index),
            time_file: Some(time),
            bytes_since_index: 0,
            max_ts: -1,
            max_ts_offset: -1,
            dirty: false,
        })
    }

    /// Position to start scanning for `offset` (largest indexed batch at or before it).
    fn lookup(&self, offset: i64) -> u64 {
        let rel = offset - self.base;
        if rel < 0 {
            return 0;
        }
        let rel = rel.min(u32::MAX as i64) as u32;
        let i = self.index.partition_point(|e| e.0 <= rel);
        if i == 0 {
            0
        } else {
            self.index[i - 1].1 as u64
        }
    }

    /// Offset to start scanning from for the first record with timestamp >= `ts`.
    fn time_lookup(&self, ts: i64) -> i64 {
        let i = self.time_index.partition_point(|e| e.0 < ts);
        if i == 0 {
            self.base
        } else {
            self.base + self.time_index[i - 1].1 as i64
        }
    }

    /// Position and header of the first batch whose last offset is >= `offset`.
    fn find_batch(&self, offset: i64) -> Result<Option<(u64, BatchHeader, u64)>> {
        let start = self.lookup(offset);
        let mut sc = Scanner::new(&self.log, start, self.size, i64::MIN, 16 * 1024);
        loop {
            match sc.next(false).map_err(io_err("read segment"))? {
                Step::Batch { pos, header, size } => {
                    if header.last_offset() >= offset {
                        return Ok(Some((pos, header, size)));
                    }
                }
                Step::End => return Ok(None),
                Step::Bad { pos, reason } => {
                    return Err(StorageError::new(
                        code::KAFKA_STORAGE_ERROR,
                        format!("segment {} is damaged at position {pos}: {reason}", self.base),
                    ))
                }
            }
        }
    }

    fn read_at(&self, pos: u64, len: u64) -> Result<Vec<u8>> {
        let mut v = vec![0u8; len as usize];
        self.log.read_exact_at(&mut v, pos).map_err(io_err("read segment"))?;
        Ok(v)
    }

    /// Index entries to add for a batch of `size` bytes at `pos` (Kafka: an entry once more than
    /// index_interval_bytes were appended since the last one). Returns true if one was added.
    fn maybe_index(&mut self, interval: u64, offset: i64, pos: u64, size: u64, idx_buf: &mut Vec<u8>, time_buf: &mut Vec<u8>) -> bool {
        let mut added = false;
        if self.bytes_since_index > interval {
            let rel = (offset - self.base) as u32;
            self.index.push((rel, pos as u32));
            idx_buf.extend_from_slice(&rel.to_be_bytes());
            idx_buf.extend_from_slice(&(pos as u32).to_be_bytes());
            self.bytes_since_index = 0;
            added = true;
            self.maybe_time_entry(time_buf);
        }
        self.bytes_since_index += size;
        added
    }

    /// Append a time index entry if the max timestamp grew since the last entry.
    fn maybe_time_entry(&mut self, time_buf: &mut Vec<u8>) {
        if self.max_ts >= 0 && self.time_index.last().map_or(true, |e| self.max_ts > e.0) {
            let rel = (self.max_ts_offset - self.base) as u32;
            self.time_index.push((self.max_ts, rel));
            time_buf.extend_from_slice(&self.max_ts.to_be_bytes());
            time_buf.extend_from_slice(&rel.to_be_bytes());
        }
    }

    fn write_index_bytes(&mut self, idx: &[u8], time: &[u8]) -> Result<()> {
        if !idx.is_empty() {
            if let Some(f) = self.index_file.as_mut() {
                f.write_all(idx).map_err(io_err("write offset index"))?;
            }
        }
        if !time.is_empty() {
            if let Some(f) = self.time_file.as_mut() {
                f.write_all(time).map_err(io_err("write time index"))?;
            }
        }
        Ok(())
    }

    /// Close for appends: final time index entry, index files synced and closed.
    fn seal(&mut self) -> Result<()> {
        let mut t = Vec::new();
        self.maybe_time_entry(&mut t);
        self.write_index_bytes(&[], &t)?;
        for f in [self.index_file.take(), self.time_file.take()].into_iter().flatten() {
            f.sync_data().map_err(io_err("sync index"))?;
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        if self.dirty {
            self.log.sync_data().map_err(io_err("sync segment"))?;
            for f in [self.index_file.as_ref(), self.time_file.as_ref()].into_iter().flatten() {
                f.sync_data().map_err(io_err("sync index"))?;
            }
            self.dirty = false;
        }
        Ok(())
    }

    fn remove_files(dir: &Path, base: i64) {
        for ext in ["log", "index", "timeindex"] {
            let _ = fs::remove_file(Segment::path(dir, base, ext));
        }
    }
}

/// Read an offset index file; None if it fails the sanity checks.
fn load_index(path: &Path, seg_size: u64) -> Option<Vec<(u32, u32)>> {
    let data = fs::read(path).ok()?;
    if data.len() % INDEX_ENTRY != 0 {
        return None;
    }
    let mut v = Vec::with_capacity(data.len() / INDEX_ENTRY);
    for e in data.chunks_exact(INDEX_ENTRY) {
        let rel = u32::from_be_bytes(e[0..4].try_into().unwrap());
        let pos = u32::from_be_bytes(e[4..8].try_into().unwrap());
        if pos as u64 + MIN_BATCH > seg_size {
            return None;
        }
        if let Some(&(prel, ppos)) = v.last() {
            if rel <= prel || pos <= ppos {
                return None;
            }
        }
        v.push((rel, pos));
    }
    Some(v)
}

fn load_time_index(path: &Path) -> Option<Vec<(i64, u32)>> {
    let data = fs::read(path).ok()?;
    if data.len() % TIME_ENTRY != 0 {
        return None;
    }
    let mut v: Vec<(i64, u32)> = Vec::with_capacity(data.len() / TIME_ENTRY);
    for e in data.chunks_exact(TIME_ENTRY) {
        let ts = i64::from_be_bytes(e[0..8].try_into().unwrap());
        let rel = u32::from_be_bytes(e[8..12].try_into().unwrap());
        if ts < 0 {
            return None;
        }
        if let Some(&(pts, prel)) = v.last() {
            if ts <= pts || rel < prel {
                return None;
            }
        }
        v.push((ts, rel));
    }
    Some(v)
}

// ---------------------------------------------------------------------------------------------
// PartitionLog

#[derive(Debug)]
pub struct PartitionLog {
    dir: PathBuf,
    cfg: LogConfig,
    segments: Vec<Segment>,
    log_start: i64,
    producers: ProducerState,
    unflushed: u64,
    dir_dirty: bool,
    closed: bool,
}

impl PartitionLog {
    /// Open (creating if needed) and recover a partition directory.
    pub fn open(dir: impl AsRef<Path>, mut cfg: LogConfig) -> Result<PartitionLog> {
        let dir = dir.as_ref().to_path_buf();
        // Positions are u32 in the index: keep segments addressable.
        cfg.segment_bytes = cfg.segment_bytes.clamp(1, i32::MAX as u64);
        fs::create_dir_all(&dir).map_err(io_err(format!("create {}", dir.display())))?;
        let marker = dir.join(CLEAN_SHUTDOWN_FILE);
        let clean = marker.exists();
        if clean {
            // From now on a crash must look unclean.
            fs::remove_file(&marker).map_err(io_err("remove clean shutdown marker"))?;
        }

        let mut bases = Vec::new();
        let entries = fs::read_dir(&dir).map_err(io_err(format!("list {}", dir.display())))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                let _ = fs::remove_file(e.path());
                continue;
            }
            if let Some(stem) = name.strip_suffix(".log") {
                if stem.len() == 20 {
                    if let Ok(b) = stem.parse::<i64>() {
                        bases.push(b);
                    }
                }
            }
        }
        bases.sort_unstable();
        // Index files whose segment is gone (a crash during deletion) are dropped.
        if let Ok(entries) = fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let stem = name.strip_suffix(".index").or_else(|| name.strip_suffix(".timeindex"));
                if let Some(stem) = stem {
                    if stem.parse::<i64>().map_or(true, |b| bases.binary_search(&b).is_err()) {
                        let _ = fs::remove_file(e.path());
                    }
                }
            }
        }

        let checkpoint = fs::read_to_string(dir.join(LOG_START_FILE))
            .ok()
            .and_then(|s| s.lines().nth(1).and_then(|l| l.trim().parse::<i64>().ok()));

        let mut log = PartitionLog {
            dir: dir.clone(),
            cfg,
            segments: Vec::new(),
            log_start: 0,
            producers: ProducerState::new(),
            unflushed: 0,
            dir_dirty: false,
            closed: false,
        };

        if bases.is_empty() {
            let base = checkpoint.unwrap_or(0).max(0);
            log.segments.push(Segment::create(&dir, base)?);
            log.dir_dirty = true;
        }
        let n = bases.len();
        let mut i = 0;
        while i < n {
            let last = i + 1 == n;
            let (seg, damaged) = log.open_segment(bases[i], last, !clean && last)?;
            log.segments.push(seg);
            if damaged && !last {
                // Everything after a damaged segment is suspect: drop it (Kafka does the same).
                for &b in &bases[i + 1..] {
                    Segment::remove_files(&dir, b);
                }
                break;
            }
            i += 1;
        }
        // The last segment is the active one: open its index files for appends.
        let active = log.segments.last_mut().unwrap();
        if active.index_file.is_none() {
            let open = |ext: &str| {
                OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(Segment::path(&dir, active.base, ext))
                    .map_err(io_err("open index"))
            };
            active.index_file = Some(open("index")?);
            active.time_file = Some(open("timeindex")?);
        }

        let first_base = log.segments[0].base;
        let leo = log.log_end_offset();
        log.log_start = checkpoint.unwrap_or(first_base).max(first_base).min(leo);

        // Producer state: the snapshot (written at close and at each roll) covers every batch
        // below its end offset; batches from there on are replayed. Batches below the end never
        // change, so a snapshot beyond the (possibly truncated) log end is the only bad case.
        let snapshot = fs::read(dir.join(PRODUCER_SNAPSHOT_FILE)).ok().and_then(|d| ProducerState::decode_snapshot(&d));
        match snapshot {
            Some((end, state)) if end <= leo => {
                log.producers = state;
                log.replay_producers_from(end)?;
            }
            _ => log.replay_producers_from(i64::MIN)?,
        }
        Ok(log)
    }

    /// Open one existing segment. `recover`: full CRC scan, truncate a torn tail, rebuild indexes.
    /// Returns the segment and whether it had to be truncated.
    fn open_segment(&mut self, base: i64, active: bool, recover: bool) -> Result<(Segment, bool)> {
        let path = Segment::path(&self.dir, base, "log");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err(format!("open {}", path.display())))?;
        let size = file.metadata().map_err(io_err("stat segment"))?.len();
        let mut seg = Segment {
            base,
            log: Arc::new(file),
            size,
            next_offset: base,
            index: Vec::new(),
            time_index: Vec::new(),
            index_file: None,
            time_file: None,
            bytes_since_index: 0,
            max_ts: -1,
            max_ts_offset: -1,
            dirty: false,
        };
        if !recover {
            let idx = load_index(&Segment::path(&self.dir, base, "index"), size);
            let tix = load_time_index(&Segment::path(&self.dir, base, "timeindex"));
            if let (Some(idx), Some(tix)) = (idx, tix) {
                seg.index = idx;
                seg.time_index = tix;
                if self.check_tail(&mut seg)? {
                    return Ok((seg, false));
                }
            }
        }
        let damaged = self.rebuild_segment(&mut seg, recover || active)?;
        Ok((seg, damaged))
    }

    /// Cheap consistency check of a segment with loaded indexes: scan the batch headers after
    /// the last index entry; they must start where the index says and end at the file end.
    /// Fills next_offset, max timestamp and bytes_since_index.
    fn check_tail(&self, seg: &mut Segment) -> Result<bool> {
        let (start, start_offset) = match seg.index.last() {
            Some(&(rel, pos)) => (pos as u64, seg.base + rel as i64),
            None => (0, seg.base),
        };
        if let Some(&(ts, rel)) = seg.time_index.last() {
            seg.max_ts = ts;
            seg.max_ts_offset = seg.base + rel as i64;
        }
        let mut sc = Scanner::new(&seg.log, start, seg.size, start_offset, 64 * 1024);
        let mut first = true;
        loop {
            match sc.next(false).map_err(io_err("read segment"))? {
                Step::Batch { header, .. } => {
                    if first && seg.index.last().is_some() && header.base_offset != start_offset {
                        return Ok(false);
                    }
                    first = false;
                    if header.max_timestamp > seg.max_ts {
                        seg.max_ts = header.max_timestamp;
                        seg.max_ts_offset = header.base_offset;
                    }
                    seg.next_offset = header.last_offset() + 1;
                }
                Step::End => break,
                Step::Bad { .. } => return Ok(false),
            }
        }
        if let Some(&(_, rel)) = seg.time_index.last() {
            // Also catches entries left over for a segment that is empty.
            if seg.base + rel as i64 >= seg.next_offset {
                return Ok(false);
            }
        }
        if seg.size == 0 && !seg.index.is_empty() {
            return Ok(false);
        }
        seg.bytes_since_index = seg.size - start;
        Ok(true)
    }

    /// Scan a segment from the start (with CRCs when `verify`), truncate it after the last valid
    /// batch and write fresh index files. Returns true if bytes were cut off.
    fn rebuild_segment(&mut self, seg: &mut Segment, verify: bool) -> Result<bool> {
        seg.index.clear();
        seg.time_index.clear();
        seg.max_ts = -1;
        seg.max_ts_offset = -1;
        seg.bytes_since_index = 0;
        seg.next_offset = seg.base;
        let interval = self.cfg.index_interval_bytes;
        let mut idx_buf = Vec::new();
        let mut time_buf = Vec::new();
        let mut valid_end = 0u64;
        {
            let file = seg.log.clone();
            let mut sc = Scanner::new(&file, 0, seg.size, seg.base, 1 << 20);
            loop {
                let step = sc.next(verify).map_err(io_err("read segment"))?;
                match step {
                    Step::Batch { pos, header, size } => {
                        if header.max_timestamp > seg.max_ts {
                            seg.max_ts = header.max_timestamp;
                            seg.max_ts_offset = header.base_offset;
                        }
                        seg.maybe_index(interval, header.base_offset, pos, size, &mut idx_buf, &mut time_buf);
                        seg.next_offset = header.last_offset() + 1;
                        valid_end = pos + size;
                    }
                    Step::End => break,
                    Step::Bad { .. } => break,
                }
            }
        }
        let damaged = valid_end < seg.size;
        if damaged {
            seg.log.set_len(valid_end).map_err(io_err("truncate segment"))?;
            seg.size = valid_end;
        }
        let write = |ext: &str, data: &[u8]| -> Result<File> {
            let p = Segment::path(&self.dir, seg.base, ext);
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&p)
                .map_err(io_err("rewrite index"))?;
            f.write_all(data).map_err(io_err("rewrite index"))?;
            Ok(f)
        };
        write("index", &idx_buf)?;
        write("timeindex", &time_buf)?;
        Ok(damaged)
    }

    /// Replay the producer id of every batch whose base offset is >= `from` (and that is not
    /// entirely below the log start) into the producer state.
    fn replay_producers_from(&mut self, from: i64) -> Result<()> {
        if from == i64::MIN {
            self.producers = ProducerState::new();
        }
        let log_start = self.log_start;
        for seg in &self.segments {
            if seg.next_offset <= from || seg.size == 0 {
                continue;
            }
            let start = if from > seg.base { seg.lookup(from) } else { 0 };
            let mut sc = Scanner::new(&seg.log, start, seg.size, i64::MIN, 1 << 20);
            while let Step::Batch { header, .. } = sc.next(false).map_err(io_err("read segment"))? {
                let last = header.last_offset();
                if header.base_offset >= from && last >= log_start {
                    self.producers.replay(&header, last);
                }
            }
        }
        Ok(())
    }

    /// Write the producer snapshot valid for everything below `end` (tmp file + rename).
    fn write_producer_snapshot(&self, end: i64, sync: bool) -> Result<()> {
        let snap = self.producers.encode_snapshot(end);
        let tmp = self.dir.join(format!("{PRODUCER_SNAPSHOT_FILE}.tmp"));
        let mut f = File::create(&tmp).map_err(io_err("write producer snapshot"))?;
        f.write_all(&snap).map_err(io_err("write producer snapshot"))?;
        if sync {
            f.sync_all().map_err(io_err("sync producer snapshot"))?;
        }
        fs::rename(&tmp, self.dir.join(PRODUCER_SNAPSHOT_FILE)).map_err(io_err("rename producer snapshot"))?;
        Ok(())
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            return Err(StorageError::new(code::KAFKA_STORAGE_ERROR, "partition log is closed"));
        }
        Ok(())
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start
    }

    pub fn log_end_offset(&self) -> i64 {
        self.segments.last().map_or(0, |s| s.next_offset)
    }

    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.size).sum()
    }

    pub fn unflushed_messages(&self) -> u64 {
        self.unflushed
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn producer_state(&self) -> &ProducerState {
        &self.producers
    }

    // -----------------------------------------------------------------------------------------
    // Append

    pub fn append(&mut self, records: &[u8], now_ms: i64) -> Result<AppendResult> {
        self.check_open()?;
        let batches = batch::validate_record_set(records, &self.cfg.validation, now_ms)?;
        let log_append_time = if self.cfg.validation.log_append_time { now_ms } else { -1 };

        // A retry of a batch already in the log is answered with its original offsets.
        for b in &batches {
            if b.header.has_producer_id() {
                if let Some(dup) = self.producers.find_duplicate(&b.header) {
                    return Ok(AppendResult {
                        base_offset: dup.first_offset,
                        last_offset: dup.last_offset,
                        log_append_time: if log_append_time >= 0 { dup.timestamp } else { -1 },
                        log_start_offset: self.log_start,
                        record_count: dup.last_offset - dup.first_offset + 1,
                        duplicate: true,
                    });
                }
            }
        }

        let first_offset = self.log_end_offset();
        let mut next = first_offset;
        let mut pa = self.producers.begin();
        for b in &batches {
            if b.header.has_producer_id() {
                pa.append(&b.header, next, b.max_timestamp)?;
            }
            next += b.record_count();
        }
        let updates = pa.into_updates();
        let last_offset = next - 1;
        let total: u64 = batches.iter().map(|b| b.size as u64).sum();

        let active = self.segments.last().unwrap();
        if active.size > 0
            && (active.size + total > self.cfg.segment_bytes || last_offset - active.base > i32::MAX as i64)
        {
            self.roll()?;
        }

        // Patched headers + the payloads straight from the caller's buffer: one pwritev, no copy.
        let mut headers: Vec<[u8; HEADER_SIZE]> = Vec::with_capacity(batches.len());
        let mut off = first_offset;
        for b in &batches {
            let mut h = [0u8; HEADER_SIZE];
            h.copy_from_slice(&records[b.pos..b.pos + HEADER_SIZE]);
            batch::patch_header(&mut h, &records[b.pos + HEADER_SIZE..b.pos + b.size], off, b.rewrite);
            headers.push(h);
            off += b.record_count();
        }
        let mut iov: Vec<io::IoSlice> = Vec::with_capacity(batches.len() * 2);
        for (b, h) in batches.iter().zip(&headers) {
            iov.push(io::IoSlice::new(h));
            iov.push(io::IoSlice::new(&records[b.pos + HEADER_SIZE..b.pos + b.size]));
        }
        let seg = self.segments.last_mut().unwrap();
        let start = seg.size;
        if let Err(e) = pwritev_all(&seg.log, &iov, start) {
            let _ = seg.log.set_len(start);
            return Err(StorageError::io("append to segment", e));
        }
        seg.dirty = true;

        let interval = self.cfg.index_interval_bytes;
        let mut idx_buf = Vec::new();
        let mut time_buf = Vec::new();
        let mut pos = start;
        let mut off = first_offset;
        for b in &batches {
            if b.max_timestamp > seg.max_ts {
                seg.max_ts = b.max_timestamp;
                seg.max_ts_offset = off + b.offset_delta_of_max as i64;
            }
            seg.maybe_index(interval, off, pos, b.size as u64, &mut idx_buf, &mut time_buf);
            pos += b.size as u64;
            off += b.record_count();
        }
        seg.size = pos;
        seg.next_offset = last_offset + 1;
        seg.write_index_bytes(&idx_buf, &time_buf)?;

        self.producers.commit(updates);
        let count = last_offset - first_offset + 1;
        self.unflushed += count as u64;
        if self.unflushed >= self.cfg.flush_interval_messages {
            self.flush()?;
        }
        Ok(AppendResult {
            base_offset: first_offset,
            last_offset,
            log_append_time,
            log_start_offset: self.log_start,
            record_count: count,
            duplicate: false,
        })
    }

    /// Start a new active segment at the log end offset.
    fn roll(&mut self) -> Result<()> {
        let base = self.log_end_offset();
        self.segments.last_mut().unwrap().seal()?;
        let seg = Segment::create(&self.dir, base)?;
        self.segments.push(seg);
        self.dir_dirty = true;
        // Bounds the replay after a crash to the active segment. Only an optimisation: a failed
        // write leaves the older snapshot, which is still correct.
        let _ = self.write_producer_snapshot(base, false);
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Read

    fn segment_index_for(&self, offset: i64) -> usize {
        let i = self.segments.partition_point(|s| s.base <= offset);
        i.saturating_sub(1)
    }

    pub fn read(&self, offset: i64, max_bytes: i64) -> Result<FileSlice> {
        self.check_open()?;
        let leo = self.log_end_offset();
        if offset < self.log_start || offset > leo {
            return Err(StorageError::new(
                code::OFFSET_OUT_OF_RANGE,
                format!("Offset {offset} is out of range [{}, {leo}]", self.log_start),
            ));
        }
        if offset == leo {
            let active = self.segments.last().unwrap();
            return Ok(FileSlice { file: active.log.clone(), position: active.size, length: 0 });
        }
        for seg in &self.segments[self.segment_index_for(offset)..] {
            if seg.next_offset <= offset {
                continue;
            }
            if let Some((pos, _, size)) = seg.find_batch(offset)? {
                // KIP-74: at least the first whole batch, else up to max_bytes within the segment.
                let length = (max_bytes.max(0) as u64).min(seg.size - pos).max(size);
                return Ok(FileSlice { file: seg.log.clone(), position: pos, length });
            }
        }
        Err(StorageError::new(code::KAFKA_STORAGE_ERROR, format!("offset {offset} not found in the log")))
    }

    // -----------------------------------------------------------------------------------------
    // Timestamps

    /// Offset and timestamp of the first record with timestamp >= `ts` (at or after the log start).
    pub fn offset_for_timestamp(&self, ts: i64) -> Result<Option<(i64, i64)>> {
        self.check_open()?;
        for seg in &self.segments {
            if seg.max_ts < ts || seg.size == 0 || seg.next_offset <= self.log_start {
                continue;
            }
            let from = seg.time_lookup(ts).max(self.log_start);
            let start = seg.lookup(from);
            let mut sc = Scanner::new(&seg.log, start, seg.size, i64::MIN, 64 * 1024);
            while let Step::Batch { pos, header, size } = sc.next(false).map_err(io_err("read segment"))? {
                if header.max_timestamp < ts || header.last_offset() < self.log_start {
                    continue;
                }
                if let Some(found) = self.find_record(seg, pos, size, &header, |o, t| t >= ts && o >= self.log_start)? {
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }

    /// First record of the batch at `pos` that satisfies `pred(offset, timestamp)`.
    fn find_record(
        &self,
        seg: &Segment,
        pos: u64,
        size: u64,
        header: &BatchHeader,
        pred: impl Fn(i64, i64) -> bool,
    ) -> Result<Option<(i64, i64)>> {
        if header.is_log_append_time() {
            let start = header.base_offset.max(self.log_start);
            return Ok(if start <= header.last_offset() && pred(start, header.max_timestamp) {
                Some((start, header.max_timestamp))
            } else {
                None
            });
        }
        let data = seg.read_at(pos, size)?;
        let mut found = None;
        let res = batch::walk_records(&data[HEADER_SIZE..], header.codec(), header.records_count, |i, d| {
            let (o, t) = (header.base_offset + i as i64, header.base_timestamp.wrapping_add(d));
            if found.is_none() && pred(o, t) {
                found = Some((o, t));
            }
            Ok(())
        });
        res.map_err(|e| StorageError::new(code::KAFKA_STORAGE_ERROR, format!("unreadable batch in the log: {}", e.message)))?;
        Ok(found)
    }

    /// Offset and timestamp of the record with the largest timestamp (the first one on ties).
    pub fn max_timestamp(&self) -> Result<Option<(i64, i64)>> {
        self.check_open()?;
        let mut best: Option<&Segment> = None;
        for seg in &self.segments {
            if seg.max_ts >= 0 && best.map_or(true, |b| seg.max_ts > b.max_ts) {
                best = Some(seg);
            }
        }
        let Some(seg) = best else { return Ok(None) };
        if let Some((pos, header, size)) = seg.find_batch(seg.max_ts_offset)? {
            let max = seg.max_ts;
            if let Some(found) = self.find_record(seg, pos, size, &header, |_, t| t == max)? {
                return Ok(Some(found));
            }
        }
        Ok(Some((seg.max_ts_offset, seg.max_ts)))
    }

    // -----------------------------------------------------------------------------------------
    // Deletion

    fn write_log_start(&mut self) -> Result<()> {
        let tmp = self.dir.join(format!("{LOG_START_FILE}.tmp"));
        let body = format!("fastlog-log-start-offset v1\n{}\n", self.log_start);
        let mut f = File::create(&tmp).map_err(io_err("write log start offset"))?;
        f.write_all(body.as_bytes()).map_err(io_err("write log start offset"))?;
        f.sync_data().map_err(io_err("sync log start offset"))?;
        fs::rename(&tmp, self.dir.join(LOG_START_FILE)).map_err(io_err("rename log start offset"))?;
        self.dir_dirty = true;
        Ok(())
    }

    /// Drop the first `n` segments (never the active one).
    fn delete_first_segments(&mut self, n: usize) {
        let n = n.min(self.segments.len() - 1);
        for seg in self.segments.drain(..n) {
            Segment::remove_files(&self.dir, seg.base);
        }
        if n > 0 {
            self.dir_dirty = true;
        }
    }

    /// DeleteRecords: raise the log start offset to `offset` and drop the segments below it.
    pub fn delete_records_before(&mut self, offset: i64) -> Result<i64> {
        self.check_open()?;
        let leo = self.log_end_offset();
        if offset < 0 || offset > leo {
            return Err(StorageError::new(
                code::OFFSET_OUT_OF_RANGE,
                format!("Cannot increment the log start offset to {offset}: it is larger than the high watermark {leo}"),
            ));
        }
        if offset <= self.log_start {
            return Ok(self.log_start);
        }
        self.log_start = offset;
        if offset == leo && self.segments.last().unwrap().size > 0 {
            self.roll()?;
        }
        let n = self.segments.iter().take_while(|s| s.next_offset <= offset).count();
        self.delete_first_segments(n);
        self.write_log_start()?;
        Ok(self.log_start)
    }

    /// Delete the oldest segments older than `retention_ms` (by largest timestamp, file mtime when
    /// the segment has none) or beyond `retention_bytes` (-1: unlimited). Returns how many.
    /// Like Kafka, a non-empty active segment that breaches retention goes too: a new empty one is
    /// rolled first, so the log keeps its end offset.
    pub fn enforce_retention(&mut self, now_ms: i64, retention_ms: i64, retention_bytes: i64) -> Result<u32> {
        self.check_open()?;
        let count = self.segments.len();
        let mut n = 0;
        if retention_ms >= 0 {
            while n < count && self.segments[n].size > 0 {
                let seg = &self.segments[n];
                let ts = if seg.max_ts >= 0 {
                    seg.max_ts
                } else {
                    seg.log
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or_else(now_wall_ms, |d| d.as_millis() as i64)
                };
                if (now_ms as i128 - ts as i128) > retention_ms as i128 {
                    n += 1;
                } else {
                    break;
                }
            }
        }
        if retention_bytes >= 0 {
            let mut excess = self.size_bytes() as i64 - self.segments[..n].iter().map(|s| s.size as i64).sum::<i64>()
                - retention_bytes;
            while n < count && self.segments[n].size > 0 && excess - self.segments[n].size as i64 >= 0 {
                excess -= self.segments[n].size as i64;
                n += 1;
            }
        }
        if n == 0 {
            return Ok(0);
        }
        if n == count {
            self.roll()?;
        }
        self.delete_first_segments(n);
        let first = self.segments[0].base;
        if first > self.log_start {
            self.log_start = first;
            self.write_log_start()?;
        }
        Ok(n as u32)
    }

    // -----------------------------------------------------------------------------------------
    // Durability

    pub fn flush(&mut self) -> Result<()> {
        self.check_open()?;
        for seg in &mut self.segments {
            seg.sync()?;
        }
        if self.dir_dirty {
            File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io_err("sync directory"))?;
            self.dir_dirty = false;
        }
        self.unflushed = 0;
        Ok(())
    }

    /// Flush, write the producer snapshot and the clean-shutdown marker, release the files.
    pub fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let leo = self.log_end_offset();
        if let Some(seg) = self.segments.last_mut() {
            let mut t = Vec::new();
            seg.maybe_time_entry(&mut t);
            seg.write_index_bytes(&[], &t)?;
            seg.dirty = true;
        }
        self.flush()?;
        self.write_producer_snapshot(leo, true)?;
        let marker = self.dir.join(CLEAN_SHUTDOWN_FILE);
        File::create(&marker).and_then(|f| f.sync_all()).map_err(io_err("write clean shutdown marker"))?;
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io_err("sync directory"))?;
        self.segments.clear();
        self.closed = true;
        Ok(())
    }

    /// Close and remove the partition directory.
    pub fn delete(&mut self) -> Result<()> {
        self.segments.clear();
        self.closed = true;
        match fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io("delete partition directory", e)),
        }
    }
}

impl Drop for PartitionLog {
    fn drop(&mut self) {
        // Dropped without close(): leave no marker, the next open recovers.
        self.segments.clear();
    }
}

/// Write all of `iov` at `offset` with pwritev, continuing after partial writes.
fn pwritev_all(file: &File, iov: &[io::IoSlice], mut offset: u64) -> io::Result<()> {
    let fd = file.as_raw_fd();
    let mut bufs: Vec<libc::iovec> =
        iov.iter().map(|s| libc::iovec { iov_base: s.as_ptr() as *mut libc::c_void, iov_len: s.len() }).collect();
    let mut first = 0usize;
    while first < bufs.len() {
        let cnt = (bufs.len() - first).min(1024);
        let n = unsafe { libc::pwritev(fd, bufs[first..].as_ptr(), cnt as i32, offset as libc::off_t) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "pwritev wrote nothing"));
        }
        offset += n as u64;
        let mut n = n as usize;
        while n > 0 {
            let b = &mut bufs[first];
            if n >= b.iov_len {
                n -= b.iov_len;
                first += 1;
            } else {
                b.iov_base = unsafe { (b.iov_base as *mut u8).add(n) } as *mut libc::c_void;
                b.iov_len -= n;
                n = 0;
            }
        }
        while first < bufs.len() && bufs[first].iov_len == 0 {
            first += 1;
        }
    }
    Ok(())
}
