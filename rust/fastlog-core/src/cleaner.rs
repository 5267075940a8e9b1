//! The log cleaner (Kafka's Cleaner): compaction of one partition log, keeping the last record
//! of each key. The broker (fastlog.storage.cleaner) decides when and which log to clean and
//! keeps the checkpoint; this module does one pass. docs/storage-format.md, "Log cleaner", is
//! the full rule.
//!
//! A pass runs in three steps so that appends and reads go on meanwhile:
//! 1. `plan` (log locked, cheap): the segments to clean, every closed segment from the first one
//!    up to the first uncleanable offset (the active segment, a segment younger than
//!    min.compaction.lag.ms, or damage), whose files it holds open.
//! 2. `CleanPlan::run` (log not locked): build the key map (key hash -> last offset) over the
//!    dirty part [first dirty, first uncleanable), at most `max_map_entries` keys: if they do not
//!    all fit, the map covers a prefix ending at a batch boundary (`end`, the next checkpoint).
//!    Then rewrite the segments holding offsets below `end`, grouped up to segment.bytes, into
//!    `<base>.log.cleaned` (+ `.index.cleaned`, `.timeindex.cleaned`), fsynced; at commit the
//!    replaced segments' `.txnindex` entries are written to `.txnindex.cleaned` (markers stay).
//! 3. `commit` (log locked): if the segments are still the planned ones, rename each
//!    `.log.cleaned` to `.log.swap` (the point from which recovery completes the swap), then
//!    delete the old segments, move the new index files and the `.swap` to their final names.
//!    Recovery (`recover_cleaner_files`, called by open) completes a swap that a crash
//!    interrupted and deletes `.cleaned` files: a kill at any moment loses nothing.
//!
//! The cleanable part never reaches the segment holding the last stable offset: every
//! transaction in it is decided (a commit or abort marker is in the log).
//!
//! Per batch below `end`: a record is kept unless a later offset of the same key is in the map,
//! it has no key, it is a tombstone (null value) in a batch whose max timestamp is older than
//! delete.retention.ms, or its batch belongs to an aborted transaction (the `.txnindex` entries
//! of the whole log, read at plan time: producer id, first offset, marker offset). Committed
//! transactional records are deduplicated like any others; aborted ones never enter the map.
//! A batch that keeps every record is copied byte for byte; one that keeps some is rebuilt with
//! its own codec (record::rebuild_batch: same offsets, producer fields, CRC recomputed); one that
//! keeps none is dropped, except that the last batch of each producer and the last batch of each
//! new segment stay as an empty batch (header only, records count 0), so that producer state
//! can be rebuilt from the log (as Kafka) and segments stay contiguous.
//!
//! A transaction marker (control batch) stays while any batch of its transaction is still in the
//! log (so recovery never sees a transaction without its end). Once none is, the first pass sets
//! its delete horizon (attribute bit 6, baseTimestamp = now + delete.retention.ms, as Kafka's
//! KIP-534); a pass after the horizon removes it (kept as an empty batch where a dropped batch
//! would be) and drops its `.txnindex` entry. The other `.txnindex` entries of the replaced
//! segments move to the new segment.
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::hash::Hasher;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::batch::{BatchHeader, HEADER_SIZE};
use crate::error::{code, Result, StorageError};
use crate::partition_log::{Level, PartitionLog, RecoveryEvent};
use crate::record::{decode_batch, parse_txn_marker, rebuild_batch};
use crate::segment::{io_err, segment_name, Scanner, Segment, Step};

/// Suffix of the files a pass writes before the swap.
pub const CLEANED_SUFFIX: &str = "cleaned";
/// Suffix of a cleaned segment that replaces the old ones (recovery completes the swap).
pub const SWAP_SUFFIX: &str = "swap";
/// Memory of one key map entry as Kafka counts it (a 16-byte key hash and an 8-byte offset):
/// log.cleaner.dedupe.buffer.size / this is the key budget.
pub const MAP_ENTRY_BYTES: u64 = 24;
/// Test hook: milliseconds to sleep after each file step of the commit (to kill a broker there).
pub const PAUSE_ENV: &str = "FASTLOG_CLEANER_TEST_PAUSE_MS";

/// What one pass may do.
#[derive(Debug, Clone, Copy)]
pub struct CleanOptions {
    /// The cleaner checkpoint: offsets below it were cleaned by an earlier pass (out of
    /// [log start, log end]: the log start).
    pub checkpoint: i64,
    pub now_ms: i64,
    pub min_compaction_lag_ms: i64,
    pub delete_retention_ms: i64,
    /// Size limit of a cleaned segment (small segments are grouped up to it).
    pub segment_bytes: u64,
    pub max_map_entries: usize,
}

/// How much of a log may be cleaned now (the broker compares dirty / (clean + dirty) with
/// min.cleanable.dirty.ratio).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cleanable {
    pub first_dirty: i64,
    pub first_uncleanable: i64,
    pub clean_bytes: u64,
    pub dirty_bytes: u64,
    /// Max timestamp of the first dirty batch (-1: none), for max.compaction.lag.ms.
    pub first_dirty_timestamp: i64,
}

/// What a pass did; `end` is the new checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanStats {
    pub first_dirty: i64,
    pub end: i64,
    pub segments_read: u64,
    pub segments_written: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub records_read: u64,
    pub records_removed: u64,
    pub tombstones_removed: u64,
    /// Records of aborted transactions removed (also counted in `records_removed`).
    pub aborted_removed: u64,
    /// Transaction markers removed (their delete horizon had passed).
    pub markers_removed: u64,
    pub keys: u64,
    pub batches_rewritten: u64,
    pub duration_ms: u64,
}

/// Limits the cleaner's I/O to a rate in bytes per second (log.cleaner.io.max.bytes.per.second),
/// shared by every cleaner thread like Kafka's throttler.
#[derive(Debug)]
pub struct Throttle {
    state: Mutex<(Instant, f64)>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle { state: Mutex::new((Instant::now(), 0.0)) }
    }
}

impl Throttle {
    /// Account for `bytes` of I/O and sleep as long as needed to stay under `rate` (<= 0 or
    /// infinite: no limit). The window restarts every second so a pause does not build credit.
    pub fn io(&self, bytes: u64, rate: f64) {
        if !(rate > 0.0 && rate.is_finite()) {
            return;
        }
        let wait = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let elapsed = s.0.elapsed().as_secs_f64();
            if elapsed > 1.0 {
                *s = (Instant::now(), 0.0);
            }
            s.1 += bytes as f64;
            let due = s.1 / rate;
            let elapsed = s.0.elapsed().as_secs_f64();
            (due - elapsed).max(0.0)
        };
        if wait > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(wait.min(10.0)));
        }
    }
}

/// 128 bits of hash of a key (two SipHash passes with different prefixes): the key map keeps
/// hashes, not keys, as Kafka's does (an MD5).
fn key_hash(k: &[u8]) -> u128 {
    let mut a = DefaultHasher::new();
    a.write_u8(0);
    a.write(k);
    let mut b = DefaultHasher::new();
    b.write_u8(1);
    b.write(k);
    ((a.finish() as u128) << 64) | b.finish() as u128
}

fn pause() {
    if let Some(ms) = std::env::var(PAUSE_ENV).ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// A closed segment a pass reads (its file held open).
#[derive(Debug)]
struct Source {
    base: i64,
    file: Arc<File>,
    size: u64,
    next_offset: i64,
}

/// Step 1's result: what `run` cleans.
#[derive(Debug)]
pub struct CleanPlan {
    dir: PathBuf,
    sources: Vec<Source>,
    first_dirty: i64,
    first_uncleanable: i64,
    opts: CleanOptions,
    index_interval: u64,
    /// Last offset of each producer's last batch (that batch is never dropped).
    producer_last_batches: HashSet<i64>,
    /// Aborted transactions of the whole log by producer id: (first offset, marker offset), in
    /// marker order (the `.txnindex` entries).
    aborted: HashMap<i64, Vec<(i64, i64)>>,
}

/// Transaction bookkeeping of the rewrite, in offset order across every segment of the pass.
#[derive(Debug, Default)]
struct TxnPass {
    /// Producers whose current transaction still has a batch in the cleaned log.
    batch_kept: HashSet<i64>,
    /// Offsets of the markers removed (their `.txnindex` entries go too).
    removed_markers: HashSet<i64>,
}

/// One new segment written by `run`, replacing `sources` (consecutive old segments).
#[derive(Debug)]
struct CleanedGroup {
    segment: Segment,
    sources: Vec<(i64, Arc<File>)>,
}

/// Step 2's result, for `commit`.
#[derive(Debug)]
pub struct CleanedLog {
    dir: PathBuf,
    groups: Vec<CleanedGroup>,
    stats: CleanStats,
    started: Instant,
    removed_markers: HashSet<i64>,
}

impl CleanedLog {
    /// Delete the `.cleaned` files (an aborted pass).
    pub fn discard(&self) {
        for g in &self.groups {
            remove_cleaned(&self.dir, g.segment.base);
        }
    }
}

fn cleaned_ext(ext: &str) -> String {
    format!("{ext}.{CLEANED_SUFFIX}")
}

fn remove_cleaned(dir: &Path, base: i64) {
    for ext in ["log", "index", "timeindex"] {
        let _ = fs::remove_file(Segment::path(dir, base, &cleaned_ext(ext)));
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err("sync directory"))
}

impl PartitionLog {
    /// The clean and dirty parts of the log for a cleaner checkpoint (see `Cleanable`).
    pub fn cleanable(&self, checkpoint: i64, now_ms: i64, min_compaction_lag_ms: i64) -> Result<Cleanable> {
        let leo = self.log_end_offset();
        let first_dirty = if checkpoint < self.log_start || checkpoint > leo { self.log_start } else { checkpoint };
        let closed = &self.segments[..self.segments.len().saturating_sub(1)];
        let mut first_uncleanable = self.segments.last().map_or(leo, |s| s.base);
        let lso = self.last_stable_offset();
        for seg in closed {
            let too_young = min_compaction_lag_ms > 0 && seg.max_ts > now_ms.saturating_sub(min_compaction_lag_ms);
            // An undecided transaction's records may not be cleaned (Kafka: the first unstable offset).
            let unstable = seg.next_offset > lso;
            if seg.damage.is_some() || unstable || (seg.next_offset > first_dirty && too_young) {
                first_uncleanable = first_uncleanable.min(seg.base);
                break;
            }
        }
        let (mut clean_bytes, mut dirty_bytes, mut first_dirty_timestamp) = (0, 0, -1);
        for seg in closed.iter().filter(|s| s.base < first_uncleanable) {
            if seg.next_offset <= first_dirty {
                clean_bytes += seg.size;
            } else {
                dirty_bytes += seg.size;
                if first_dirty_timestamp < 0 {
                    if let Some((_, h, _)) = seg.find_batch(first_dirty)? {
                        first_dirty_timestamp = h.max_timestamp;
                    }
                }
            }
        }
        Ok(Cleanable { first_dirty, first_uncleanable, clean_bytes, dirty_bytes, first_dirty_timestamp })
    }

    /// Step 1: what a pass would clean; None when the dirty part is empty.
    pub fn clean_plan(&self, opts: CleanOptions) -> Result<Option<CleanPlan>> {
        if self.segments.is_empty() {
            return Err(StorageError::new(code::KAFKA_STORAGE_ERROR, "partition log is closed"));
        }
        let c = self.cleanable(opts.checkpoint, opts.now_ms, opts.min_compaction_lag_ms)?;
        if c.first_dirty >= c.first_uncleanable || c.dirty_bytes == 0 {
            return Ok(None);
        }
        let sources = self.segments[..self.segments.len() - 1]
            .iter()
            .take_while(|s| s.base < c.first_uncleanable && s.damage.is_none())
            .map(|s| Source { base: s.base, file: s.log.clone(), size: s.size, next_offset: s.next_offset })
            .collect();
        let producer_last_batches =
            self.producers.producers.values().filter_map(|p| p.batches.back().map(|b| b.last_offset)).collect();
        let mut aborted: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for e in self.segments.iter().flat_map(|s| s.txn_index.entries.iter()) {
            aborted.entry(e.producer_id).or_default().push((e.first_offset, e.last_offset));
        }
        Ok(Some(CleanPlan {
            dir: self.dir.clone(),
            sources,
            first_dirty: c.first_dirty,
            first_uncleanable: c.first_uncleanable,
            opts,
            index_interval: self.cfg.index_interval_bytes,
            producer_last_batches,
            aborted,
        }))
    }

    /// Step 3: swap the cleaned segments in. Ok(None) when the log changed meanwhile (segments
    /// deleted by retention or DeleteRecords, or the log closed): the pass is discarded.
    pub fn commit_clean(&mut self, mut cleaned: CleanedLog) -> Result<Option<CleanStats>> {
        // Each group's sources must still be consecutive segments of the log, the same files.
        let mut at = Vec::with_capacity(cleaned.groups.len());
        for g in &cleaned.groups {
            let i = self.segments.partition_point(|s| s.base < g.sources[0].0);
            let same = g.sources.len() < self.segments.len().saturating_sub(i)
                && g.sources.iter().zip(&self.segments[i..]).all(|((b, f), s)| *b == s.base && Arc::ptr_eq(f, &s.log));
            if !same {
                cleaned.discard();
                return Ok(None);
            }
            at.push(i);
        }
        let dir = cleaned.dir.clone();
        // The aborted-transaction index entries of the replaced segments move to the new one,
        // except those of the markers the pass removed. Sealed segments' entries no longer
        // change, so reading them now (log locked) is exact.
        for (g, &i) in cleaned.groups.iter_mut().zip(&at) {
            let entries: Vec<_> = self.segments[i..i + g.sources.len()]
                .iter()
                .flat_map(|s| s.txn_index.entries.iter().copied())
                .filter(|e| !cleaned.removed_markers.contains(&e.last_offset))
                .collect();
            if !entries.is_empty() {
                g.segment.txn_index.entries = entries;
                let path = Segment::path(&dir, g.segment.base, &cleaned_ext("txnindex"));
                let bytes = g.segment.txn_index.encode_all();
                let write = || -> io::Result<()> {
                    let mut f = File::create(&path)?;
                    io::Write::write_all(&mut f, &bytes)?;
                    f.sync_all()
                };
                if let Err(e) = write() {
                    cleaned.discard();
                    return Err(StorageError::io("write cleaned transaction index", e));
                }
            }
        }
        for g in &cleaned.groups {
            let b = g.segment.base;
            fs::rename(Segment::path(&dir, b, &cleaned_ext("log")), Segment::path(&dir, b, &format!("log.{SWAP_SUFFIX}")))
                .map_err(io_err("rename cleaned segment"))?;
        }
        sync_dir(&dir)?;
        pause();
        let mut stats = cleaned.stats;
        for (g, &i) in cleaned.groups.into_iter().zip(&at).rev() {
            let b = g.segment.base;
            for (old, _) in &g.sources {
                Segment::remove_files(&dir, *old);
            }
            pause();
            swap_in(&dir, b)?;
            pause();
            self.segments.splice(i..i + g.sources.len(), [g.segment]);
        }
        sync_dir(&dir)?;
        self.dir_dirty = false;
        stats.duration_ms = cleaned.started.elapsed().as_millis() as u64;
        Ok(Some(stats))
    }
}

/// Move a cleaned segment's index files and its `.log.swap` to their final names (the old
/// segments it replaces are already deleted).
fn swap_in(dir: &Path, base: i64) -> Result<()> {
    for ext in ["index", "timeindex", "txnindex"] {
        let from = Segment::path(dir, base, &cleaned_ext(ext));
        if from.exists() {
            fs::rename(&from, Segment::path(dir, base, ext)).map_err(io_err("rename cleaned index"))?;
        }
    }
    fs::rename(Segment::path(dir, base, &format!("log.{SWAP_SUFFIX}")), Segment::path(dir, base, "log"))
        .map_err(io_err("rename swap segment"))
}

/// Writes one new segment as `<base>.log.cleaned` with its indexes.
struct GroupWriter {
    segment: Segment,
    buf: Vec<u8>,
    written: u64,
}

impl GroupWriter {
    fn create(dir: &Path, base: i64) -> Result<GroupWriter> {
        let segment = Segment::create_files(dir, base, cleaned_ext)?;
        Ok(GroupWriter { segment, buf: Vec::with_capacity(1 << 20), written: 0 })
    }

    fn push(&mut self, batch: &[u8], base_offset: i64, last_offset: i64, max_ts: i64, interval: u64) -> Result<()> {
        let seg = &mut self.segment;
        let pos = seg.size + self.buf.len() as u64;
        if max_ts > seg.max_ts {
            seg.max_ts = max_ts;
            seg.max_ts_offset = base_offset;
        }
        seg.maybe_index(interval, base_offset, pos, batch.len() as u64);
        seg.next_offset = last_offset + 1;
        self.buf.extend_from_slice(batch);
        if self.buf.len() >= 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.segment.size += self.buf.len() as u64;
            self.written += self.buf.len() as u64;
            let seg = &mut self.segment;
            let start = seg.size - self.buf.len() as u64;
            use std::os::unix::fs::FileExt;
            seg.log.write_all_at(&self.buf, start).map_err(io_err("write cleaned segment"))?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Flush, write and fsync the indexes and the log file.
    fn finish(mut self, next_offset: i64) -> Result<Segment> {
        self.flush()?;
        let mut seg = self.segment;
        seg.next_offset = next_offset;
        seg.seal()?;
        seg.log.sync_all().map_err(io_err("sync cleaned segment"))?;
        Ok(seg)
    }
}

impl CleanPlan {
    pub fn first_dirty(&self) -> i64 {
        self.first_dirty
    }

    /// Step 2: build the key map and write the cleaned segments (no lock held; `throttle` and
    /// `io_rate` bound the I/O rate).
    pub fn run(self, throttle: &Throttle, io_rate: f64) -> Result<CleanedLog> {
        let started = Instant::now();
        let mut stats = CleanStats { first_dirty: self.first_dirty, ..CleanStats::default() };
        let cap = self.opts.max_map_entries.max(1);
        let mut map: HashMap<u128, i64> = HashMap::with_capacity(cap.min(1 << 16));
        let mut end = self.first_uncleanable;

        // The key map over the dirty part, stopping before a batch whose keys might not fit.
        'map: for src in self.sources.iter().filter(|s| s.next_offset > self.first_dirty) {
            let start = if src.base >= self.first_dirty { 0 } else { find_position(src, self.first_dirty)? };
            let mut sc = Scanner::new(src.file.clone(), start, src.size, i64::MIN, 1 << 20);
            while let Some((pos, header, size)) = next_batch(&mut sc, src)? {
                if header.last_offset() < self.first_dirty {
                    continue;
                }
                if !map.is_empty() && map.len() + header.records_count.max(0) as usize > cap {
                    end = header.base_offset;
                    break 'map;
                }
                throttle.io(size, io_rate);
                stats.bytes_read += size;
                if header.is_control() || self.is_aborted(&header) {
                    continue;
                }
                let batch = decode_batch(sc.bytes(pos, size))?;
                for r in &batch.records {
                    if let (Some(k), true) = (&r.key, r.offset >= self.first_dirty) {
                        map.insert(key_hash(k), r.offset);
                    }
                }
            }
        }
        stats.keys = map.len() as u64;
        stats.end = end;

        // Rewrite every segment holding offsets below `end`, grouped up to segment.bytes.
        let todo: Vec<&Source> = self.sources.iter().filter(|s| s.base < end).collect();
        let tombstone_horizon = self.opts.now_ms.saturating_sub(self.opts.delete_retention_ms);
        let mut groups = Vec::new();
        let mut txns = TxnPass::default();
        let mut i = 0;
        while i < todo.len() {
            let mut j = i + 1;
            let mut bytes = todo[i].size;
            while j < todo.len()
                && bytes + todo[j].size <= self.opts.segment_bytes
                && todo[j].next_offset - todo[i].base <= i32::MAX as i64
            {
                bytes += todo[j].size;
                j += 1;
            }
            let group = &todo[i..j];
            let mut w = GroupWriter::create(&self.dir, group[0].base)?;
            let result = (|| {
                for (n, src) in group.iter().enumerate() {
                    let last_source = n + 1 == group.len();
                    let pass = (&map, &mut txns, &mut stats);
                    self.clean_segment(src, last_source, end, tombstone_horizon, pass, &mut w, throttle, io_rate)?;
                    stats.segments_read += 1;
                }
                Ok::<_, StorageError>(())
            })();
            let next = group.last().unwrap().next_offset;
            let written = w.written + w.buf.len() as u64;
            let finished = result.and_then(|_| w.finish(next));
            let seg = match finished {
                Ok(seg) => seg,
                Err(e) => {
                    remove_cleaned(&self.dir, group[0].base);
                    for g in &groups {
                        let g: &CleanedGroup = g;
                        remove_cleaned(&self.dir, g.segment.base);
                    }
                    return Err(e);
                }
            };
            stats.bytes_written += written;
            throttle.io(written, io_rate);
            stats.segments_written += 1;
            groups.push(CleanedGroup { segment: seg, sources: group.iter().map(|s| (s.base, s.file.clone())).collect() });
            pause();
            i = j;
        }
        Ok(CleanedLog { dir: self.dir, groups, stats, started, removed_markers: txns.removed_markers })
    }

    /// Whether a data batch belongs to an aborted transaction: its producer has an abort marker
    /// after it whose transaction started at or before it.
    fn is_aborted(&self, h: &BatchHeader) -> bool {
        if !h.is_transactional() || h.is_control() {
            return false;
        }
        let Some(txns) = self.aborted.get(&h.producer_id) else { return false };
        let i = txns.partition_point(|&(_, marker)| marker <= h.base_offset);
        txns.get(i).is_some_and(|&(first, _)| first <= h.base_offset)
    }

    /// What becomes of a control batch below `end` (see the module comment).
    fn marker_fate(&self, h: &BatchHeader, bytes: &[u8], txns: &mut TxnPass) -> MarkerFate {
        let batch_kept = txns.batch_kept.remove(&h.producer_id);
        if batch_kept || parse_txn_marker(bytes).is_none() {
            return MarkerFate::Keep;
        }
        match h.delete_horizon() {
            None => MarkerFate::SetHorizon(self.opts.now_ms.saturating_add(self.opts.delete_retention_ms)),
            Some(horizon) if horizon > self.opts.now_ms => MarkerFate::Keep,
            Some(_) => MarkerFate::Remove,
        }
    }

    /// Copy one old segment's batches into `w`, without the records the map supersedes.
    #[allow(clippy::too_many_arguments)]
    fn clean_segment(
        &self,
        src: &Source,
        last_source: bool,
        end: i64,
        tombstone_horizon: i64,
        (map, txns, stats): (&HashMap<u128, i64>, &mut TxnPass, &mut CleanStats),
        w: &mut GroupWriter,
        throttle: &Throttle,
        io_rate: f64,
    ) -> Result<()> {
        let interval = self.index_interval;
        let mut sc = Scanner::new(src.file.clone(), 0, src.size, i64::MIN, 1 << 20);
        let mut peeked = next_batch(&mut sc, src)?;
        while let Some((pos, header, size)) = peeked {
            let bytes = sc.bytes(pos, size).to_vec();
            peeked = next_batch(&mut sc, src)?;
            let last_of_segment = last_source && peeked.is_none();
            throttle.io(size, io_rate);
            stats.bytes_read += size;
            let producer_last = header.has_producer_id() && self.producer_last_batches.contains(&header.last_offset());
            if header.base_offset >= end {
                w.push(&bytes, header.base_offset, header.last_offset(), header.max_timestamp, interval)?;
                continue;
            }
            if header.is_control() {
                let rebuilt = match self.marker_fate(&header, &bytes, txns) {
                    MarkerFate::Keep => None,
                    MarkerFate::SetHorizon(h) => Some(rebuild_batch(&header, &decode_batch(&bytes)?.records, Some(h))?),
                    MarkerFate::Remove => {
                        txns.removed_markers.insert(header.base_offset);
                        stats.markers_removed += 1;
                        if !last_of_segment && !producer_last {
                            continue;
                        }
                        Some(rebuild_batch(&header, &[], None)?)
                    }
                };
                match rebuilt {
                    None => w.push(&bytes, header.base_offset, header.last_offset(), header.max_timestamp, interval)?,
                    Some(b) => {
                        stats.batches_rewritten += 1;
                        w.push(&b, header.base_offset, header.last_offset(), header.max_timestamp, interval)?
                    }
                }
                continue;
            }
            let aborted = self.is_aborted(&header);
            let batch = decode_batch(&bytes)?;
            stats.records_read += batch.records.len() as u64;
            if aborted {
                stats.aborted_removed += batch.records.len() as u64;
            }
            let tombstones_expire = header.max_timestamp < tombstone_horizon;
            let mut keep = Vec::with_capacity(batch.records.len());
            for r in batch.records.into_iter().filter(|_| !aborted) {
                let superseded = r.key.as_deref().is_none_or(|k| map.get(&key_hash(k)).is_some_and(|&l| r.offset < l));
                if superseded {
                    continue;
                }
                if r.value.is_none() && tombstones_expire {
                    stats.tombstones_removed += 1;
                    continue;
                }
                keep.push(r);
            }
            let removed = header.records_count.max(0) as u64 - keep.len() as u64;
            stats.records_removed += removed;
            let kept = removed == 0 || !keep.is_empty() || last_of_segment || producer_last;
            if removed == 0 {
                w.push(&bytes, header.base_offset, header.last_offset(), header.max_timestamp, interval)?;
            } else if kept {
                let rebuilt = rebuild_batch(&header, &keep, None)?;
                stats.batches_rewritten += 1;
                let max_ts = i64::from_be_bytes(rebuilt[35..43].try_into().unwrap());
                w.push(&rebuilt, header.base_offset, header.last_offset(), max_ts, interval)?;
            }
            if kept && header.is_transactional() {
                txns.batch_kept.insert(header.producer_id);
            }
        }
        Ok(())
    }
}

/// What the cleaner does with a transaction marker below the cleaned end.
enum MarkerFate {
    Keep,
    /// Rewrite it with this delete horizon (first pass that finds its transaction gone).
    SetHorizon(i64),
    /// Its horizon passed: it goes, with its `.txnindex` entry.
    Remove,
}

/// Index (within its batch) of every record without a key in a produce record set: a compacted
/// topic refuses them (Kafka's LogValidator: INVALID_RECORD with one record error each). Control
/// batches are skipped; a malformed batch ends the scan (the append's validation reports it).
/// The records are walked, not decoded: the Produce fast path runs this on its threads for every
/// large request to a compacted topic, and copying each key and value there (decode_batch) left
/// each thread's malloc arena holding a request's worth of freed memory (docs/bench.md, "Peak RSS").
pub fn keyless_records(records: &[u8]) -> Vec<i32> {
    let mut out = Vec::new();
    let mut pos = 0;
    while records.len() - pos >= HEADER_SIZE {
        let h = crate::batch::BatchHeader::parse(&records[pos..]);
        let size = h.size();
        if h.batch_length < (HEADER_SIZE - crate::batch::LOG_OVERHEAD) as i32 || size > records.len() - pos {
            break;
        }
        if !h.is_control() {
            let found = out.len();
            let payload = &records[pos + HEADER_SIZE..pos + size];
            let walked = crate::batch::walk_records(payload, h.codec(), h.records_count, i64::MAX, |i, _, keyless| {
                if keyless {
                    out.push(i);
                }
                Ok(())
            });
            if walked.is_err() {
                out.truncate(found);
                break;
            }
        }
        pos += size;
    }
    out
}

/// Position of the batch holding `offset` in a source segment (a scan of its batch headers).
fn find_position(src: &Source, offset: i64) -> Result<u64> {
    let mut sc = Scanner::new(src.file.clone(), 0, src.size, i64::MIN, 1 << 16);
    loop {
        match sc.next(false).map_err(io_err("read segment"))? {
            Step::Batch { pos, header, .. } if header.last_offset() >= offset => return Ok(pos),
            Step::Batch { .. } => {}
            _ => return Ok(src.size),
        }
    }
}

/// Next batch of a source segment, loaded and CRC-checked; damage stops the pass.
fn next_batch(sc: &mut Scanner, src: &Source) -> Result<Option<(u64, crate::batch::BatchHeader, u64)>> {
    match sc.next_batch(true, true).map_err(io_err("read segment"))? {
        Step::Batch { pos, header, size } => {
            debug_assert!(size >= HEADER_SIZE as u64);
            Ok(Some((pos, header, size)))
        }
        Step::End => Ok(None),
        Step::Bad { pos, reason } => Err(StorageError::new(
            code::KAFKA_STORAGE_ERROR,
            format!("the cleaner stopped at byte position {pos} of {}: {reason}", segment_name(src.base, "log")),
        )),
    }
}

/// Recovery of what a crashed pass left (called by open before it lists the segments): a
/// `<base>.log.swap` replaces every segment whose base offset lies in [base, the swap's next
/// offset) (they are deleted, then the swap and its `.cleaned` indexes get their final names);
/// then every `*.cleaned` file is deleted (a pass that had not reached its swap).
pub(crate) fn recover_cleaner_files(dir: &Path) -> Result<Vec<RecoveryEvent>> {
    let mut events = Vec::new();
    let names: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(events),
        Err(e) => return Err(StorageError::io("list partition directory", e)),
    };
    let parse = |stem: &str| if stem.len() == 20 { stem.parse::<i64>().ok() } else { None };
    let swap_suffix = format!(".log.{SWAP_SUFFIX}");
    let mut swaps: Vec<i64> = names.iter().filter_map(|n| n.strip_suffix(&swap_suffix).and_then(parse)).collect();
    swaps.sort_unstable();
    let mut changed = false;
    for base in swaps {
        let path = Segment::path(dir, base, &format!("log.{SWAP_SUFFIX}"));
        let file = Arc::new(File::open(&path).map_err(io_err(format!("open {}", path.display())))?);
        let size = file.metadata().map_err(io_err("stat swap segment"))?.len();
        let mut sc = Scanner::new(file, 0, size, base, 1 << 20);
        let mut next = base + 1;
        while let Step::Batch { header, .. } = sc.next(true).map_err(io_err("read swap segment"))? {
            next = header.last_offset() + 1;
        }
        let old: Vec<i64> = names
            .iter()
            .filter_map(|n| n.strip_suffix(".log").and_then(parse))
            .filter(|&b| b >= base && b < next)
            .collect();
        for b in &old {
            Segment::remove_files(dir, *b);
        }
        swap_in(dir, base)?;
        changed = true;
        events.push(RecoveryEvent {
            level: Level::Info,
            message: format!(
                "completed an interrupted cleaner swap: {} replaces {} old segment(s) up to offset {}",
                segment_name(base, "log"),
                old.len(),
                next - 1
            ),
        });
    }
    let cleaned_suffix = format!(".{CLEANED_SUFFIX}");
    let mut removed = 0;
    for n in names.iter().filter(|n| n.ends_with(&cleaned_suffix)) {
        if fs::remove_file(dir.join(n)).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        changed = true;
        events.push(RecoveryEvent {
            level: Level::Info,
            message: format!("deleted {removed} file(s) of an interrupted cleaner pass (*.{CLEANED_SUFFIX})"),
        });
    }
    if changed {
        sync_dir(dir)?;
    }
    Ok(events)
}
