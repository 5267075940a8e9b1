//! The partition log (Kafka's UnifiedLog/LocalLog): an ordered list of segments, the last one
//! active, with append, read, timestamp lookups, deletion (DeleteRecords, retention) and
//! durability. Opening and recovery are in recovery.rs; each file format is documented in the
//! module that owns it (segment.rs, offset_index.rs, time_index.rs, producer.rs) and, as a whole,
//! in docs/storage-format.md.
//!
//! Files of a partition directory besides the segments:
//! - `log-start-offset`: text, two lines, `fastlog-log-start-offset v1` then the offset in
//!   decimal; written (tmp file, fsync, rename) when DeleteRecords or retention raise it.
//! - `producer-state.snapshot`: idempotent producer state (layout in producer.rs), written at
//!   close and at each roll.
//! - `recovery-point`: text, two lines, `fastlog-recovery-point v1` then an offset below which
//!   every batch was fsynced (Kafka's recovery point); written by `flush()` (at most once a
//!   second) and `close()`. Recovery after a crash checks every batch's CRC from there on.
//! - `.clean-shutdown`: empty marker written by `close()` after everything was flushed and
//!   deleted by the next open, so that a crash at any later point is seen as unclean.
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::batch::{self, AppendOrigin, BatchHeader, ValidationConfig, HEADER_SIZE};
use crate::error::{code, Result, StorageError};
use crate::producer::ProducerState;
use crate::record::{self, LogRecords};
use crate::recompress::{self, Compression};
use crate::segment_roll::SegmentClock;
use crate::segment::{io_err, FileSlice, Scanner, Segment, Step};

pub const CLEAN_SHUTDOWN_FILE: &str = ".clean-shutdown";
pub const LOG_START_FILE: &str = "log-start-offset";
pub const PRODUCER_SNAPSHOT_FILE: &str = "producer-state.snapshot";
pub const RECOVERY_POINT_FILE: &str = "recovery-point";
/// `flush()` rewrites the recovery point at most this often (Kafka checkpoints every 60 s); a
/// stale checkpoint only makes the next recovery check more.
const RECOVERY_POINT_INTERVAL_MS: u128 = 1000;

/// How serious a thing recovery found is (the broker logs it at that level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One thing open() did or found: a truncation, an index rebuild, damage, a missing range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryEvent {
    pub level: Level,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub segment_bytes: u64,
    pub index_interval_bytes: u64,
    pub flush_interval_messages: u64,
    pub validation: ValidationConfig,
    /// segment.ms and segment.jitter.ms (segment_roll.rs); i64::MAX = never by time.
    pub segment_ms: i64,
    pub segment_jitter_ms: i64,
    /// The topic's compression.type when it is a codec (None = `producer`: kept as sent).
    pub compression: Option<Compression>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1 << 30,
            index_interval_bytes: 4096,
            flush_interval_messages: u64::MAX,
            validation: ValidationConfig::default(),
            segment_ms: i64::MAX,
            segment_jitter_ms: 0,
            compression: None,
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

fn now_wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[derive(Debug)]
pub struct PartitionLog {
    pub(crate) dir: PathBuf,
    pub(crate) cfg: LogConfig,
    pub(crate) segments: Vec<Segment>,
    pub(crate) log_start: i64,
    pub(crate) producers: ProducerState,
    unflushed: u64,
    pub(crate) dir_dirty: bool,
    closed: bool,
    /// Every batch below it was fsynced (see RECOVERY_POINT_FILE).
    pub(crate) recovery_point: i64,
    recovery_point_written: Option<(i64, Instant)>,
    /// What open() did or found, for the broker to log.
    pub(crate) events: Vec<RecoveryEvent>,
    /// When the active segment rolls by time.
    active_clock: SegmentClock,
}

impl PartitionLog {
    /// A log with no segments yet (recovery fills it).
    pub(crate) fn empty(dir: PathBuf, cfg: LogConfig) -> PartitionLog {
        PartitionLog {
            dir,
            segments: Vec::new(),
            log_start: 0,
            producers: ProducerState::new(),
            unflushed: 0,
            dir_dirty: false,
            closed: false,
            recovery_point: 0,
            recovery_point_written: None,
            events: Vec::new(),
            active_clock: SegmentClock::new(now_wall_ms(), cfg.segment_ms, cfg.segment_jitter_ms),
            cfg,
        }
    }

    /// New topic configs for the live log: they apply from the next append (size and time
    /// limits from the next roll check, as in Kafka).
    pub fn configure(&mut self, cfg: LogConfig) {
        self.cfg = cfg;
    }

    /// What opening this directory truncated, rebuilt or found damaged (empty after a clean
    /// start of an undamaged log).
    pub fn recovery_events(&self) -> &[RecoveryEvent] {
        &self.events
    }

    pub(crate) fn event(&mut self, level: Level, message: String) {
        self.events.push(RecoveryEvent { level, message });
    }

    /// Offset below which every batch is known to be on disk (fsynced).
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }

    /// Write `recovery-point` (tmp file + rename; no fsync needed: a lost or older checkpoint
    /// only makes the next recovery check more, and a torn one is ignored).
    fn write_recovery_point(&mut self, sync: bool) -> Result<()> {
        let tmp = self.dir.join(format!("{RECOVERY_POINT_FILE}.tmp"));
        let body = format!("fastlog-recovery-point v1\n{}\n", self.recovery_point);
        let mut f = File::create(&tmp).map_err(io_err("write recovery point"))?;
        f.write_all(body.as_bytes()).map_err(io_err("write recovery point"))?;
        if sync {
            f.sync_data().map_err(io_err("sync recovery point"))?;
        }
        fs::rename(&tmp, self.dir.join(RECOVERY_POINT_FILE)).map_err(io_err("rename recovery point"))?;
        self.recovery_point_written = Some((self.recovery_point, Instant::now()));
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

    /// Bytes in the active segment: with segment.bytes, whether an append of a given size rolls
    /// (a roll syncs the sealed segment's indexes, which the broker keeps off its event loop).
    pub fn active_segment_bytes(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.size)
    }

    /// Whether appending `size` bytes fills the active segment past segment.bytes (the size rule
    /// of `append`'s roll; a recompressed batch may differ a little in size).
    pub fn rolls_by_size(&self, size: u64) -> bool {
        let active = self.active_segment_bytes();
        active > 0 && active + size > self.cfg.segment_bytes
    }

    pub fn unflushed_messages(&self) -> u64 {
        self.unflushed
    }

    /// Segments sealed by a roll whose index files the next flush still has to fsync.
    pub fn segments_awaiting_sync(&self) -> usize {
        self.segments.iter().filter(|s| s.indexes_unsynced).count()
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

    /// Validate `records` (one or more v2 batches; see `batch::validate_record_set` for what a
    /// client's produce may hold), assign offsets and append them, all or nothing.
    pub fn append(&mut self, records: &[u8], now_ms: i64, origin: AppendOrigin) -> Result<AppendResult> {
        self.check_open()?;
        let batches = batch::validate_record_set(records, &self.cfg.validation, now_ms, origin)?;
        // compression.type of the topic: batches in another codec are recompressed (then checked again).
        let recompressed = recompress::to_topic_codec(records, &batches, self.cfg.compression)?;
        let (records, batches) = match &recompressed {
            None => (records, batches),
            Some(buf) => (&buf[..], batch::validate_record_set(buf, &self.cfg.validation, now_ms, AppendOrigin::Coordinator)?),
        };
        let log_append_time = if self.cfg.validation.log_append_time { now_ms } else { -1 };

        // A retry of a batch already in the log is answered with its original offsets.
        for b in &batches {
            if b.header.has_producer_id() && !b.header.is_control() {
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
        let mut completed = Vec::new();
        for b in &batches {
            if b.header.is_control() {
                // Only the broker writes control batches (validation refuses clients'); a marker
                // ends its producer's transaction (txn.rs).
                if let Some(marker) = record::parse_txn_marker(&records[b.pos..b.pos + b.size]) {
                    completed.extend(pa.append_marker(&b.header, marker, next, b.max_timestamp)?);
                }
            } else if b.header.has_producer_id() {
                pa.append(&b.header, next, b.max_timestamp)?;
            }
            next += b.record_count();
        }
        let updates = pa.into_updates();
        let last_offset = next - 1;
        let total: u64 = batches.iter().map(|b| b.size as u64).sum();

        let active = self.segments.last().unwrap();
        let incoming_max_ts = batches.iter().map(|b| b.max_timestamp).max().unwrap_or(now_ms);
        if active.size > 0
            && (active.size + total > self.cfg.segment_bytes
                || last_offset - active.base > i32::MAX as i64
                || self.active_clock.should_roll(active, now_ms, incoming_max_ts, self.cfg.segment_ms)?)
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
        seg.write_at_end(&iov)?;

        let interval = self.cfg.index_interval_bytes;
        let mut pos = start;
        let mut off = first_offset;
        for b in &batches {
            if b.max_timestamp > seg.max_ts {
                seg.max_ts = b.max_timestamp;
                seg.max_ts_offset = off + b.offset_delta_of_max as i64;
            }
            seg.maybe_index(interval, off, pos, b.size as u64);
            pos += b.size as u64;
            off += b.record_count();
        }
        seg.size = pos;
        seg.next_offset = last_offset + 1;
        self.producers.commit(updates);
        self.index_aborted(&completed);
        let seg = self.segments.last_mut().unwrap();
        seg.write_indexes(false)?;

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
        self.segments.last_mut().unwrap().seal_unsynced()?;
        let seg = Segment::create(&self.dir, base)?;
        self.segments.push(seg);
        self.active_clock = SegmentClock::new(now_wall_ms(), self.cfg.segment_ms, self.cfg.segment_jitter_ms);
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

    /// The log end offset, if `offset` may be read: the log is open and the offset lies in
    /// [log start, log end]; else KAFKA_STORAGE_ERROR or OFFSET_OUT_OF_RANGE.
    fn check_readable(&self, offset: i64) -> Result<i64> {
        self.check_open()?;
        let leo = self.log_end_offset();
        if offset < self.log_start || offset > leo {
            return Err(StorageError::new(
                code::OFFSET_OUT_OF_RANGE,
                format!("Offset {offset} is out of range [{}, {leo}]", self.log_start),
            ));
        }
        Ok(leo)
    }

    pub fn read(&self, offset: i64, max_bytes: i64) -> Result<FileSlice> {
        self.read_below(offset, max_bytes, i64::MAX)
    }

    /// `read`, moving past segments that hold only empty batches only into segments based
    /// below `bound` (read_committed passes the last stable offset, whose segment it cuts).
    ///
    /// The answer starts at the first batch whose last offset is >= `offset` (KIP-74: at least
    /// that whole batch, else up to max_bytes within its segment) and reaches the first batch
    /// holding records. Where the rest of a segment is only empty batches (the cleaner keeps
    /// each idempotent producer's last batch, and whole segments of them after compaction),
    /// Kafka would answer those alone; librdkafka takes an answer without records for a fetch
    /// size too small, doubles it, and at the eleventh in a row fails with MSG_SIZE_TOO_LARGE.
    /// So the read goes on to the next segment, and answers the empty batches only when no
    /// records follow them.
    pub(crate) fn read_below(&self, offset: i64, max_bytes: i64, bound: i64) -> Result<FileSlice> {
        let leo = self.check_readable(offset)?;
        if offset == leo {
            let active = self.segments.last().unwrap();
            return Ok(FileSlice { file: active.log.clone(), position: active.size, length: 0 });
        }
        let mut only_empty: Option<FileSlice> = None;
        for seg in &self.segments[self.segment_index_for(offset)..] {
            if seg.next_offset <= offset {
                continue;
            }
            if only_empty.is_some() && seg.base >= bound {
                break;
            }
            let found = match seg.find_batch(offset) {
                Ok(found) => found,
                // Damage past the empty batches: answer those; the next fetch meets the damage.
                Err(_) if only_empty.is_some() => break,
                Err(e) => return Err(e),
            };
            let Some((pos, header, size)) = found else { continue };
            // Never past damage: what follows it is not a batch.
            let within = (max_bytes.max(0) as u64).min(seg.readable_end() - pos).max(size);
            let records_end = if header.records_count > 0 { Some(pos + size) } else { seg.records_end_after(pos + size)? };
            if let Some(end) = records_end {
                return Ok(FileSlice { file: seg.log.clone(), position: pos, length: within.max(end - pos) });
            }
            if only_empty.is_none() {
                only_empty = Some(FileSlice { file: seg.log.clone(), position: pos, length: within });
            }
            if seg.damage.is_some() {
                break;
            }
        }
        only_empty.ok_or_else(|| StorageError::new(code::KAFKA_STORAGE_ERROR, format!("offset {offset} not found in the log")))
    }

    /// The records from `offset` to the log end as it is now (batch by batch, see LogRecords).
    /// OFFSET_OUT_OF_RANGE outside [log start, log end], as `read`.
    pub fn records(&self, offset: i64) -> Result<LogRecords> {
        self.check_readable(offset)?;
        let mut regions = Vec::new();
        for seg in &self.segments[self.segment_index_for(offset)..] {
            if seg.next_offset <= offset || seg.size == 0 {
                continue;
            }
            let position = seg.lookup(offset);
            regions.push(FileSlice { file: seg.log.clone(), position, length: seg.size - position });
        }
        Ok(LogRecords::new(regions, offset))
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
            let mut sc = Scanner::new(seg.log.clone(), start, seg.size, i64::MIN, 64 * 1024);
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
        let res = batch::walk_records(&data[HEADER_SIZE..], header.codec(), header.records_count, i64::MAX, |i, d, _| {
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
            if seg.max_ts >= 0 && best.is_none_or(|b| seg.max_ts > b.max_ts) {
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
            seg.sync(&self.dir)?;
        }
        if self.dir_dirty {
            File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io_err("sync directory"))?;
            self.dir_dirty = false;
        }
        self.unflushed = 0;
        self.recovery_point = self.log_end_offset();
        let due = match self.recovery_point_written {
            None => true,
            Some((written, at)) => written != self.recovery_point && at.elapsed().as_millis() >= RECOVERY_POINT_INTERVAL_MS,
        };
        if due {
            self.write_recovery_point(false)?;
        }
        Ok(())
    }

    /// Flush, write the producer snapshot and the clean-shutdown marker, release the files.
    pub fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let leo = self.log_end_offset();
        if let Some(seg) = self.segments.last_mut() {
            seg.maybe_time_entry();
            seg.dirty = true; // so that flush's sync writes out its queued index entries
        }
        self.flush()?;
        if self.recovery_point_written.is_none_or(|(w, _)| w != self.recovery_point) {
            self.write_recovery_point(true)?;
        }
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

