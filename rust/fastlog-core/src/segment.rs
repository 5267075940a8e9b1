//! One log segment (`<base>.log`, Kafka's LogSegment) with its offset and time indexes, and the
//! scanner that reads batch headers back from a segment file.
//!
//! Format of `<base>.log`: record batches v2 (layout in batch.rs), back to back from position 0,
//! exactly as the producer sent them except `baseOffset` (the offset the broker assigned),
//! `partitionLeaderEpoch` (0) and, when validation had to fix them, `attributes` bit 3 and
//! `maxTimestamp` with a recomputed CRC. `<base>` is the segment's base offset in 20 decimal
//! digits. Valid file: batches contiguous to the end of the file, each of magic 2 with
//! `batchLength >= 49` fitting in the file, base offsets >= the segment base and each batch's
//! base offset > the previous batch's last offset. The segment's next offset is the last batch's
//! `baseOffset + lastOffsetDelta + 1` (the base offset when empty).
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::batch::{check_batch_frame, BatchHeader, HEADER_SIZE, LOG_OVERHEAD};
use crate::error::{code, Result, StorageError};
use crate::index_file::sync_path;
use crate::offset_index::OffsetIndex;
use crate::time_index::TimeIndex;
use crate::txn_index::TxnIndex;

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

pub(crate) fn io_err(ctx: impl AsRef<str>) -> impl FnOnce(io::Error) -> StorageError {
    move |e| StorageError::io(ctx.as_ref(), e)
}

// ---------------------------------------------------------------------------------------------
// Reading batches back from a segment file through a window buffer.

pub(crate) enum Step {
    Batch { pos: u64, header: BatchHeader, size: u64 },
    End,
    /// The bytes at `pos` are not a valid batch (torn write or corruption).
    Bad { pos: u64, reason: String },
}

#[derive(Debug)]
pub(crate) struct Scanner {
    /// Shared with the segment: a scan outlives neither the file nor a deletion of it.
    file: Arc<File>,
    end: u64,
    pos: u64,
    /// Base offset the next batch must have at least (offsets only grow).
    min_offset: i64,
    buf: Vec<u8>,
    buf_start: u64,
    window: usize,
}

impl Scanner {
    pub(crate) fn new(file: Arc<File>, start: u64, end: u64, min_offset: i64, window: usize) -> Self {
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

    pub(crate) fn bytes(&self, pos: u64, len: u64) -> &[u8] {
        let at = (pos - self.buf_start) as usize;
        &self.buf[at..at + len as usize]
    }

    /// Next batch header; with `verify` the whole batch is read and its CRC checked.
    pub(crate) fn next(&mut self, verify: bool) -> io::Result<Step> {
        self.next_batch(verify, false)
    }

    /// As `next`, and with `load` the whole batch is in the buffer afterwards (see `bytes`).
    pub(crate) fn next_batch(&mut self, verify: bool, load: bool) -> io::Result<Step> {
        let pos = self.pos;
        if pos >= self.end {
            return Ok(Step::End);
        }
        if self.end - pos < HEADER_SIZE as u64 {
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
        if verify || load {
            self.ensure(pos, size)?;
        }
        if verify {
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
pub(crate) struct Segment {
    pub base: i64,
    pub log: Arc<File>,
    pub size: u64,
    /// Offset after the last batch (== base when empty).
    pub next_offset: i64,
    pub index: OffsetIndex,
    pub time_index: TimeIndex,
    /// Transactions aborted by markers in this segment (`.txnindex`, txn_index.rs).
    pub txn_index: TxnIndex,
    pub bytes_since_index: u64,
    /// Largest timestamp in the segment (-1: none) and an offset inside the batch that holds it.
    pub max_ts: i64,
    pub max_ts_offset: i64,
    pub dirty: bool,
    /// Sealed by a roll, which closes the index files without fsync (as Kafka's roll leaves the
    /// flush to later): the next flush reopens and syncs them before the recovery point passes.
    pub indexes_unsynced: bool,
    /// Damage found in a closed segment (by recovery or a read): nothing at or after it is
    /// served; the bytes stay on disk for the operator (`fastlog verify`).
    pub damage: Option<Damage>,
}

/// Where a segment stops being readable: the first bad batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte position of the first bad batch in the `.log` file.
    pub position: u64,
    /// The offset that batch should have held (the previous batch's last offset + 1).
    pub offset: i64,
    pub reason: String,
}

pub(crate) fn segment_name(base: i64, ext: &str) -> String {
    format!("{base:020}.{ext}")
}

impl Segment {
    pub fn path(dir: &Path, base: i64, ext: &str) -> PathBuf {
        dir.join(segment_name(base, ext))
    }

    pub(crate) fn with_file(base: i64, log: File, size: u64) -> Segment {
        Segment {
            base,
            log: Arc::new(log),
            size,
            next_offset: base,
            index: OffsetIndex::default(),
            time_index: TimeIndex::default(),
            txn_index: TxnIndex::default(),
            bytes_since_index: 0,
            max_ts: -1,
            max_ts_offset: -1,
            dirty: false,
            indexes_unsynced: false,
            damage: None,
        }
    }

    /// A new empty segment with empty index files, open for appends.
    pub fn create(dir: &Path, base: i64) -> Result<Segment> {
        let mut seg = Segment::create_files(dir, base, |ext| ext.to_string())?;
        let txn_path = Segment::path(dir, base, "txnindex");
        create_file(&txn_path)?;
        seg.txn_index.file.set_path(txn_path);
        Ok(seg)
    }

    /// A new empty segment whose `.log`, `.index` and `.timeindex` files are named by `ext_of`
    /// (the cleaner writes `<base>.log.cleaned` and friends); files already there are emptied.
    /// Only the `.log` stays open (index_file.rs).
    pub fn create_files(dir: &Path, base: i64, ext_of: impl Fn(&str) -> String) -> Result<Segment> {
        let path = |ext: &str| Segment::path(dir, base, &ext_of(ext));
        let mut seg = Segment::with_file(base, create_file(&path("log"))?, 0);
        for (file, ext) in [(&mut seg.index.file, "index"), (&mut seg.time_index.file, "timeindex")] {
            create_file(&path(ext))?;
            file.set_path(path(ext));
        }
        Ok(seg)
    }

    /// An existing segment file, indexes not loaded (recovery fills them).
    pub fn open_existing(dir: &Path, base: i64) -> Result<Segment> {
        let path = Segment::path(dir, base, "log");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err(format!("open {}", path.display())))?;
        let size = file.metadata().map_err(io_err("stat segment"))?.len();
        Ok(Segment::with_file(base, file, size))
    }

    /// Take appends to the index files again (the active segment after recovery); a missing
    /// file is created.
    pub fn open_index_files(&mut self, dir: &Path) -> Result<()> {
        if !self.index.file.has_path() {
            let base = self.base;
            for (file, ext) in
                [(&mut self.index.file, "index"), (&mut self.time_index.file, "timeindex"), (&mut self.txn_index.file, "txnindex")]
            {
                let path = Segment::path(dir, base, ext);
                OpenOptions::new().append(true).create(true).open(&path).map_err(io_err("open index"))?;
                file.set_path(path);
            }
        }
        Ok(())
    }

    /// Position to start scanning for `offset` (largest indexed batch at or before it).
    pub fn lookup(&self, offset: i64) -> u64 {
        let rel = offset - self.base;
        if rel < 0 {
            return 0;
        }
        self.index.lookup(rel.min(u32::MAX as i64) as u32)
    }

    /// Offset to start scanning from for the first record with timestamp >= `ts`.
    pub fn time_lookup(&self, ts: i64) -> i64 {
        self.base + self.time_index.lookup(ts) as i64
    }

    /// End of the bytes that may be served: the damage position, else the file size.
    pub fn readable_end(&self) -> u64 {
        self.damage.as_ref().map_or(self.size, |d| d.position)
    }

    /// Position, header and size of the first batch whose last offset is >= `offset`.
    /// CORRUPT_MESSAGE (naming segment, offset and position) when `offset` lies in a damaged part.
    pub fn find_batch(&self, offset: i64) -> Result<Option<(u64, BatchHeader, u64)>> {
        if let Some(d) = &self.damage {
            if offset >= d.offset {
                return Err(self.damaged(d.position, d.offset, &d.reason));
            }
        }
        let start = self.lookup(offset);
        let mut sc = Scanner::new(self.log.clone(), start, self.readable_end(), i64::MIN, 16 * 1024);
        loop {
            match sc.next(false).map_err(io_err("read segment"))? {
                Step::Batch { pos, header, size } => {
                    if header.last_offset() >= offset {
                        return Ok(Some((pos, header, size)));
                    }
                }
                Step::End => return Ok(None),
                Step::Bad { pos, reason } => return Err(self.damaged(pos, offset, &reason)),
            }
        }
    }

    /// End position of the first batch at or after position `from` that holds records; None
    /// when only empty batches (count 0: what the cleaner keeps of a producer's last batch)
    /// follow up to the readable end, or a bad batch does.
    pub fn records_end_after(&self, from: u64) -> Result<Option<u64>> {
        let mut sc = Scanner::new(self.log.clone(), from, self.readable_end(), i64::MIN, 16 * 1024);
        loop {
            match sc.next(false).map_err(io_err("read segment"))? {
                Step::Batch { pos, header, size } if header.records_count > 0 => return Ok(Some(pos + size)),
                Step::Batch { .. } => {}
                Step::End | Step::Bad { .. } => return Ok(None),
            }
        }
    }

    /// The error for a read that reaches damaged bytes: CORRUPT_MESSAGE, as Kafka answers a
    /// fetch whose log read hits a corrupt batch (CorruptRecordException).
    pub fn damaged(&self, pos: u64, offset: i64, reason: &str) -> StorageError {
        StorageError::new(
            code::CORRUPT_MESSAGE,
            format!("segment {} is damaged at byte position {pos} (offset {offset}): {reason}", segment_name(self.base, "log")),
        )
    }

    pub fn read_at(&self, pos: u64, len: u64) -> Result<Vec<u8>> {
        let mut v = vec![0u8; len as usize];
        self.log.read_exact_at(&mut v, pos).map_err(io_err("read segment"))?;
        Ok(v)
    }

    /// Index entries for a batch of `size` bytes at `pos` (Kafka: an entry once more than
    /// index_interval_bytes were appended since the last one). Returns true if one was added.
    pub fn maybe_index(&mut self, interval: u64, offset: i64, pos: u64, size: u64) -> bool {
        let mut added = false;
        if self.bytes_since_index > interval {
            self.index.push((offset - self.base) as u32, pos as u32);
            self.bytes_since_index = 0;
            added = true;
            self.maybe_time_entry();
        }
        self.bytes_since_index += size;
        added
    }

    /// A time index entry if the max timestamp grew since the last entry.
    pub fn maybe_time_entry(&mut self) {
        self.time_index.maybe_append(self.max_ts, (self.max_ts_offset - self.base) as u32);
    }

    /// Write the queued index entries to the index files: those of a file with WRITE_AT bytes
    /// queued (index_file.rs), or every one with `all`. An aborted transaction's entry goes out
    /// at once, as Kafka's does: aborts are rare, so this costs an open only when there is one.
    pub fn write_indexes(&mut self, all: bool) -> Result<()> {
        self.index.file.write_pending(all).map_err(io_err("write offset index"))?;
        self.time_index.file.write_pending(all).map_err(io_err("write time index"))?;
        self.txn_index.file.write_pending(true).map_err(io_err("write transaction index"))
    }

    /// Close for appends: final time index entry, index files written and synced.
    pub fn seal(&mut self) -> Result<()> {
        self.maybe_time_entry();
        self.index.file.seal().map_err(io_err("sync index"))?;
        self.time_index.file.seal().map_err(io_err("sync index"))?;
        self.txn_index.file.seal().map_err(io_err("sync index"))
    }

    /// Close for appends at a roll: like `seal` but without the fsyncs, which would hold the
    /// partition's lock (and so its readers and writers) for milliseconds; `sync` does them.
    pub fn seal_unsynced(&mut self) -> Result<()> {
        self.maybe_time_entry();
        self.write_indexes(true)?;
        for file in [&mut self.index.file, &mut self.time_index.file, &mut self.txn_index.file] {
            file.close();
        }
        self.dirty = true;
        self.indexes_unsynced = true;
        Ok(())
    }

    /// fsync what was written since the last sync: the log and the index files (`dir` holds them),
    /// after writing the index entries still queued.
    pub fn sync(&mut self, dir: &Path) -> Result<()> {
        if self.dirty {
            self.write_indexes(true)?;
            self.log.sync_data().map_err(io_err("sync segment"))?;
            self.index.file.sync().map_err(io_err("sync index"))?;
            self.time_index.file.sync().map_err(io_err("sync index"))?;
            self.txn_index.file.sync().map_err(io_err("sync index"))?;
            if self.indexes_unsynced {
                for ext in ["index", "timeindex", "txnindex"] {
                    match sync_path(&Segment::path(dir, self.base, ext)) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(StorageError::io("open index to sync", e)),
                    }
                }
                self.indexes_unsynced = false;
            }
            self.dirty = false;
        }
        Ok(())
    }

    pub fn remove_files(dir: &Path, base: i64) {
        for ext in ["log", "index", "timeindex", "txnindex"] {
            let _ = fs::remove_file(Segment::path(dir, base, ext));
        }
    }

    /// Write all of `iov` at the end of the segment (one pwritev); on failure the file is cut
    /// back so that no partial batch stays. The caller updates size and indexes.
    pub fn write_at_end(&mut self, iov: &[io::IoSlice]) -> Result<()> {
        let start = self.size;
        if let Err(e) = pwritev_all(&self.log, iov, start) {
            let _ = self.log.set_len(start);
            return Err(StorageError::io("append to segment", e));
        }
        self.dirty = true;
        Ok(())
    }
}

/// Create (or empty) a file for reading and writing.
fn create_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(io_err(format!("create {}", path.display())))
}

/// Write all of `iov` at `offset` with pwritev, continuing after partial writes.
fn pwritev_all(file: &File, iov: &[io::IoSlice], mut offset: u64) -> io::Result<()> {
    let fd = file.as_raw_fd();
    let mut bufs: Vec<libc::iovec> =
        iov.iter().map(|s| libc::iovec { iov_base: s.as_ptr() as *mut libc::c_void, iov_len: s.len() }).collect();
    let mut first = 0usize;
    while first < bufs.len() {
        let cnt = (bufs.len() - first).min(1024);
        // SAFETY: every iovec points into a live slice of `iov` (or past its written prefix).
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
                // SAFETY: n < iov_len, so the advanced pointer stays inside the same slice.
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
