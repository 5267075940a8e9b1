//! Sparse offset index of one segment (`<base>.index`, Kafka's OffsetIndex).
//!
//! Format: a sequence of 8-byte entries, big-endian, no header.
//!
//! | field           | type | meaning                                              |
//! |-----------------|------|------------------------------------------------------|
//! | relative offset | u32  | `baseOffset` of a batch minus the segment base offset |
//! | position        | u32  | byte position of that batch in the `.log` file        |
//!
//! An entry is added for a batch once more than `index_interval_bytes` bytes were appended to
//! the segment since the previous entry; the first batch of a segment has none (its position is
//! 0). Unlike Kafka's, an entry names the batch's *first* offset, so a lookup for offset `o` is
//! "the last entry with relative offset <= o - base", then a forward scan of batch headers.
//!
//! Valid file: size a multiple of 8; relative offsets and positions strictly increase; every
//! position + 61 (a batch header) <= segment size. Anything else is rebuilt by recovery.

use crate::batch::HEADER_SIZE;
use crate::index_file::IndexFile;

pub const ENTRY_SIZE: usize = 8;

#[derive(Debug, Default)]
pub struct OffsetIndex {
    /// (relative offset, position), both strictly increasing.
    entries: Vec<(u32, u32)>,
    /// The index file while the segment is active, and the entries not yet written to it.
    pub file: IndexFile,
}

impl OffsetIndex {
    /// Parse an index file's contents; None if they break the rules above.
    pub fn parse(data: &[u8], segment_size: u64) -> Option<OffsetIndex> {
        if !data.len().is_multiple_of(ENTRY_SIZE) {
            return None;
        }
        let mut entries: Vec<(u32, u32)> = Vec::with_capacity(data.len() / ENTRY_SIZE);
        for e in data.chunks_exact(ENTRY_SIZE) {
            let rel = u32::from_be_bytes(e[0..4].try_into().unwrap());
            let pos = u32::from_be_bytes(e[4..8].try_into().unwrap());
            if pos as u64 + HEADER_SIZE as u64 > segment_size {
                return None;
            }
            if let Some(&(prel, ppos)) = entries.last() {
                if rel <= prel || pos <= ppos {
                    return None;
                }
            }
            entries.push((rel, pos));
        }
        Some(OffsetIndex { entries, file: IndexFile::default() })
    }

    /// Position to start scanning from for relative offset `rel` (the largest indexed batch at or
    /// before it; 0 when there is none).
    pub fn lookup(&self, rel: u32) -> u64 {
        let i = self.entries.partition_point(|e| e.0 <= rel);
        if i == 0 {
            0
        } else {
            self.entries[i - 1].1 as u64
        }
    }

    /// (relative offset, position) pairs in order.
    pub fn entries(&self) -> &[(u32, u32)] {
        &self.entries
    }

    pub fn last(&self) -> Option<(u32, u32)> {
        self.entries.last().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn push(&mut self, rel: u32, pos: u32) {
        self.entries.push((rel, pos));
        let mut entry = [0u8; ENTRY_SIZE];
        entry[..4].copy_from_slice(&rel.to_be_bytes());
        entry[4..].copy_from_slice(&pos.to_be_bytes());
        self.file.queue(&entry);
    }

    /// Forget every entry (before a rebuild).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.file.discard_pending();
    }
}
