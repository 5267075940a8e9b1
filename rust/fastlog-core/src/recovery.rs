//! Opening a partition directory (Kafka's LogLoader): which files to trust, which to rebuild,
//! where to cut a torn tail, what to mark damaged, and the producer state to start from; and
//! `verify_partition`, the read-only check behind `fastlog verify`.
//!
//! On open (docs/storage-format.md, "Recovery", is the full rule):
//! 1. `*.tmp` files and index files without a `.log` are deleted.
//! 2. Segments are trusted after a clean shutdown, and below the recovery point
//!    (`recovery-point`, partition_log.rs) after a crash: their indexes are checked and the batch
//!    headers after the last offset index entry scanned; inconsistent indexes are rebuilt.
//! 3. After a crash every segment holding offsets at or after the recovery point is fully
//!    checked: every batch's CRC, indexes rebuilt.
//! 4. At the first bad batch: a closed segment is marked damaged from there (never truncated,
//!    later segments kept; reads reaching it get CORRUPT_MESSAGE); the active segment is
//!    truncated there if nothing good follows (a torn tail), else treated like a closed one and
//!    a new active segment rolled. Holes between segments are reported.
//! 5. The log start offset is `clamp(checkpoint, first segment base, log end offset)`.
//! 6. Producer state comes from `producer-state.snapshot` (producer.rs) plus a replay of the
//!    batch headers at or after its end offset, or from a scan of every batch header when the
//!    snapshot is missing, damaged or beyond the log end.
//! 7. A segment's `.txnindex` (txn_index.rs) is trusted like its other indexes when it parses;
//!    when it is missing or malformed, or the segment was checked after a crash, it is rebuilt
//!    from the markers met by the producer-state replay of step 6, which then starts no later
//!    than the first such segment (from the log start when the snapshot is newer than that).
//!
//! Everything done or found is a `RecoveryEvent` (level + message naming segment file, offset
//! and byte position) that the broker logs.
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::batch::{BatchHeader, HEADER_SIZE, LOG_OVERHEAD};
use crate::error::Result;
use crate::offset_index::OffsetIndex;
use crate::partition_log::{
    Level, LogConfig, PartitionLog, RecoveryEvent, CLEAN_SHUTDOWN_FILE, LOG_START_FILE, PRODUCER_SNAPSHOT_FILE,
    RECOVERY_POINT_FILE,
};
use crate::producer::ProducerState;
use crate::segment::{io_err, segment_name, Damage, Scanner, Segment, Step};
use crate::time_index::TimeIndex;
use crate::txn_index::AbortedTxn;
use crate::record;

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

        // A cleaner pass cut short: complete its swap or drop its files (cleaner.rs).
        let cleaner_events = crate::cleaner::recover_cleaner_files(&dir)?;
        let bases = list_segments(&dir)?;
        let checkpoint = read_offset_file(&dir.join(LOG_START_FILE));
        let recovery_point = read_offset_file(&dir.join(RECOVERY_POINT_FILE));

        let mut log = PartitionLog::empty(dir.clone(), cfg);
        log.events.extend(cleaner_events);
        if bases.is_empty() {
            let base = checkpoint.unwrap_or(0).max(0);
            log.segments.push(Segment::create(&dir, base)?);
            log.dir_dirty = true;
        }
        // After a crash every batch at or after the recovery point gets its CRC checked (all of
        // them without a checkpoint); a segment holds [base, next segment's base).
        let check_from = if clean { i64::MAX } else { recovery_point.unwrap_or(i64::MIN) };
        let n = bases.len();
        let mut checked = 0;
        // Per segment: its `.txnindex` must be rebuilt (step 7).
        let mut rebuild_txn = Vec::with_capacity(n + 1);
        for (i, &base) in bases.iter().enumerate() {
            let active = i + 1 == n;
            let full = !clean && (active || bases[i + 1] > check_from);
            checked += full as usize;
            let mut seg = log.open_segment(base, active, full)?;
            let txn_path = Segment::path(&dir, base, "txnindex");
            rebuild_txn.push(full || !seg.txn_index.load(&txn_path, base, seg.next_offset));
            log.segments.push(seg);
        }
        if checked > 0 {
            let from = recovery_point.map_or("no recovery point".to_string(), |r| format!("recovery point {r}"));
            log.event(
                Level::Info,
                format!("unclean shutdown: checked the CRC of every batch in {checked} of {n} segments ({from}) and rebuilt their indexes"),
            );
        }
        log.check_segment_boundaries();
        if log.segments.last().unwrap().damage.is_some() {
            // Appends never go after damage: a fresh active segment at the log end.
            let leo = log.log_end_offset();
            log.segments.push(Segment::create(&dir, leo)?);
            rebuild_txn.push(false);
            log.dir_dirty = true;
            log.event(Level::Warn, format!("rolled a new active segment {} after the damage", segment_name(leo, "log")));
        }
        // The last segment is the active one: open its index files for appends.
        log.segments.last_mut().unwrap().open_index_files(&dir)?;

        let first_base = log.segments[0].base;
        let leo = log.log_end_offset();
        log.log_start = checkpoint.unwrap_or(first_base).max(first_base).min(leo);
        log.recovery_point = if clean { leo } else { recovery_point.unwrap_or(first_base).clamp(first_base, leo) };

        // Producer state: the snapshot (written at close and at each roll) covers every batch
        // below its end offset; batches from there on are replayed. Batches below the end never
        // change, so a snapshot beyond the (possibly truncated) log end is the only bad case.
        // A `.txnindex` to rebuild needs the replay to cover its whole segment.
        let first_rebuild = log.segments.iter().zip(&rebuild_txn).find(|(_, &r)| r).map_or(i64::MAX, |(s, _)| s.base);
        let snapshot = fs::read(dir.join(PRODUCER_SNAPSHOT_FILE)).ok().and_then(|d| ProducerState::decode_snapshot(&d));
        match snapshot {
            Some((end, state)) if end <= leo && end <= first_rebuild => {
                log.producers = state;
                log.replay_producers_from(end, &rebuild_txn)?;
            }
            _ => log.replay_producers_from(i64::MIN, &rebuild_txn)?,
        }
        log.write_rebuilt_txn_indexes(&rebuild_txn)?;
        Ok(log)
    }

    /// Open one existing segment. `full`: check every batch's CRC and rebuild the indexes;
    /// otherwise trust consistent indexes after a cheap check of the tail.
    fn open_segment(&mut self, base: i64, active: bool, full: bool) -> Result<Segment> {
        let mut seg = Segment::open_existing(&self.dir, base)?;
        if !full {
            let idx = fs::read(Segment::path(&self.dir, base, "index")).ok().and_then(|d| OffsetIndex::parse(&d, seg.size));
            let tix = fs::read(Segment::path(&self.dir, base, "timeindex")).ok().and_then(|d| TimeIndex::parse(&d));
            if let (Some(idx), Some(tix)) = (idx, tix) {
                seg.index = idx;
                seg.time_index = tix;
                if check_tail(&mut seg)? {
                    return Ok(seg);
                }
            }
            self.event(Level::Warn, format!("rebuilding the indexes of {}: index files missing or inconsistent", segment_name(base, "log")));
        }
        self.rebuild_segment(&mut seg, full || active, active)?;
        Ok(seg)
    }

    /// Scan a segment from the start (with CRCs when `verify`) and rebuild its indexes. At the
    /// first bad batch: the active segment is truncated there (a torn tail); a closed segment is
    /// left as it is on disk and marked damaged from there (never truncated: what follows may be
    /// good data, and later segments stay).
    fn rebuild_segment(&mut self, seg: &mut Segment, verify: bool, active: bool) -> Result<()> {
        seg.index.clear();
        seg.time_index.clear();
        seg.max_ts = -1;
        seg.max_ts_offset = -1;
        seg.bytes_since_index = 0;
        seg.next_offset = seg.base;
        let interval = self.cfg.index_interval_bytes;
        let mut bad = None;
        {
            let mut sc = Scanner::new(seg.log.clone(), 0, seg.size, seg.base, 1 << 20);
            loop {
                match sc.next(verify).map_err(io_err("read segment"))? {
                    Step::Batch { pos, header, size } => {
                        if header.max_timestamp > seg.max_ts {
                            seg.max_ts = header.max_timestamp;
                            seg.max_ts_offset = header.base_offset;
                        }
                        seg.maybe_index(interval, header.base_offset, pos, size);
                        seg.next_offset = header.last_offset() + 1;
                    }
                    Step::End => break,
                    Step::Bad { pos, reason } => {
                        bad = Some((pos, reason));
                        break;
                    }
                }
            }
        }
        let name = segment_name(seg.base, "log");
        if let Some((pos, reason)) = bad {
            // In the active segment, damage followed by good batches (found through an offset
            // index entry past it) is not a torn tail: keep it like damage in a closed segment.
            let resync = if active { self.resync_after(seg, pos)? } else { None };
            if let Some((end_offset, valid_end)) = resync {
                self.event(
                    Level::Error,
                    format!(
                        "segment {name} is damaged at byte position {pos} (offset {}): {reason}; good batches follow up to offset {}: they stay on disk, offsets from {} in this segment are not served, new records go to a new segment",
                        seg.next_offset, end_offset - 1, seg.next_offset
                    ),
                );
                if valid_end < seg.size {
                    self.event(
                        Level::Warn,
                        format!("truncated the active segment {name} from {} to {valid_end} bytes (a torn tail after offset {})", seg.size, end_offset - 1),
                    );
                    seg.log.set_len(valid_end).map_err(io_err("truncate segment"))?;
                    seg.size = valid_end;
                }
                seg.damage = Some(Damage { position: pos, offset: seg.next_offset, reason });
                seg.next_offset = end_offset;
                return Ok(());
            }
            if !active {
                self.event(
                    Level::Error,
                    format!(
                        "segment {name} is damaged at byte position {pos} (offset {}): {reason}; offsets from {} to the next segment are not served, the rest of the log is",
                        seg.next_offset, seg.next_offset
                    ),
                );
                // The index files on disk stay as they are (they may still locate later batches).
                seg.damage = Some(Damage { position: pos, offset: seg.next_offset, reason });
                return Ok(());
            }
            let cut = seg.size - pos;
            self.event(
                Level::Warn,
                format!(
                    "truncated the active segment {name} from {} to {pos} bytes: cut {cut} bytes holding offsets from {} on ({reason})",
                    seg.size, seg.next_offset
                ),
            );
            seg.log.set_len(pos).map_err(io_err("truncate segment"))?;
            seg.size = pos;
        }
        let write = |ext: &str, data: &[u8]| -> Result<()> {
            let p = Segment::path(&self.dir, seg.base, ext);
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&p)
                .map_err(io_err("rewrite index"))?;
            f.write_all(data).map_err(io_err("rewrite index"))
        };
        write("index", &seg.index.file.take_pending())?;
        write("timeindex", &seg.time_index.file.take_pending())?;
        Ok(())
    }

    /// After damage at `bad` in the active segment: the good batches that follow it. Every
    /// position past `bad` where a batch could start (magic 2, a length that fits, a base offset
    /// at or past the damaged one) is tried in order; one counts when its batch's CRC checks out,
    /// and from there batches are followed while they check out. The first such run that reaches
    /// the end of the file wins, else the first one found (a torn tail may follow it). Returns
    /// the offset after the run's last batch and where it ends, or None: nothing good follows the
    /// damage, so it is a torn tail. The index files are no help here: an active segment's
    /// entries reach the disk in groups (index_file.rs), and a crash loses the last group.
    fn resync_after(&self, seg: &Segment, bad: u64) -> Result<Option<(i64, u64)>> {
        const WINDOW: u64 = 1 << 20;
        let min_offset = seg.next_offset;
        let mut window = Vec::new();
        let mut window_at = 0u64;
        let mut first_run = None;
        let mut pos = bad + 1;
        while pos + HEADER_SIZE as u64 <= seg.size {
            if pos < window_at || pos + HEADER_SIZE as u64 > window_at + window.len() as u64 {
                window.resize(WINDOW.max(HEADER_SIZE as u64).min(seg.size - pos) as usize, 0);
                seg.log.read_exact_at(&mut window, pos).map_err(io_err("read segment"))?;
                window_at = pos;
            }
            let h = BatchHeader::parse(&window[(pos - window_at) as usize..][..HEADER_SIZE]);
            let fits = h.batch_length >= (HEADER_SIZE - LOG_OVERHEAD) as i32
                && pos + (LOG_OVERHEAD as i64 + h.batch_length as i64) as u64 <= seg.size;
            if h.magic == 2 && fits && h.base_offset >= min_offset {
                let mut sc = Scanner::new(seg.log.clone(), pos, seg.size, min_offset, 1 << 20);
                let mut run = None;
                while let Step::Batch { pos, header, size } = sc.next(true).map_err(io_err("read segment"))? {
                    run = Some((header.last_offset() + 1, pos + size));
                }
                if let Some((_, run_end)) = run {
                    if run_end == seg.size {
                        return Ok(run);
                    }
                    first_run = first_run.or(run);
                    // Every batch start inside this run leads to the same end: go on after it.
                    pos = run_end;
                    continue;
                }
            }
            pos += 1;
        }
        Ok(first_run)
    }

    /// Consecutive segments must meet: a damaged segment ends where the next one starts (so the
    /// log end, and with it the next offset, never goes back); a gap (a segment file deleted by
    /// hand) or an overlap is reported.
    fn check_segment_boundaries(&mut self) {
        let mut found = Vec::new();
        for i in 0..self.segments.len().saturating_sub(1) {
            let next_base = self.segments[i + 1].base;
            let seg = &mut self.segments[i];
            let (this, next) = (segment_name(seg.base, "log"), segment_name(next_base, "log"));
            if seg.damage.is_some() {
                seg.next_offset = next_base;
            } else if seg.next_offset < next_base {
                found.push(format!(
                    "offsets {} to {} are missing: no segment holds them (after {this}, before {next}; a deleted segment file?); fetches there skip to offset {next_base}",
                    seg.next_offset,
                    next_base - 1
                ));
            } else if seg.next_offset > next_base {
                found.push(format!("segment {this} ends at offset {}, past the base offset of {next}", seg.next_offset));
            }
        }
        for message in found {
            self.event(Level::Error, message);
        }
    }

    /// Replay the producer id of every batch whose base offset is >= `from` (and that is not
    /// entirely below the log start) into the producer state; the transactions aborted by
    /// markers in segments flagged in `rebuild_txn` go into their (emptied) `.txnindex`.
    fn replay_producers_from(&mut self, from: i64, rebuild_txn: &[bool]) -> Result<()> {
        if from == i64::MIN {
            self.producers = ProducerState::new();
        }
        let log_start = self.log_start;
        let mut aborted = Vec::new();
        for (i, seg) in self.segments.iter().enumerate() {
            if seg.next_offset <= from || seg.size == 0 {
                continue;
            }
            let start = if from > seg.base { seg.lookup(from) } else { 0 };
            let mut sc = Scanner::new(seg.log.clone(), start, seg.readable_end(), i64::MIN, 1 << 20);
            while let Step::Batch { header, pos, size } = sc.next(false).map_err(io_err("read segment"))? {
                let last = header.last_offset();
                if header.base_offset >= from && last >= log_start {
                    // Only a marker's payload is read (a few dozen bytes).
                    let marker = if header.is_control() && header.has_producer_id() {
                        record::parse_txn_marker(&seg.read_at(pos, size)?)
                    } else {
                        None
                    };
                    let done = self.producers.replay(&header, last, marker);
                    if let Some(c) = done.filter(|c| c.aborted && rebuild_txn.get(i) == Some(&true)) {
                        let lso = self.producers.first_unstable_offset().unwrap_or(c.last_offset + 1);
                        let entry = AbortedTxn {
                            producer_id: c.producer_id,
                            first_offset: c.first_offset,
                            last_offset: c.last_offset,
                            last_stable_offset: lso,
                        };
                        aborted.push((i, entry));
                    }
                }
            }
        }
        for (i, rebuild) in rebuild_txn.iter().enumerate() {
            if *rebuild {
                self.segments[i].txn_index.entries.clear();
            }
        }
        for (i, entry) in aborted {
            self.segments[i].txn_index.entries.push(entry);
        }
        Ok(())
    }

    /// Write the `.txnindex` files that the replay rebuilt (whole new files).
    fn write_rebuilt_txn_indexes(&mut self, rebuild_txn: &[bool]) -> Result<()> {
        let mut count = 0;
        for (seg, _) in self.segments.iter().zip(rebuild_txn).filter(|(_, &r)| r) {
            let path = Segment::path(&self.dir, seg.base, "txnindex");
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .map_err(io_err("rewrite transaction index"))?;
            f.write_all(&seg.txn_index.encode_all()).map_err(io_err("rewrite transaction index"))?;
            count += 1;
        }
        if count > 0 {
            self.dir_dirty = true;
            self.event(Level::Info, format!("rebuilt the transaction index (.txnindex) of {count} segments from their markers"));
        }
        Ok(())
    }
}

/// The offset on the second line of a `log-start-offset` or `recovery-point` file.
fn read_offset_file(path: &Path) -> Option<i64> {
    fs::read_to_string(path).ok().and_then(|s| s.lines().nth(1).and_then(|l| l.trim().parse::<i64>().ok()))
}

/// Base offsets of the segments in `dir`, sorted; deletes `*.tmp` files and index files whose
/// segment is gone (a crash during deletion).
fn list_segments(dir: &Path) -> Result<Vec<i64>> {
    let mut bases = Vec::new();
    let entries = fs::read_dir(dir).map_err(io_err(format!("list {}", dir.display())))?;
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
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name
                .strip_suffix(".index")
                .or_else(|| name.strip_suffix(".timeindex"))
                .or_else(|| name.strip_suffix(".txnindex"));
            if let Some(stem) = stem {
                if stem.parse::<i64>().map_or(true, |b| bases.binary_search(&b).is_err()) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
    Ok(bases)
}

/// Cheap consistency check of a segment with loaded indexes: scan the batch headers after the
/// last index entry; they must start where the index says and end at the file end. Fills
/// next_offset, max timestamp and bytes_since_index.
fn check_tail(seg: &mut Segment) -> Result<bool> {
    let (start, start_offset) = match seg.index.last() {
        Some((rel, pos)) => (pos as u64, seg.base + rel as i64),
        None => (0, seg.base),
    };
    if let Some((ts, rel)) = seg.time_index.last() {
        seg.max_ts = ts;
        seg.max_ts_offset = seg.base + rel as i64;
    }
    let mut sc = Scanner::new(seg.log.clone(), start, seg.size, start_offset, 64 * 1024);
    let mut first = true;
    loop {
        match sc.next(false).map_err(io_err("read segment"))? {
            Step::Batch { header, .. } => {
                if first && !seg.index.is_empty() && header.base_offset != start_offset {
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
    if let Some((_, rel)) = seg.time_index.last() {
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

/// Check a partition directory without changing it (`fastlog verify`, like Kafka's
/// `kafka-dump-log --verify`): every batch's framing and CRC, dense offsets inside and across
/// segments, and both indexes against the batches. Returns what it found (Warn: something start
/// repairs by itself, such as an index; Error: data damage or missing offsets) and, last, one
/// Info line with what was checked.
pub fn verify_partition(dir: &Path) -> Vec<RecoveryEvent> {
    let mut out = Vec::new();
    let mut push = |level, message: String| out.push(RecoveryEvent { level, message });
    let mut bases = Vec::new();
    match fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(b) = name.strip_suffix(".log").filter(|s| s.len() == 20).and_then(|s| s.parse::<i64>().ok()) {
                    bases.push(b);
                }
            }
        }
        Err(e) => {
            push(Level::Error, format!("cannot list {}: {e}", dir.display()));
            return out;
        }
    }
    bases.sort_unstable();
    let (mut batches, mut bytes) = (0u64, 0u64);
    let mut prev_end: Option<(i64, String)> = None;
    for &base in &bases {
        let name = segment_name(base, "log");
        let file = match fs::File::open(Segment::path(dir, base, "log")) {
            Ok(f) => std::sync::Arc::new(f),
            Err(e) => {
                push(Level::Error, format!("{name}: cannot open: {e}"));
                continue;
            }
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        bytes += size;
        if let Some((end, prev)) = &prev_end {
            if *end < base {
                push(Level::Error, format!("offsets {end} to {} are missing: no segment holds them (after {prev}, before {name})", base - 1));
            } else if *end > base {
                push(Level::Error, format!("{prev} ends at offset {end}, past the base offset of {name}"));
            }
        }
        // Every batch, CRC included; remember where each starts for the index check.
        let mut starts = std::collections::HashMap::new();
        let mut next = base;
        let mut sc = Scanner::new(file, 0, size, base, 1 << 20);
        let mut damaged = false;
        loop {
            match sc.next(true) {
                Ok(Step::Batch { pos, header, .. }) => {
                    if header.base_offset != next {
                        push(Level::Error, format!(
                            "{name}: offsets {next} to {} are missing before the batch at byte position {pos}", header.base_offset - 1));
                    }
                    starts.insert(pos, header.base_offset);
                    next = header.last_offset() + 1;
                    batches += 1;
                }
                Ok(Step::End) => break,
                Ok(Step::Bad { pos, reason }) => {
                    push(Level::Error, format!(
                        "{name}: damaged at byte position {pos} (offset {next}): {reason}; {} bytes from there not checked", size - pos));
                    damaged = true;
                    break;
                }
                Err(e) => {
                    push(Level::Error, format!("{name}: read failed: {e}"));
                    damaged = true;
                    break;
                }
            }
        }
        if damaged {
            // Where it really ends is unknown: no boundary check with the next one, and the
            // indexes cannot be checked against a broken segment.
            prev_end = None;
            continue;
        }
        prev_end = Some((next, name.clone()));
        let index = fs::read(Segment::path(dir, base, "index"));
        match index.as_ref().ok().map(|d| OffsetIndex::parse(d, size)) {
            None => push(Level::Warn, format!("{} is missing (start rebuilds it)", segment_name(base, "index"))),
            Some(None) => push(Level::Warn, format!("{} is malformed (start rebuilds it)", segment_name(base, "index"))),
            Some(Some(idx)) => {
                for &(rel, pos) in idx.entries() {
                    if starts.get(&(pos as u64)) != Some(&(base + rel as i64)) {
                        push(Level::Warn, format!(
                            "{}: entry (offset {}, position {pos}) does not point at that batch (start rebuilds it)",
                            segment_name(base, "index"), base + rel as i64));
                        break;
                    }
                }
            }
        }
        let tix = fs::read(Segment::path(dir, base, "timeindex"));
        match tix.as_ref().ok().map(|d| TimeIndex::parse(d)) {
            None => push(Level::Warn, format!("{} is missing (start rebuilds it)", segment_name(base, "timeindex"))),
            Some(None) => push(Level::Warn, format!("{} is malformed (start rebuilds it)", segment_name(base, "timeindex"))),
            Some(Some(t)) => {
                if t.last().is_some_and(|(_, rel)| base + rel as i64 >= next) {
                    push(Level::Warn, format!("{}: an entry lies past the segment's last offset (start rebuilds it)", segment_name(base, "timeindex")));
                }
            }
        }
    }
    let range = match (bases.first(), &prev_end) {
        (Some(first), Some((end, _))) => format!("offsets {first} to {}", end - 1),
        _ => "no data".to_string(),
    };
    push(Level::Info, format!("{} segments, {batches} batches, {bytes} bytes, {range}", bases.len()));
    out
}
