//! The aborted-transaction index of a segment, `<base>.txnindex` (Kafka's TransactionIndex):
//! one entry per transaction aborted by a marker in this segment, in marker order, so that a
//! read_committed fetch learns which records to drop without reading record payloads.
//!
//! The file is a sequence of fixed 34-byte entries, big-endian, no header:
//!
//! | field | type | meaning |
//! |-------|------|---------|
//! | version | i16 = 0 | entry format version |
//! | producer id | i64 | the producer whose transaction was aborted |
//! | first offset | i64 | first offset of the transaction in this partition |
//! | last offset | i64 | offset of the abort marker |
//! | last stable offset | i64 | the partition's last stable offset right after the marker |
//!
//! Every segment has the file (empty when nothing was aborted in it), created with the segment,
//! appended to (not synced) at each abort marker, synced with the segment. A missing or
//! malformed file, or one of a segment that recovery rechecked after a crash, is rebuilt from
//! the batch headers and markers (recovery.rs).
use std::fs;
use std::path::Path;

use crate::index_file::IndexFile;

pub const ENTRY_SIZE: usize = 34;
pub const ENTRY_VERSION: i16 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
    pub last_stable_offset: i64,
}

impl AbortedTxn {
    pub fn encode(&self) -> [u8; ENTRY_SIZE] {
        let mut b = [0u8; ENTRY_SIZE];
        b[0..2].copy_from_slice(&ENTRY_VERSION.to_be_bytes());
        b[2..10].copy_from_slice(&self.producer_id.to_be_bytes());
        b[10..18].copy_from_slice(&self.first_offset.to_be_bytes());
        b[18..26].copy_from_slice(&self.last_offset.to_be_bytes());
        b[26..34].copy_from_slice(&self.last_stable_offset.to_be_bytes());
        b
    }

    /// One entry; None for another version.
    pub fn decode(b: &[u8]) -> Option<AbortedTxn> {
        let i64_at = |at: usize| i64::from_be_bytes(b[at..at + 8].try_into().unwrap());
        if b.len() < ENTRY_SIZE || i16::from_be_bytes([b[0], b[1]]) != ENTRY_VERSION {
            return None;
        }
        Some(AbortedTxn { producer_id: i64_at(2), first_offset: i64_at(10), last_offset: i64_at(18), last_stable_offset: i64_at(26) })
    }
}

#[derive(Debug, Default)]
pub struct TxnIndex {
    /// All entries of the segment, in memory (a few per abort: small).
    pub entries: Vec<AbortedTxn>,
    pub file: IndexFile,
}

impl TxnIndex {
    /// Parse a whole file for a segment holding offsets [base, end): None when it is malformed
    /// (length not a multiple of 34, unknown version, a marker outside the segment, markers out
    /// of order, first offset after the marker): then it is rebuilt.
    pub fn parse(data: &[u8], base: i64, end: i64) -> Option<Vec<AbortedTxn>> {
        if !data.len().is_multiple_of(ENTRY_SIZE) {
            return None;
        }
        let mut entries = Vec::with_capacity(data.len() / ENTRY_SIZE);
        let mut prev = base - 1;
        for chunk in data.chunks_exact(ENTRY_SIZE) {
            let e = AbortedTxn::decode(chunk)?;
            if e.last_offset <= prev || e.last_offset >= end || e.first_offset > e.last_offset {
                return None;
            }
            prev = e.last_offset;
            entries.push(e);
        }
        Some(entries)
    }

    /// Load `path` for a segment holding [base, end); false when it is missing or malformed.
    pub fn load(&mut self, path: &Path, base: i64, end: i64) -> bool {
        match fs::read(path).ok().and_then(|d| TxnIndex::parse(&d, base, end)) {
            Some(entries) => {
                self.entries = entries;
                true
            }
            None => false,
        }
    }

    /// Add an entry, queued for the open file (written with the segment's other indexes).
    pub fn push(&mut self, e: AbortedTxn) {
        self.file.queue(&e.encode());
        self.entries.push(e);
    }

    /// The whole file's bytes (a rebuild writes them as a new file).
    pub fn encode_all(&self) -> Vec<u8> {
        self.entries.iter().flat_map(|e| e.encode()).collect()
    }

    /// Collect into `out` the (producer id, first offset) of the aborted transactions that
    /// overlap [fetch_offset, upper): marker at or after fetch_offset, first offset before
    /// upper. Returns true when no later segment can hold more (Kafka's "complete" search: an
    /// entry whose last stable offset is >= upper was written when every transaction starting
    /// before upper had ended).
    pub fn collect(&self, fetch_offset: i64, upper: i64, out: &mut Vec<(i64, i64)>) -> bool {
        // Markers are in offset order: skip those before the range without looking at them.
        let start = self.entries.partition_point(|e| e.last_offset < fetch_offset);
        for e in &self.entries[start..] {
            if e.last_offset >= fetch_offset && e.first_offset < upper {
                out.push((e.producer_id, e.first_offset));
            }
            if e.last_stable_offset >= upper {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(pid: i64, first: i64, last: i64, lso: i64) -> AbortedTxn {
        AbortedTxn { producer_id: pid, first_offset: first, last_offset: last, last_stable_offset: lso }
    }

    #[test]
    fn entries_round_trip_in_34_bytes() {
        let entries = vec![e(7, 10, 15, 16), e(8, 12, 20, 21)];
        let mut idx = TxnIndex::default();
        for x in &entries {
            idx.push(*x);
        }
        let bytes = idx.encode_all();
        assert_eq!(bytes.len(), 68);
        assert_eq!(&bytes[0..2], &[0, 0]);
        assert_eq!(&bytes[2..10], &7i64.to_be_bytes());
        assert_eq!(TxnIndex::parse(&bytes, 10, 21), Some(entries));
        assert_eq!(idx.file.take_pending(), bytes);
    }

    #[test]
    fn malformed_files_are_refused() {
        let good = e(7, 10, 15, 16).encode();
        assert_eq!(TxnIndex::parse(&good[..33], 0, 100), None, "torn entry");
        let mut v1 = good;
        v1[1] = 1;
        assert_eq!(TxnIndex::parse(&v1, 0, 100), None, "unknown version");
        assert_eq!(TxnIndex::parse(&good, 16, 100), None, "marker below the segment base");
        assert_eq!(TxnIndex::parse(&good, 0, 15), None, "marker at the segment end");
        let mut two = good.to_vec();
        two.extend_from_slice(&e(8, 3, 14, 16).encode());
        assert_eq!(TxnIndex::parse(&two, 0, 100), None, "markers out of order");
        assert_eq!(TxnIndex::parse(&e(7, 16, 15, 16).encode(), 0, 100), None, "first offset after the marker");
        assert_eq!(TxnIndex::parse(&[], 0, 100), Some(vec![]));
    }

    #[test]
    fn collect_returns_overlapping_transactions_and_stops_when_complete() {
        // Transaction 3 (from 8) was still ongoing at marker 9: that entry's last stable offset is 8.
        let entries = vec![e(1, 0, 4, 5), e(2, 6, 9, 8), e(3, 8, 12, 13), e(4, 20, 22, 23)];
        let idx = TxnIndex { entries, ..Default::default() };
        let mut out = Vec::new();
        assert!(idx.collect(5, 10, &mut out));
        assert_eq!(out, vec![(2, 6), (3, 8)]);
        let mut out = Vec::new();
        assert!(!idx.collect(0, 100, &mut out), "no entry reaches 100: later segments may hold more");
        assert_eq!(out.len(), 4);
    }
}
