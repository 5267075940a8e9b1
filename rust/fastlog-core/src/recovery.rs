//! Opening a partition directory (Kafka's LogLoader): which files to trust, which to rebuild,
//! where to cut a torn tail, and the producer state to start from.
//!
//! On open:
//! 1. `*.tmp` files and index files without a `.log` are deleted.
//! 2. Each segment's `.index` and `.timeindex` are checked against their format rules
//!    (offset_index.rs, time_index.rs) and the batch headers after the last offset index entry
//!    are scanned to the end of the file. If anything fails, both indexes are rebuilt by scanning
//!    the segment; a segment whose batch structure is broken is truncated after its last good
//!    batch and every later segment is deleted (Kafka does the same).
//! 3. Without `.clean-shutdown`, the active segment is always fully recovered: every batch is
//!    read and its CRC checked; the file is truncated after the last valid batch and both
//!    indexes are rebuilt.
//! 4. The log start offset is `clamp(checkpoint, first segment base, log end offset)`.
//! 5. Producer state comes from `producer-state.snapshot` (producer.rs) plus a replay of the
//!    batch headers at or after its end offset, or from a scan of every batch header when the
//!    snapshot is missing, damaged or beyond the log end.
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::Result;
use crate::offset_index::OffsetIndex;
use crate::partition_log::{LogConfig, PartitionLog, CLEAN_SHUTDOWN_FILE, LOG_START_FILE, PRODUCER_SNAPSHOT_FILE};
use crate::producer::ProducerState;
use crate::segment::{io_err, Scanner, Segment, Step};
use crate::time_index::TimeIndex;

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

        let bases = list_segments(&dir)?;
        let checkpoint = fs::read_to_string(dir.join(LOG_START_FILE))
            .ok()
            .and_then(|s| s.lines().nth(1).and_then(|l| l.trim().parse::<i64>().ok()));

        let mut log = PartitionLog::empty(dir.clone(), cfg);
        if bases.is_empty() {
            let base = checkpoint.unwrap_or(0).max(0);
            log.segments.push(Segment::create(&dir, base)?);
            log.dir_dirty = true;
        }
        let n = bases.len();
        for (i, &base) in bases.iter().enumerate() {
            let last = i + 1 == n;
            let (seg, damaged) = log.open_segment(base, last, !clean && last)?;
            log.segments.push(seg);
            if damaged && !last {
                // Everything after a damaged segment is suspect: drop it (Kafka does the same).
                for &b in &bases[i + 1..] {
                    Segment::remove_files(&dir, b);
                }
                break;
            }
        }
        // The last segment is the active one: open its index files for appends.
        log.segments.last_mut().unwrap().open_index_files(&dir)?;

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
        let mut seg = Segment::open_existing(&self.dir, base)?;
        if !recover {
            let idx = fs::read(Segment::path(&self.dir, base, "index")).ok().and_then(|d| OffsetIndex::parse(&d, seg.size));
            let tix = fs::read(Segment::path(&self.dir, base, "timeindex")).ok().and_then(|d| TimeIndex::parse(&d));
            if let (Some(idx), Some(tix)) = (idx, tix) {
                seg.index = idx;
                seg.time_index = tix;
                if check_tail(&mut seg)? {
                    return Ok((seg, false));
                }
            }
        }
        let damaged = self.rebuild_segment(&mut seg, recover || active)?;
        Ok((seg, damaged))
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
        let mut valid_end = 0u64;
        {
            let mut sc = Scanner::new(seg.log.clone(), 0, seg.size, seg.base, 1 << 20);
            while let Step::Batch { pos, header, size } = sc.next(verify).map_err(io_err("read segment"))? {
                if header.max_timestamp > seg.max_ts {
                    seg.max_ts = header.max_timestamp;
                    seg.max_ts_offset = header.base_offset;
                }
                seg.maybe_index(interval, header.base_offset, pos, size);
                seg.next_offset = header.last_offset() + 1;
                valid_end = pos + size;
            }
        }
        let damaged = valid_end < seg.size;
        if damaged {
            seg.log.set_len(valid_end).map_err(io_err("truncate segment"))?;
            seg.size = valid_end;
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
        write("index", &seg.index.take_pending())?;
        write("timeindex", &seg.time_index.take_pending())?;
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
            let mut sc = Scanner::new(seg.log.clone(), start, seg.size, i64::MIN, 1 << 20);
            while let Step::Batch { header, .. } = sc.next(false).map_err(io_err("read segment"))? {
                let last = header.last_offset();
                if header.base_offset >= from && last >= log_start {
                    self.producers.replay(&header, last);
                }
            }
        }
        Ok(())
    }
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
            let stem = name.strip_suffix(".index").or_else(|| name.strip_suffix(".timeindex"));
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
