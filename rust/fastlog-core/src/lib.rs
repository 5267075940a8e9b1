//! fastlog storage engine: CRC-32C, record batch v2 (validation, building, reading records back),
//! compression codecs, the segmented partition log with its indexes, recovery, idempotent
//! producer state, sendfile. Plain Rust; the Python binding lives in the fastlog-py crate.
//!
//! Modules of the log, one per on-disk structure (each documents its format):
//! `segment` (`.log`), `offset_index` (`.index`), `time_index` (`.timeindex`), `txn_index`
//! (`.txnindex`), `producer` (`producer-state.snapshot`), `recovery` (what open trusts and
//! rebuilds), `partition_log`, `txn` (markers, last stable offset, read_committed reads),
//! `cleaner` (log compaction).
pub mod batch;
pub mod cleaner;
pub mod crc;
pub mod error;
pub mod index_file;
mod lz4f;
pub mod offset_index;
pub mod partition_log;
pub mod producer;
pub mod record;
pub mod recompress;
pub mod recovery;
pub mod segment;
mod segment_roll;
pub mod sendfile;
pub mod time_index;
pub mod txn;
pub mod txn_index;

pub use error::{code, Result, StorageError};
pub use partition_log::{AppendResult, Level, LogConfig, PartitionLog, RecoveryEvent};
pub use recovery::verify_partition;
pub use segment::FileSlice;
