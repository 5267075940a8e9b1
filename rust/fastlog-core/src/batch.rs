//! Record batch v2 (magic 2): header parsing, validation of a record set to append (Kafka's
//! ProduceRequest and LogValidator rules) and the record walk over uncompressed and compressed
//! payloads. Records inside a batch, building batches and reading records back: record.rs.
//!
//! Batch layout, big-endian (the 61-byte header, then the records):
//!
//! | field                | offset | type | note |
//! |----------------------|--------|------|------|
//! | baseOffset           | 0      | i64  | assigned by the log (clients send 0) |
//! | batchLength          | 8      | i32  | bytes after this field: batch size = 12 + batchLength |
//! | partitionLeaderEpoch | 12     | i32  | 0 in our log |
//! | magic                | 16     | i8   | 2 |
//! | crc                  | 17     | u32  | CRC-32C of every byte from attributes to the end |
//! | attributes           | 21     | i16  | bits 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd), bit 3 LogAppendTime, bit 4 transactional, bit 5 control, bit 6 delete horizon (baseTimestamp is then the horizon; set by the cleaner) |
//! | lastOffsetDelta      | 23     | i32  | record count - 1 |
//! | baseTimestamp        | 27     | i64  | first record's timestamp |
//! | maxTimestamp         | 35     | i64  | largest record timestamp (the append time for LogAppendTime) |
//! | producerId           | 43     | i64  | -1: none |
//! | producerEpoch        | 51     | i16  | |
//! | baseSequence         | 53     | i32  | -1 without a producer id |
//! | recordsCount         | 57     | i32  | |
//! | records              | 61     |      | compressed as one block when the codec is not 0 |
//!
//! baseOffset and partitionLeaderEpoch are outside the CRC, so the log assigns offsets without
//! recomputing it; changing attributes or maxTimestamp needs a new CRC (`patch_header`).
use std::io::{BufRead, BufReader, Read};

use crate::crc::{crc32c, crc32c_append};
use crate::error::{code, Result, StorageError};
use crate::lz4f::Lz4Frames;

/// baseOffset + batchLength: the part of a batch that `batchLength` does not count.
pub const LOG_OVERHEAD: usize = 12;
/// Fixed header of a v2 batch, up to and including recordsCount.
pub const HEADER_SIZE: usize = 61;
pub const CRC_OFFSET: usize = 17;
/// The CRC covers everything from the attributes on.
pub const ATTRIBUTES_OFFSET: usize = 21;
pub const MAX_TIMESTAMP_OFFSET: usize = 35;

pub const ATTR_CODEC_MASK: i16 = 0x07;
pub const ATTR_LOG_APPEND_TIME: i16 = 0x08;
pub const ATTR_TRANSACTIONAL: i16 = 0x10;
pub const ATTR_CONTROL: i16 = 0x20;
/// Kafka's DELETE_HORIZON_FLAG (KIP-534): the cleaner set baseTimestamp to the time after which
/// it may remove the batch's tombstones or, for a transaction marker, the marker itself.
pub const ATTR_DELETE_HORIZON: i16 = 0x40;

#[inline]
fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}
#[inline]
fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}
#[inline]
fn be_i64(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

/// The fixed 61-byte header of a v2 record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

impl BatchHeader {
    /// Parse the header; `b` must hold at least HEADER_SIZE bytes.
    pub fn parse(b: &[u8]) -> BatchHeader {
        BatchHeader {
            base_offset: be_i64(b, 0),
            batch_length: be_i32(b, 8),
            partition_leader_epoch: be_i32(b, 12),
            magic: b[16] as i8,
            crc: be_i32(b, 17) as u32,
            attributes: be_i16(b, 21),
            last_offset_delta: be_i32(b, 23),
            base_timestamp: be_i64(b, 27),
            max_timestamp: be_i64(b, 35),
            producer_id: be_i64(b, 43),
            producer_epoch: be_i16(b, 51),
            base_sequence: be_i32(b, 53),
            records_count: be_i32(b, 57),
        }
    }
    /// Whole batch size in bytes (may be nonsense for a bad header: check batch_length first).
    pub fn size(&self) -> usize {
        LOG_OVERHEAD + self.batch_length.max(0) as usize
    }
    pub fn codec(&self) -> u8 {
        (self.attributes & ATTR_CODEC_MASK) as u8
    }
    pub fn is_control(&self) -> bool {
        self.attributes & ATTR_CONTROL != 0
    }
    pub fn is_transactional(&self) -> bool {
        self.attributes & ATTR_TRANSACTIONAL != 0
    }
    pub fn is_log_append_time(&self) -> bool {
        self.attributes & ATTR_LOG_APPEND_TIME != 0
    }
    /// The delete horizon the cleaner wrote into the batch (ATTR_DELETE_HORIZON), if any.
    pub fn delete_horizon(&self) -> Option<i64> {
        (self.attributes & ATTR_DELETE_HORIZON != 0).then_some(self.base_timestamp)
    }
    pub fn last_offset(&self) -> i64 {
        self.base_offset + self.last_offset_delta as i64
    }
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }
    /// Sequence of the last record; sequences wrap from i32::MAX to 0 (Kafka's incrementSequence).
    pub fn last_sequence(&self) -> i32 {
        increment_sequence(self.base_sequence, self.last_offset_delta)
    }
}

pub fn increment_sequence(seq: i32, by: i32) -> i32 {
    if seq > i32::MAX - by {
        by - (i32::MAX - seq) - 1
    } else {
        seq + by
    }
}

/// Kafka's default max.decompressed.message.bytes (Integer.MAX_VALUE - 8, the largest array the
/// JVM allocates): no limit beyond what a record's int32 size can say anyway.
pub const NO_RECORD_LIMIT: i64 = 2_147_483_639;

/// Limits of a partition that validation enforces.
#[derive(Debug, Clone, Copy)]
pub struct ValidationConfig {
    pub max_message_bytes: i64,
    /// max.decompressed.message.bytes: the largest record (its size varint's value) a compressed
    /// batch may hold. Kafka checks it where it decompresses, so uncompressed batches are exempt.
    pub max_decompressed_record_bytes: i64,
    pub log_append_time: bool,
    pub timestamp_before_max_ms: i64,
    pub timestamp_after_max_ms: i64,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            max_message_bytes: 1_048_588,
            max_decompressed_record_bytes: NO_RECORD_LIMIT,
            log_append_time: false,
            timestamp_before_max_ms: i64::MAX,
            timestamp_after_max_ms: 3_600_000,
        }
    }
}

/// One batch of a produce record set that passed validation, with what the append must rewrite.
#[derive(Debug, Clone)]
pub struct ValidatedBatch {
    /// Position and size of the batch in the produce buffer.
    pub pos: usize,
    pub size: usize,
    pub header: BatchHeader,
    /// Largest record timestamp (or the append time for LogAppendTime) and its offset delta.
    pub max_timestamp: i64,
    pub offset_delta_of_max: i32,
    /// When set, attributes and maxTimestamp change, so the CRC must be recomputed.
    pub rewrite: Option<(i16, i64)>,
}

impl ValidatedBatch {
    pub fn record_count(&self) -> i64 {
        self.header.last_offset_delta as i64 + 1
    }
}

/// Who appends a record set (Kafka's AppendOrigin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOrigin {
    /// A client's Produce request of this version: its record set must first pass the request
    /// rule (`check_produce_record_set`).
    Client { produce_version: i16 },
    /// The broker itself (group coordinator, transaction markers, later the cleaner): any number
    /// of batches in one append, control batches allowed.
    Coordinator,
}

/// Kafka's ProduceRequest rule for v3+: a partition's record set is exactly one whole batch of
/// magic 2; anything else is INVALID_RECORD before the batch itself is validated.
pub fn check_produce_record_set(buf: &[u8], produce_version: i16) -> Result<()> {
    let one_v2_batch =
        buf.len() >= HEADER_SIZE && buf[16] == 2 && LOG_OVERHEAD as i64 + be_i32(buf, 8) as i64 == buf.len() as i64;
    if one_v2_batch {
        return Ok(());
    }
    Err(StorageError::invalid_record(format!(
        "Produce requests with version {produce_version} are only allowed to contain exactly one record batch of magic 2"
    )))
}

/// Validate every batch of a record set to append. All-or-nothing: the first error wins.
pub fn validate_record_set(
    buf: &[u8],
    cfg: &ValidationConfig,
    now_ms: i64,
    origin: AppendOrigin,
) -> Result<Vec<ValidatedBatch>> {
    let client = matches!(origin, AppendOrigin::Client { .. });
    if let AppendOrigin::Client { produce_version } = origin {
        check_produce_record_set(buf, produce_version)?;
    }
    if buf.is_empty() {
        return Err(StorageError::invalid_record("Produce request must have at least one record batch"));
    }
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < buf.len() {
        let b = validate_batch(&buf[pos..], pos, cfg, now_ms, client)?;
        pos += b.size;
        out.push(b);
    }
    Ok(out)
}

/// Structure check of the batch at the start of `b`: magic, length and CRC (Kafka's ensureValid).
/// Returns the header and the batch size. Used for produce input and for log recovery.
pub fn check_batch_frame(b: &[u8], max_size: Option<i64>) -> Result<(BatchHeader, usize)> {
    if b.len() < 17 {
        return Err(StorageError::corrupt(format!("Record set has a truncated batch header ({} bytes)", b.len())));
    }
    let batch_length = be_i32(b, 8);
    if batch_length < 0 {
        return Err(StorageError::corrupt(format!("Invalid batch length {batch_length}")));
    }
    let size = LOG_OVERHEAD as u64 + batch_length as u64;
    if let Some(max) = max_size {
        if size as i64 > max {
            return Err(StorageError::new(
                code::MESSAGE_TOO_LARGE,
                format!("Record batch of {size} bytes is larger than the maximum allowed ({max})"),
            ));
        }
    }
    if size > b.len() as u64 {
        return Err(StorageError::corrupt(format!(
            "Record batch declares {size} bytes but only {} remain in the record set",
            b.len()
        )));
    }
    let magic = b[16] as i8;
    if magic != 2 {
        let c = if magic == 0 || magic == 1 { code::INVALID_RECORD } else { code::CORRUPT_MESSAGE };
        return Err(StorageError::new(c, format!("Record batch has magic {magic}; only magic 2 is accepted")));
    }
    let size = size as usize;
    if size < HEADER_SIZE {
        return Err(StorageError::corrupt(format!(
            "Record batch size {size} is less than the batch header size {HEADER_SIZE}"
        )));
    }
    let header = BatchHeader::parse(b);
    let computed = crc32c(&b[ATTRIBUTES_OFFSET..size]);
    if computed != header.crc {
        return Err(StorageError::corrupt(format!(
            "Record batch is corrupt (stored crc = {:#010x}, computed crc = {:#010x})",
            header.crc, computed
        )));
    }
    Ok((header, size))
}

fn validate_batch(b: &[u8], pos: usize, cfg: &ValidationConfig, now_ms: i64, client: bool) -> Result<ValidatedBatch> {
    let (h, size) = check_batch_frame(b, Some(cfg.max_message_bytes))?;
    if h.base_offset != 0 {
        return Err(StorageError::invalid_record(format!(
            "The baseOffset of the record batch in the append should be 0, but it is {}",
            h.base_offset
        )));
    }
    if h.is_control() && client {
        return Err(StorageError::invalid_record("Clients are not allowed to write control records"));
    }
    let codec = h.codec();
    if codec > 4 {
        return Err(StorageError::new(
            code::UNKNOWN_SERVER_ERROR,
            format!("Unknown compression type id {codec}"),
        ));
    }
    // Markers (control batches) carry the producer id with sequence -1.
    if h.has_producer_id() && h.base_sequence < 0 && !h.is_control() {
        return Err(StorageError::invalid_record(format!(
            "Invalid sequence number {} in record batch with producerId {}",
            h.base_sequence, h.producer_id
        )));
    }
    if h.last_offset_delta < 0 {
        return Err(StorageError::invalid_record("Batch has an invalid offset range"));
    }
    if h.records_count <= 0 {
        return Err(StorageError::invalid_record("Invalid reported count for record batch"));
    }
    if h.last_offset_delta as i64 + 1 != h.records_count as i64 {
        return Err(StorageError::invalid_record("Inconsistent batch offset range and record count"));
    }

    let mut max_ts = i64::MIN;
    let mut max_delta = 0i32;
    let check_ts = !cfg.log_append_time;
    // Kafka reports every record whose timestamp is out of range, one record error each.
    let mut out_of_range: Vec<(i32, String)> = Vec::new();
    let max_record = if codec == 0 { i64::MAX } else { cfg.max_decompressed_record_bytes };
    walk_records(&b[HEADER_SIZE..size], codec, h.records_count, max_record, |idx, ts_delta, _| {
        let ts = h.base_timestamp.wrapping_add(ts_delta);
        if check_ts {
            let ahead = ts as i128 - now_ms as i128;
            if ahead > cfg.timestamp_after_max_ms as i128 || -ahead > cfg.timestamp_before_max_ms as i128 {
                out_of_range.push((
                    idx,
                    format!(
                        "Timestamp {ts} of message with offset {idx} is out of range. The timestamp should be \
                         within [{}, {}]",
                        (now_ms as i128 - cfg.timestamp_before_max_ms as i128).max(i64::MIN as i128),
                        (now_ms as i128 + cfg.timestamp_after_max_ms as i128).min(i64::MAX as i128)
                    ),
                ));
            }
        }
        if ts > max_ts {
            max_ts = ts;
            max_delta = idx;
        }
        Ok(())
    })?;
    if !out_of_range.is_empty() {
        return Err(StorageError {
            code: code::INVALID_TIMESTAMP,
            message: "One or more records have been rejected due to invalid timestamp".into(),
            record_errors: out_of_range,
        });
    }

    let (rewrite, max_timestamp, offset_delta_of_max) = if cfg.log_append_time {
        (Some((h.attributes | ATTR_LOG_APPEND_TIME, now_ms)), now_ms, 0)
    } else if h.max_timestamp != max_ts || h.is_log_append_time() {
        // Kafka fixes an inconsistent maxTimestamp / timestamp type (setMaxTimestamp), with a new CRC.
        (Some((h.attributes & !ATTR_LOG_APPEND_TIME, max_ts)), max_ts, max_delta)
    } else {
        (None, max_ts, max_delta)
    };
    Ok(ValidatedBatch { pos, size, header: h, max_timestamp, offset_delta_of_max, rewrite })
}

/// Rewrite a batch header for the log: baseOffset, partitionLeaderEpoch = 0 and, when asked,
/// attributes + maxTimestamp with a CRC recomputed over `header ++ rest`.
pub fn patch_header(header: &mut [u8; HEADER_SIZE], rest: &[u8], base_offset: i64, rewrite: Option<(i16, i64)>) {
    header[0..8].copy_from_slice(&base_offset.to_be_bytes());
    header[12..16].copy_from_slice(&0i32.to_be_bytes());
    if let Some((attributes, max_ts)) = rewrite {
        header[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
        header[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8].copy_from_slice(&max_ts.to_be_bytes());
        let crc = crc32c_append(crc32c(&header[ATTRIBUTES_OFFSET..]), rest);
        header[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// Record walk

/// Reads varints and skips bytes from any BufRead (a slice or a decompressor), counting bytes.
struct Src<R: BufRead> {
    r: R,
    consumed: u64,
}

fn eof_error() -> StorageError {
    StorageError::invalid_record("Found invalid record structure: unexpected end of records")
}

fn decompress_error(e: std::io::Error) -> StorageError {
    StorageError::new(code::UNKNOWN_SERVER_ERROR, format!("Failed to decompress record batch: {e}"))
}

impl<R: BufRead> Src<R> {
    #[inline]
    fn fill(&mut self) -> Result<&[u8]> {
        self.r.fill_buf().map_err(decompress_error)
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.r.consume(n);
        self.consumed += n as u64;
    }

    #[inline]
    fn read_u8(&mut self) -> Result<u8> {
        let b = self.fill()?;
        if b.is_empty() {
            return Err(eof_error());
        }
        let v = b[0];
        self.consume(1);
        Ok(v)
    }

    /// Unsigned LEB128 of at most `max_bytes` bytes.
    #[inline]
    fn read_uvarint(&mut self, max_bytes: u32) -> Result<u64> {
        let b = self.fill()?;
        if b.len() >= 10 {
            // Fast path: the whole varint is in the buffer.
            let mut v = 0u64;
            for (i, &byte) in b.iter().enumerate().take(max_bytes as usize) {
                v |= ((byte & 0x7f) as u64) << (7 * i);
                if byte & 0x80 == 0 {
                    self.consume(i + 1);
                    return Ok(v);
                }
            }
            return Err(StorageError::invalid_record("Found invalid record structure: varint is too long"));
        }
        let mut v = 0u64;
        for i in 0..max_bytes {
            let byte = self.read_u8()?;
            v |= ((byte & 0x7f) as u64) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(StorageError::invalid_record("Found invalid record structure: varint is too long"))
    }

    #[inline]
    fn read_varint(&mut self) -> Result<i32> {
        let u = self.read_uvarint(5)?;
        if u > u32::MAX as u64 {
            return Err(StorageError::invalid_record("Found invalid record structure: varint overflow"));
        }
        let u = u as u32;
        Ok(((u >> 1) as i32) ^ -((u & 1) as i32))
    }

    #[inline]
    fn read_varlong(&mut self) -> Result<i64> {
        let u = self.read_uvarint(10)?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    fn skip(&mut self, mut n: u64) -> Result<()> {
        while n > 0 {
            let b = self.fill()?;
            if b.is_empty() {
                return Err(eof_error());
            }
            let k = (b.len() as u64).min(n) as usize;
            self.consume(k);
            n -= k as u64;
        }
        Ok(())
    }

    /// A nullable length-prefixed field (key, value, header value): -1 is null. Returns its length.
    #[inline]
    fn skip_bytes_field(&mut self, what: &str) -> Result<i32> {
        let len = self.read_varint()?;
        if len < -1 {
            return Err(StorageError::invalid_record(format!("Invalid negative {what} size {len}")));
        }
        if len > 0 {
            self.skip(len as u64)?;
        }
        Ok(len)
    }
}

fn walk<R: BufRead>(
    r: R,
    count: i32,
    max_record: i64,
    f: &mut dyn FnMut(i32, i64, bool) -> Result<()>,
) -> Result<()> {
    let mut s = Src { r, consumed: 0 };
    for idx in 0..count {
        let len = s.read_varint()?;
        if len < 0 {
            return Err(StorageError::invalid_record(format!("Invalid record size {len}")));
        }
        if len as i64 > max_record {
            return Err(StorageError::invalid_record(format!(
                "Invalid record size: {len} exceeds the configured maximum record size of {max_record}."
            )));
        }
        let start = s.consumed;
        let _attributes = s.read_u8()?;
        let ts_delta = s.read_varlong()?;
        let offset_delta = s.read_varint()?;
        if offset_delta != idx {
            return Err(StorageError::invalid_record(format!(
                "Invalid offset delta {offset_delta} for record {idx} of the batch (deltas must be 0..n-1)"
            )));
        }
        let keyless = s.skip_bytes_field("key")? < 0;
        s.skip_bytes_field("value")?;
        let headers = s.read_varint()?;
        if headers < 0 {
            return Err(StorageError::invalid_record(format!("Found invalid number of record headers {headers}")));
        }
        for _ in 0..headers {
            let klen = s.read_varint()?;
            if klen < 0 {
                return Err(StorageError::invalid_record(format!("Invalid negative header key size {klen}")));
            }
            s.skip(klen as u64)?;
            s.skip_bytes_field("header value")?;
            if s.consumed - start > len as u64 {
                break; // the size check below reports it
            }
        }
        let body = s.consumed - start;
        if body != len as u64 {
            return Err(StorageError::invalid_record(format!(
                "Invalid record size: expected to read {len} bytes in record payload, but instead read {body}"
            )));
        }
        f(idx, ts_delta, keyless)?;
    }
    if !s.fill()?.is_empty() {
        return Err(StorageError::invalid_record("Incorrect declared batch size, records still remaining in file"));
    }
    Ok(())
}

const STREAM_BUF: usize = 64 * 1024;

/// Walk the `count` records of a batch payload (the bytes after the 61-byte header), decompressing
/// on the fly and copying nothing. `f(index, timestamp_delta, keyless)` is called for every record
/// (`keyless`: its key is null). A record whose size exceeds `max_record` is INVALID_RECORD.
pub fn walk_records(
    payload: &[u8],
    codec: u8,
    count: i32,
    max_record: i64,
    mut f: impl FnMut(i32, i64, bool) -> Result<()>,
) -> Result<()> {
    let f: &mut dyn FnMut(i32, i64, bool) -> Result<()> = &mut f;
    let m = max_record;
    match codec {
        0 => walk(payload, count, m, f),
        1 => walk(BufReader::with_capacity(STREAM_BUF, flate2::bufread::MultiGzDecoder::new(payload)), count, m, f),
        2 => walk(BufReader::with_capacity(STREAM_BUF, snappy_reader(payload)?), count, m, f),
        // Lz4Frames is a BufRead over its own output buffer: no BufReader (and no extra copy).
        3 => walk(Lz4Frames::new(payload).map_err(decompress_error)?, count, m, f),
        4 => {
            let d = zstd::stream::read::Decoder::with_buffer(payload).map_err(decompress_error)?;
            walk(BufReader::with_capacity(STREAM_BUF, d), count, m, f)
        }
        _ => Err(StorageError::new(code::UNKNOWN_SERVER_ERROR, format!("Unknown compression type id {codec}"))),
    }
}

/// Fully decompress a batch payload (tests, benchmarks and tools).
pub fn decompress(payload: &[u8], codec: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let res = match codec {
        0 => {
            out.extend_from_slice(payload);
            Ok(0)
        }
        1 => flate2::bufread::MultiGzDecoder::new(payload).read_to_end(&mut out),
        2 => snappy_reader(payload)?.read_to_end(&mut out),
        3 => Lz4Frames::new(payload).and_then(|mut d| d.read_to_end(&mut out)),
        4 => zstd::stream::read::Decoder::with_buffer(payload).and_then(|mut d| d.read_to_end(&mut out)),
        _ => return Err(StorageError::new(code::UNKNOWN_SERVER_ERROR, format!("Unknown compression type id {codec}"))),
    };
    res.map_err(decompress_error)?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Snappy: Kafka clients (Java, librdkafka) use xerial framing; also accept the snappy framing
// format and a bare raw snappy block.

const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\x00";
const FRAMED_MAGIC: &[u8; 10] = b"\xff\x06\x00\x00sNaPpY";

fn snappy_reader(payload: &[u8]) -> Result<Box<dyn Read + '_>> {
    if payload.len() >= 16 && &payload[..8] == XERIAL_MAGIC {
        Ok(Box::new(XerialReader { input: &payload[16..], block: Vec::new(), at: 0, dec: snap::raw::Decoder::new() }))
    } else if payload.starts_with(FRAMED_MAGIC) {
        Ok(Box::new(snap::read::FrameDecoder::new(payload)))
    } else {
        snappy_len_check(payload)
            .map_err(|m| StorageError::new(code::UNKNOWN_SERVER_ERROR, format!("Failed to decompress snappy record batch: {m}")))?;
        let out = snap::raw::Decoder::new()
            .decompress_vec(payload)
            .map_err(|e| StorageError::new(code::UNKNOWN_SERVER_ERROR, format!("Failed to decompress snappy record batch: {e}")))?;
        Ok(Box::new(std::io::Cursor::new(out)))
    }
}

/// The uncompressed length a snappy block declares, refused when no real snappy block of this
/// size could expand to it (snappy expands at most ~21x), so junk cannot make us allocate GiBs.
fn snappy_len_check(block: &[u8]) -> std::result::Result<usize, String> {
    let len = snap::raw::decompress_len(block).map_err(|e| e.to_string())?;
    if len > block.len().saturating_mul(32).saturating_add(1024) {
        return Err(format!("snappy block of {} bytes claims {len} uncompressed bytes", block.len()));
    }
    Ok(len)
}

/// xerial snappy-java stream: 16-byte header, then blocks of (int32 BE length, raw snappy block).
struct XerialReader<'a> {
    input: &'a [u8],
    block: Vec<u8>,
    at: usize,
    dec: snap::raw::Decoder,
}

impl Read for XerialReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.block.len() {
            if self.input.is_empty() {
                return Ok(0);
            }
            let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
            if self.input.len() < 4 {
                return Err(bad("truncated xerial snappy block length".into()));
            }
            let n = u32::from_be_bytes(self.input[..4].try_into().unwrap()) as usize;
            if n > self.input.len() - 4 {
                return Err(bad(format!("xerial snappy block of {n} bytes exceeds the payload")));
            }
            let compressed = &self.input[4..4 + n];
            self.input = &self.input[4 + n..];
            let len = snappy_len_check(compressed).map_err(bad)?;
            self.block.resize(len, 0);
            self.dec.decompress(compressed, &mut self.block).map_err(|e| bad(e.to_string()))?;
            self.at = 0;
        }
        let k = out.len().min(self.block.len() - self.at);
        out[..k].copy_from_slice(&self.block[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}
