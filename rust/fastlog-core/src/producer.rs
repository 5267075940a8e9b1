//! Producer state: per producer id the epoch, the last 5 appended batches, and its transaction
//! in this partition (first offset of the ongoing one, coordinator epoch of the last marker),
//! with Kafka's ProducerStateManager/ProducerAppendInfo rules for duplicates, gaps, epochs and
//! transaction markers. The ongoing transactions' first offsets give the last stable offset.
//!
//! `producer-state.snapshot` (written at each roll and at close, tmp file + rename) holds the
//! state after every batch below its end offset, big-endian:
//!
//! | field | type |
//! |-------|------|
//! | magic | 4 bytes `FLPS` |
//! | version | u16 = 2 (version 1, without the three transaction fields, is still read) |
//! | log end offset the state is valid for | i64 |
//! | producer count | u32 |
//! | per producer: producer id, epoch | i64, i16 |
//! | per producer (v2): coordinator epoch (-1 none), ongoing transaction's first offset (-1 none), last timestamp (-1 none) | i32, i64, i64 |
//! | per producer: batch count (0..5) | u8 |
//! | per batch: first sequence, last sequence, first offset, last offset, max timestamp | i32, i32, i64, i64, i64 |
//! | CRC-32C of all bytes before it | u32 |
//!
//! A snapshot that is missing, damaged or beyond the log end is ignored: recovery.rs rebuilds
//! the state from the batch headers.
use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::batch::BatchHeader;
use crate::error::{code, Result, StorageError};
use crate::record::TxnMarker;

pub const NO_PRODUCER_EPOCH: i16 = -1;
/// How many batches per producer Kafka remembers for duplicate detection.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMeta {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: i64,
    pub last_offset: i64,
    pub timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerEntry {
    pub epoch: i16,
    pub batches: VecDeque<BatchMeta>,
    /// Epoch of the transaction coordinator that wrote this producer's last marker (-1: none).
    pub coordinator_epoch: i32,
    /// First offset of the producer's ongoing transaction in this partition (-1: none).
    pub txn_first_offset: i64,
    /// Timestamp of its last batch or marker (-1: none).
    pub last_timestamp: i64,
}

/// A transaction that a marker ended: the data from `first_offset` to the marker at
/// `last_offset` is committed or aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
    pub aborted: bool,
}

impl ProducerEntry {
    fn empty() -> Self {
        ProducerEntry {
            epoch: NO_PRODUCER_EPOCH,
            batches: VecDeque::new(),
            coordinator_epoch: -1,
            txn_first_offset: -1,
            last_timestamp: -1,
        }
    }
    /// Start a new sequence history when the epoch changes (a bump or a new producer).
    fn set_epoch(&mut self, epoch: i16) {
        if epoch != self.epoch {
            self.batches.clear();
            self.epoch = epoch;
        }
    }
    /// A data batch at `first_offset`: a transactional one starts a transaction unless one is
    /// ongoing.
    fn track_txn(&mut self, transactional: bool, first_offset: i64, timestamp: i64) {
        if transactional && self.txn_first_offset < 0 {
            self.txn_first_offset = first_offset;
        }
        self.last_timestamp = timestamp;
    }
    /// A marker at `offset` ends the ongoing transaction (if any), as Kafka's appendEndTxnMarker.
    fn end_txn(&mut self, pid: i64, epoch: i16, marker: TxnMarker, offset: i64, timestamp: i64) -> Option<CompletedTxn> {
        let done = (self.txn_first_offset >= 0).then_some(CompletedTxn {
            producer_id: pid,
            first_offset: self.txn_first_offset,
            last_offset: offset,
            aborted: !marker.commit,
        });
        self.set_epoch(epoch);
        self.txn_first_offset = -1;
        self.coordinator_epoch = marker.coordinator_epoch;
        self.last_timestamp = timestamp;
        done
    }
    pub fn last_seq(&self) -> Option<i32> {
        self.batches.back().map(|b| b.last_seq)
    }
    fn add(&mut self, epoch: i16, meta: BatchMeta) {
        self.set_epoch(epoch);
        self.batches.push_back(meta);
        while self.batches.len() > NUM_BATCHES_TO_RETAIN {
            self.batches.pop_front();
        }
    }
}

#[inline]
fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    next_seq as i64 == last_seq as i64 + 1 || (next_seq == 0 && last_seq == i32::MAX)
}

#[derive(Debug, Default, Clone)]
pub struct ProducerState {
    /// Read freely; change through `put` only (`ongoing` mirrors the entries' transactions).
    pub producers: HashMap<i64, ProducerEntry>,
    /// (first offset, producer id) of every ongoing transaction, smallest first.
    ongoing: BTreeSet<(i64, i64)>,
}

/// Checks and updates for the batches of one append; committed only if the whole append succeeds.
pub struct ProducerAppend<'a> {
    state: &'a ProducerState,
    updated: HashMap<i64, ProducerEntry>,
}

impl ProducerState {
    pub fn new() -> Self {
        Self::default()
    }

    /// The original batch if `h` is a retry of one of the last 5 batches of its producer.
    pub fn find_duplicate(&self, h: &BatchHeader) -> Option<BatchMeta> {
        let e = self.producers.get(&h.producer_id)?;
        if e.epoch != h.producer_epoch {
            return None;
        }
        let last = h.last_sequence();
        e.batches.iter().find(|b| b.first_seq == h.base_sequence && b.last_seq == last).copied()
    }

    pub fn begin(&self) -> ProducerAppend<'_> {
        ProducerAppend { state: self, updated: HashMap::new() }
    }

    pub fn commit(&mut self, updated: HashMap<i64, ProducerEntry>) {
        for (pid, e) in updated {
            self.put(pid, e);
        }
    }

    fn put(&mut self, pid: i64, e: ProducerEntry) {
        if let Some(old) = self.producers.get(&pid) {
            self.ongoing.remove(&(old.txn_first_offset, pid));
        }
        if e.txn_first_offset >= 0 {
            self.ongoing.insert((e.txn_first_offset, pid));
        }
        self.producers.insert(pid, e);
    }

    pub fn get(&self, pid: i64) -> Option<&ProducerEntry> {
        self.producers.get(&pid)
    }

    /// Every producer, by producer id.
    pub fn entries(&self) -> Vec<(i64, &ProducerEntry)> {
        let mut v: Vec<(i64, &ProducerEntry)> = self.producers.iter().map(|(&p, e)| (p, e)).collect();
        v.sort_by_key(|x| x.0);
        v
    }

    pub fn len(&self) -> usize {
        self.producers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.producers.is_empty()
    }

    /// Forget the producers idle for `expiration_ms` (producer.id.expiration.ms) with no ongoing
    /// transaction, as Kafka's ProducerStateManager.removeExpiredProducers: their sequence
    /// tracking goes, and a later batch of theirs is taken as from a new producer. Returns how
    /// many went.
    pub fn remove_expired(&mut self, now_ms: i64, expiration_ms: i64) -> usize {
        let before = self.producers.len();
        self.producers
            .retain(|_, e| e.txn_first_offset >= 0 || now_ms.saturating_sub(e.last_timestamp) < expiration_ms);
        before - self.producers.len()
    }

    /// First offset of the oldest ongoing transaction (Kafka's first unstable offset).
    pub fn first_unstable_offset(&self) -> Option<i64> {
        self.ongoing.first().map(|&(offset, _)| offset)
    }

    /// Replay a batch read back from the log (recovery): no checks, like Kafka's replication
    /// origin. A control batch needs its marker (None: not a transaction marker, ignored).
    /// Returns the transaction a marker ended.
    pub fn replay(&mut self, h: &BatchHeader, last_offset: i64, marker: Option<TxnMarker>) -> Option<CompletedTxn> {
        if !h.has_producer_id() {
            return None;
        }
        let pid = h.producer_id;
        let mut e = self.producers.get(&pid).cloned().unwrap_or_else(ProducerEntry::empty);
        let done = if h.is_control() {
            let marker = marker?;
            e.end_txn(pid, h.producer_epoch, marker, h.base_offset, h.max_timestamp)
        } else {
            e.add(
                h.producer_epoch,
                BatchMeta {
                    first_seq: h.base_sequence,
                    last_seq: h.last_sequence(),
                    first_offset: h.base_offset,
                    last_offset,
                    timestamp: h.max_timestamp,
                },
            );
            e.track_txn(h.is_transactional(), h.base_offset, h.max_timestamp);
            None
        };
        self.put(pid, e);
        done
    }
}

impl ProducerAppend<'_> {
    /// Validate epoch and sequence of a batch about to be appended at `first_offset`.
    pub fn append(&mut self, h: &BatchHeader, first_offset: i64, timestamp: i64) -> Result<()> {
        let pid = h.producer_id;
        let current = self.state.producers.get(&pid);
        let current_epoch = current.map_or(NO_PRODUCER_EPOCH, |e| e.epoch);
        let entry = self
            .updated
            .entry(pid)
            .or_insert_with(|| current.cloned().unwrap_or_else(ProducerEntry::empty));
        let epoch = h.producer_epoch;
        if epoch < entry.epoch {
            return Err(StorageError::new(
                code::INVALID_PRODUCER_EPOCH,
                format!("Epoch of producer {pid} at offset {first_offset} is {epoch}, which is smaller than the last seen epoch {}", entry.epoch),
            ));
        }
        let first_seq = h.base_sequence;
        if epoch != entry.epoch {
            // A bumped epoch must start over at sequence 0 (unless the producer is unknown).
            if first_seq != 0 && entry.epoch != NO_PRODUCER_EPOCH {
                return Err(StorageError::new(
                    code::OUT_OF_ORDER_SEQUENCE_NUMBER,
                    format!("Invalid sequence number for new epoch of producer {pid}: {epoch} (request epoch), {first_seq} (seq. number), {} (current producer epoch)", entry.epoch),
                ));
            }
        } else {
            // Unknown state (e.g. its batches were deleted): accept any sequence, as Kafka does.
            let known = current_epoch != NO_PRODUCER_EPOCH;
            let last = entry.last_seq().unwrap_or(-1);
            {
                if known && !in_sequence(last, first_seq) {
                    return Err(StorageError::new(
                        code::OUT_OF_ORDER_SEQUENCE_NUMBER,
                        format!("Out of order sequence number for producer {pid} at offset {first_offset}: {first_seq} (incoming seq. number), {last} (current end sequence number)"),
                    ));
                }
            }
        }
        if entry.txn_first_offset >= 0 && !h.is_transactional() {
            return Err(StorageError::new(
                code::INVALID_TXN_STATE,
                format!("Expected transactional write from producer {pid} at offset {first_offset}"),
            ));
        }
        entry.add(
            epoch,
            BatchMeta {
                first_seq,
                last_seq: h.last_sequence(),
                first_offset,
                last_offset: first_offset + h.last_offset_delta as i64,
                timestamp,
            },
        );
        entry.track_txn(h.is_transactional(), first_offset, timestamp);
        Ok(())
    }

    /// Check and apply a transaction marker (control batch `h`) about to be appended at `offset`:
    /// an older producer epoch is INVALID_PRODUCER_EPOCH, an older coordinator epoch
    /// TRANSACTION_COORDINATOR_FENCED. Returns the transaction it ends (None: the producer had
    /// none ongoing here; the marker is still written, as in Kafka).
    pub fn append_marker(&mut self, h: &BatchHeader, marker: TxnMarker, offset: i64, timestamp: i64) -> Result<Option<CompletedTxn>> {
        let pid = h.producer_id;
        let current = self.state.producers.get(&pid);
        let entry = self
            .updated
            .entry(pid)
            .or_insert_with(|| current.cloned().unwrap_or_else(ProducerEntry::empty));
        if h.producer_epoch < entry.epoch {
            return Err(StorageError::new(
                code::INVALID_PRODUCER_EPOCH,
                format!("Epoch of producer {pid} at offset {offset} is {}, which is smaller than the last seen epoch {}", h.producer_epoch, entry.epoch),
            ));
        }
        if marker.coordinator_epoch < entry.coordinator_epoch {
            return Err(StorageError::new(
                code::TRANSACTION_COORDINATOR_FENCED,
                format!("Invalid coordinator epoch for producer {pid} at offset {offset}: {} (zombie), {} (current)", marker.coordinator_epoch, entry.coordinator_epoch),
            ));
        }
        Ok(entry.end_txn(pid, h.producer_epoch, marker, offset, timestamp))
    }

    pub fn into_updates(self) -> HashMap<i64, ProducerEntry> {
        self.updated
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshot file (format in the module comment): a clean open need not scan the log.

const SNAPSHOT_MAGIC: &[u8; 4] = b"FLPS";
const SNAPSHOT_VERSION: u16 = 2;

impl ProducerState {
    /// Serialise the state valid at log end offset `end_offset` (format in the module comment).
    pub fn encode_snapshot(&self, end_offset: i64) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.producers.len() * 64);
        out.extend_from_slice(SNAPSHOT_MAGIC);
        out.extend_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
        out.extend_from_slice(&end_offset.to_be_bytes());
        out.extend_from_slice(&(self.producers.len() as u32).to_be_bytes());
        let mut pids: Vec<&i64> = self.producers.keys().collect();
        pids.sort();
        for pid in pids {
            let e = &self.producers[pid];
            out.extend_from_slice(&pid.to_be_bytes());
            out.extend_from_slice(&e.epoch.to_be_bytes());
            out.extend_from_slice(&e.coordinator_epoch.to_be_bytes());
            out.extend_from_slice(&e.txn_first_offset.to_be_bytes());
            out.extend_from_slice(&e.last_timestamp.to_be_bytes());
            out.push(e.batches.len() as u8);
            for b in &e.batches {
                out.extend_from_slice(&b.first_seq.to_be_bytes());
                out.extend_from_slice(&b.last_seq.to_be_bytes());
                out.extend_from_slice(&b.first_offset.to_be_bytes());
                out.extend_from_slice(&b.last_offset.to_be_bytes());
                out.extend_from_slice(&b.timestamp.to_be_bytes());
            }
        }
        let crc = crate::crc::crc32c(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    /// Parse a snapshot; None if it is damaged in any way (the caller then rebuilds from the log).
    pub fn decode_snapshot(data: &[u8]) -> Option<(i64, ProducerState)> {
        if data.len() < 22 || &data[..4] != SNAPSHOT_MAGIC {
            return None;
        }
        let (body, crc) = data.split_at(data.len() - 4);
        if crate::crc::crc32c(body) != u32::from_be_bytes(crc.try_into().ok()?) {
            return None;
        }
        let mut r = body;
        let mut take = |n: usize| -> Option<&[u8]> {
            if r.len() < n {
                return None;
            }
            let (a, b) = r.split_at(n);
            r = b;
            Some(a)
        };
        take(4)?;
        let version = u16::from_be_bytes(take(2)?.try_into().ok()?);
        if version != 1 && version != SNAPSHOT_VERSION {
            return None;
        }
        let end_offset = i64::from_be_bytes(take(8)?.try_into().ok()?);
        let n = u32::from_be_bytes(take(4)?.try_into().ok()?);
        let mut state = ProducerState::new();
        for _ in 0..n {
            let pid = i64::from_be_bytes(take(8)?.try_into().ok()?);
            let epoch = i16::from_be_bytes(take(2)?.try_into().ok()?);
            let mut entry = ProducerEntry::empty();
            entry.epoch = epoch;
            if version >= 2 {
                entry.coordinator_epoch = i32::from_be_bytes(take(4)?.try_into().ok()?);
                entry.txn_first_offset = i64::from_be_bytes(take(8)?.try_into().ok()?);
                entry.last_timestamp = i64::from_be_bytes(take(8)?.try_into().ok()?);
            }
            let nb = take(1)?[0] as usize;
            let mut batches = VecDeque::with_capacity(nb);
            for _ in 0..nb {
                let first_seq = i32::from_be_bytes(take(4)?.try_into().ok()?);
                let last_seq = i32::from_be_bytes(take(4)?.try_into().ok()?);
                let first_offset = i64::from_be_bytes(take(8)?.try_into().ok()?);
                let last_offset = i64::from_be_bytes(take(8)?.try_into().ok()?);
                let timestamp = i64::from_be_bytes(take(8)?.try_into().ok()?);
                batches.push_back(BatchMeta { first_seq, last_seq, first_offset, last_offset, timestamp });
            }
            if version == 1 {
                entry.last_timestamp = batches.back().map_or(-1, |b| b.timestamp);
            }
            entry.batches = batches;
            state.put(pid, entry);
        }
        if !r.is_empty() {
            return None;
        }
        Some((end_offset, state))
    }
}
