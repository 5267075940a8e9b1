//! Storage errors carry the Kafka error code the broker puts in its response.
use std::fmt;

/// Kafka error codes used by the storage engine.
pub mod code {
    /// What Kafka 4.4 answers a Produce whose batch names an unknown codec or whose payload its
    /// codec cannot read (its decompressors throw; checked side by side).
    pub const UNKNOWN_SERVER_ERROR: i16 = -1;
    pub const OFFSET_OUT_OF_RANGE: i16 = 1;
    pub const CORRUPT_MESSAGE: i16 = 2;
    pub const MESSAGE_TOO_LARGE: i16 = 10;
    pub const INVALID_TIMESTAMP: i16 = 32;
    pub const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
    pub const INVALID_PRODUCER_EPOCH: i16 = 47;
    pub const INVALID_TXN_STATE: i16 = 48;
    pub const TRANSACTION_COORDINATOR_FENCED: i16 = 52;
    pub const KAFKA_STORAGE_ERROR: i16 = 56;
    pub const UNSUPPORTED_COMPRESSION_TYPE: i16 = 76;
    pub const INVALID_RECORD: i16 = 87;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    pub code: i16,
    pub message: String,
    /// Kafka's per-record errors of a Produce answer (batch index, why), for the errors Kafka
    /// reports record by record (INVALID_TIMESTAMP); empty for the others.
    pub record_errors: Vec<(i32, String)>,
}

impl StorageError {
    pub fn new(code: i16, message: impl Into<String>) -> Self {
        StorageError { code, message: message.into(), record_errors: Vec::new() }
    }
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(code::CORRUPT_MESSAGE, message)
    }
    pub fn invalid_record(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_RECORD, message)
    }
    /// An I/O failure of the log itself (disk full, EIO, ...): KAFKA_STORAGE_ERROR.
    pub fn io(context: &str, err: std::io::Error) -> Self {
        Self::new(code::KAFKA_STORAGE_ERROR, format!("{context}: {err}"))
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl std::error::Error for StorageError {}

pub type Result<T> = std::result::Result<T, StorageError>;
