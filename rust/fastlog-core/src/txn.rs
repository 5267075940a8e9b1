//! Transactions in a partition (Kafka's transactional side of UnifiedLog): writing the markers
//! that end them, the last stable offset, read_committed reads and the aborted transactions of
//! a range. The per-producer state (which transaction is ongoing, from which offset) lives in
//! producer.rs, the per-segment aborted-transaction index in txn_index.rs, the marker's record
//! format in record.rs.
//!
//! A transactional data batch (attribute bit 4) starts its producer's transaction in this
//! partition at its base offset unless one is ongoing; a marker (control batch) ends it. The
//! last stable offset (LSO) is the first offset of the oldest ongoing transaction (at least the
//! log start offset), or the log end offset when none is ongoing: read_committed consumers see
//! only what lies below it. An abort marker adds an entry to the active segment's `.txnindex`.
use crate::batch::AppendOrigin;
use crate::error::Result;
use crate::partition_log::PartitionLog;
use crate::producer::CompletedTxn;
use crate::record::{self, TxnMarker};
use crate::segment::FileSlice;
use crate::txn_index::AbortedTxn;

/// What DescribeProducers shows of one producer of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerInfo {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// -1 when the producer has no batch in its history (e.g. only markers).
    pub last_sequence: i32,
    pub last_timestamp: i64,
    pub coordinator_epoch: i32,
    /// First offset of its ongoing transaction, -1 if none.
    pub current_txn_start_offset: i64,
}

/// A read_committed read: the records (only below the LSO), the LSO, and the aborted
/// transactions overlapping what was read.
#[derive(Debug)]
pub struct CommittedRead {
    pub slice: FileSlice,
    pub last_stable_offset: i64,
    pub aborted: Vec<(i64, i64)>,
}

impl PartitionLog {
    /// Append the marker that ends `producer_id`'s transaction as committed or aborted; returns
    /// its offset. The producer epoch may be newer than the producer's (the coordinator bumps
    /// it); an older one is INVALID_PRODUCER_EPOCH, an older coordinator epoch than the last
    /// marker's TRANSACTION_COORDINATOR_FENCED. A producer without an ongoing transaction here
    /// still gets its marker written (as Kafka does), with nothing to commit or abort.
    pub fn write_txn_marker(&mut self, producer_id: i64, producer_epoch: i16, marker: TxnMarker, now_ms: i64) -> Result<i64> {
        let batch = record::build_txn_marker(producer_id, producer_epoch, marker, now_ms);
        Ok(self.append(&batch, now_ms, AppendOrigin::Coordinator)?.base_offset)
    }

    /// Index the transactions that the markers of an append just aborted (the producer state
    /// already without them), in the active segment that holds the markers.
    pub(crate) fn index_aborted(&mut self, completed: &[CompletedTxn]) {
        for c in completed.iter().filter(|c| c.aborted) {
            let entry = AbortedTxn {
                producer_id: c.producer_id,
                first_offset: c.first_offset,
                last_offset: c.last_offset,
                last_stable_offset: self.producers.first_unstable_offset().unwrap_or(c.last_offset + 1),
            };
            self.segments.last_mut().unwrap().txn_index.push(entry);
        }
    }

    /// The first offset of the oldest ongoing transaction, at least the log start offset (as
    /// Kafka's firstUnstableOffset), else the log end offset (our high watermark).
    pub fn last_stable_offset(&self) -> i64 {
        let leo = self.log_end_offset();
        self.producers.first_unstable_offset().map_or(leo, |first| first.max(self.log_start).min(leo))
    }

    /// (producer id, first offset) of the aborted transactions that overlap [fetch_offset,
    /// upper): abort marker at or after fetch_offset, first offset below upper. From the
    /// `.txnindex` entries of the segments from the one holding fetch_offset on, stopping as soon
    /// as no later one can hold more; record payloads are never read.
    pub fn aborted_transactions(&self, fetch_offset: i64, upper: i64) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        let first = self.segments.partition_point(|s| s.base <= fetch_offset).saturating_sub(1);
        for seg in &self.segments[first..] {
            if seg.txn_index.collect(fetch_offset, upper, &mut out) {
                break;
            }
        }
        out
    }

    /// `read` for a read_committed fetch: only whole batches below the last stable offset (none
    /// at or past it), with the aborted transactions overlapping the returned range.
    pub fn read_committed(&self, offset: i64, max_bytes: i64) -> Result<CommittedRead> {
        let lso = self.last_stable_offset();
        let mut slice = self.read_below(offset, max_bytes, lso)?;
        if offset >= lso {
            slice.position += slice.length;
            slice.length = 0;
            return Ok(CommittedRead { slice, last_stable_offset: lso, aborted: Vec::new() });
        }
        // The read stays inside one segment; `upper` bounds the offsets it may hold (Kafka's
        // fetchUpperBoundOffset): the first indexed batch at or after the end of the read, else
        // the segment's end. Only aborted transactions starting below it are listed.
        let at = self.segments.iter().position(|s| std::sync::Arc::ptr_eq(&s.log, &slice.file));
        let mut upper = at.map_or(lso, |i| {
            let seg = &self.segments[i];
            let end = slice.position + slice.length;
            let entries = seg.index.entries();
            let next = entries.partition_point(|&(_, pos)| (pos as u64) < end);
            entries.get(next).map_or(seg.next_offset, |&(rel, _)| seg.base + rel as i64).min(lso)
        });
        if lso < self.log_end_offset() {
            if let Some(seg) = at.map(|i| &self.segments[i]).filter(|s| s.base <= lso && lso < s.next_offset) {
                // The LSO is a transaction's first batch: cut the read where that batch starts.
                if let Some((pos, _, _)) = seg.find_batch(lso)? {
                    if pos < slice.position + slice.length {
                        slice.length = pos.saturating_sub(slice.position);
                    }
                }
                upper = lso;
            }
        }
        let aborted = self.aborted_transactions(offset, upper);
        Ok(CommittedRead { slice, last_stable_offset: lso, aborted })
    }

    /// Forget idle producers (ProducerState::remove_expired); returns how many went.
    pub fn expire_producers(&mut self, now_ms: i64, expiration_ms: i64) -> usize {
        self.producers.remove_expired(now_ms, expiration_ms)
    }

    /// Every producer of this partition, by producer id (DescribeProducers).
    pub fn producer_states(&self) -> Vec<ProducerInfo> {
        self.producers
            .entries()
            .into_iter()
            .map(|(pid, e)| ProducerInfo {
                producer_id: pid,
                producer_epoch: e.epoch,
                last_sequence: e.last_seq().unwrap_or(-1),
                last_timestamp: e.last_timestamp,
                coordinator_epoch: e.coordinator_epoch,
                current_txn_start_offset: e.txn_first_offset,
            })
            .collect()
    }
}
