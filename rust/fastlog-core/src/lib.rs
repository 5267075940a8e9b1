//! fastlog storage engine: CRC-32C, record batch v2 validation, compression codecs, the
//! segmented partition log with its indexes, recovery, idempotent producer state, sendfile.
//! Plain Rust; the Python binding lives in the fastlog-py crate.
pub mod batch;
pub mod crc;
pub mod error;
pub mod log;
mod lz4f;
pub mod producer;
pub mod sendfile;

pub use error::{code, Result, StorageError};
pub use log::{AppendResult, FileSlice, LogConfig, PartitionLog};
