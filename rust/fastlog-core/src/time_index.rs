//! Sparse time index of one segment (`<base>.timeindex`, Kafka's TimeIndex).
//!
//! Format: a sequence of 12-byte entries, big-endian, no header.
//!
//! | field           | type | meaning                                                        |
//! |-----------------|------|----------------------------------------------------------------|
//! | timestamp       | i64  | largest record timestamp in the segment up to and including the batch below |
//! | relative offset | u32  | offset (minus segment base) of a record inside the batch that holds that timestamp |
//!
//! An entry is considered whenever an offset index entry is written and when the segment is
//! closed (rolled, or the log closed); it is written only if the largest timestamp grew since
//! the last entry, so the last entry of a closed segment holds the segment's largest timestamp.
//! A lookup for "first record with timestamp >= t" starts after the last entry below t.
//!
//! Valid file: size a multiple of 12; timestamps >= 0 and strictly increasing; relative offsets
//! not decreasing and below the segment's next offset. Anything else is rebuilt by recovery.

use crate::index_file::IndexFile;

pub const ENTRY_SIZE: usize = 12;

#[derive(Debug, Default)]
pub struct TimeIndex {
    /// (largest timestamp so far, relative offset of a record in the batch that holds it).
    entries: Vec<(i64, u32)>,
    /// The index file while the segment is active, and the entries not yet written to it.
    pub file: IndexFile,
}

impl TimeIndex {
    /// Parse a time index file's contents; None if they break the rules above (the bound on
    /// relative offsets is checked by the caller, who knows the segment's next offset).
    pub fn parse(data: &[u8]) -> Option<TimeIndex> {
        if !data.len().is_multiple_of(ENTRY_SIZE) {
            return None;
        }
        let mut entries: Vec<(i64, u32)> = Vec::with_capacity(data.len() / ENTRY_SIZE);
        for e in data.chunks_exact(ENTRY_SIZE) {
            let ts = i64::from_be_bytes(e[0..8].try_into().unwrap());
            let rel = u32::from_be_bytes(e[8..12].try_into().unwrap());
            if ts < 0 {
                return None;
            }
            if let Some(&(pts, prel)) = entries.last() {
                if ts <= pts || rel < prel {
                    return None;
                }
            }
            entries.push((ts, rel));
        }
        Some(TimeIndex { entries, file: IndexFile::default() })
    }

    /// Relative offset to start scanning from for the first record with timestamp >= `ts`
    /// (0: the segment start).
    pub fn lookup(&self, ts: i64) -> u32 {
        let i = self.entries.partition_point(|e| e.0 < ts);
        if i == 0 {
            0
        } else {
            self.entries[i - 1].1
        }
    }

    pub fn last(&self) -> Option<(i64, u32)> {
        self.entries.last().copied()
    }

    /// Add an entry if `max_ts` grew since the last one.
    pub fn maybe_append(&mut self, max_ts: i64, rel: u32) {
        if max_ts >= 0 && self.entries.last().is_none_or(|e| max_ts > e.0) {
            self.entries.push((max_ts, rel));
            let mut entry = [0u8; ENTRY_SIZE];
            entry[..8].copy_from_slice(&max_ts.to_be_bytes());
            entry[8..].copy_from_slice(&rel.to_be_bytes());
            self.file.queue(&entry);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.file.discard_pending();
    }
}
