//! Records of a v2 batch: building a batch from records, decoding the records of a batch, and
//! iterating the records of a partition from an offset. The broker's own writers (group
//! coordinator, later transaction markers and the cleaner) use these; nothing else in the
//! project encodes or parses records.
//!
//! A record inside the batch payload (after decompression), Kafka's DefaultRecord:
//!
//! | field          | type                                   |
//! |----------------|----------------------------------------|
//! | length         | varint: bytes of the record after this field |
//! | attributes     | i8, unused (0)                          |
//! | timestampDelta | varlong: timestamp - batch baseTimestamp |
//! | offsetDelta    | varint: offset - batch baseOffset (0..n-1 in order) |
//! | key            | varint length (-1 = null), bytes        |
//! | value          | varint length (-1 = null), bytes        |
//! | headers        | varint count, then per header: varint key length, UTF-8 key, varint value length (-1 = null), value |
//!
//! varint/varlong are zigzag LEB128 (protobuf's sint32/sint64).
use std::borrow::Cow;
use std::sync::Arc;

use crate::batch::{
    self, BatchHeader, ATTR_CONTROL, ATTR_TRANSACTIONAL, ATTRIBUTES_OFFSET, CRC_OFFSET, HEADER_SIZE, LOG_OVERHEAD,
};
use crate::crc::crc32c;
use crate::recompress::{self, Compression};
use crate::error::{code, Result, StorageError};
use crate::segment::{FileSlice, Scanner, Step};

pub type Header = (String, Option<Vec<u8>>);

/// One record to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
    pub timestamp: i64,
}

/// Batch-level fields of a batch to build. The defaults are a plain batch without producer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub transactional: bool,
    /// Control batch (transaction markers); its records carry the marker key and value.
    pub control: bool,
    /// 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (recompress.rs writes them).
    pub codec: u8,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions { producer_id: -1, producer_epoch: -1, base_sequence: -1, transactional: false, control: false, codec: 0 }
    }
}

fn put_uvarint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_varlong(n: i64, out: &mut Vec<u8>) {
    put_uvarint(((n << 1) ^ (n >> 63)) as u64, out)
}

fn put_bytes(b: Option<&[u8]>, out: &mut Vec<u8>) {
    match b {
        None => put_varlong(-1, out),
        Some(b) => {
            put_varlong(b.len() as i64, out);
            out.extend_from_slice(b);
        }
    }
}

fn too_large(what: &str) -> StorageError {
    StorageError::new(code::MESSAGE_TOO_LARGE, format!("{what} is too large for a record batch"))
}

/// One batch v2 holding `records` in order, base offset 0 (the log assigns offsets). The base
/// timestamp is the first record's, the max timestamp the largest.
pub fn build_batch(records: &[Record], opts: &BatchOptions) -> Result<Vec<u8>> {
    let Some(first) = records.first() else {
        return Err(StorageError::invalid_record("A record batch needs at least one record"));
    };
    if records.len() > i32::MAX as usize {
        return Err(too_large("the record count"));
    }
    let base_ts = first.timestamp;
    let mut payload = Vec::new();
    let mut body = Vec::new();
    for (i, r) in records.iter().enumerate() {
        encode_record(r.timestamp.wrapping_sub(base_ts), i as i64, r.key.as_deref(), r.value.as_deref(), &r.headers, &mut body, &mut payload);
    }
    let payload = recompress::compress(&payload, opts.codec, Compression::default_level(opts.codec))?;

    let mut attributes = opts.codec as i16;
    if opts.transactional {
        attributes |= ATTR_TRANSACTIONAL;
    }
    if opts.control {
        attributes |= ATTR_CONTROL;
    }
    let count = records.len() as i32;
    let max_ts = records.iter().map(|r| r.timestamp).max().unwrap_or(base_ts);
    let fields = HeaderFields {
        base_offset: 0,
        attributes,
        last_offset_delta: count - 1,
        base_timestamp: base_ts,
        max_timestamp: max_ts,
        producer_id: opts.producer_id,
        producer_epoch: opts.producer_epoch,
        base_sequence: opts.base_sequence,
        records_count: count,
    };
    assemble(&fields, &payload)
}

/// A batch of the log rebuilt with only `keep` of its records (the cleaner): base offset,
/// lastOffsetDelta, producer id/epoch/base sequence, attributes (codec included: the payload is
/// compressed again with the batch's own codec) and base timestamp stay the original's, so each
/// record keeps its offset and timestamp and the producer's sequence range is unchanged; the
/// max timestamp is recomputed (kept for LogAppendTime) and so is the CRC. With no record
/// kept the result is the original header alone, records count 0 and codec none (Kafka's
/// writeEmptyHeader: clients would try to decompress an empty payload).
/// `delete_horizon` (the cleaner's first sight of a removable transaction marker) sets
/// ATTR_DELETE_HORIZON with baseTimestamp = the horizon; record timestamp deltas are computed
/// from it so every record keeps its timestamp.
pub fn rebuild_batch(header: &BatchHeader, keep: &[LogRecord], delete_horizon: Option<i64>) -> Result<Vec<u8>> {
    if keep.len() > i32::MAX as usize {
        return Err(too_large("the record count"));
    }
    let (base_timestamp, mut attributes) = match delete_horizon {
        Some(h) => (h, header.attributes | batch::ATTR_DELETE_HORIZON),
        None => (header.base_timestamp, header.attributes),
    };
    let mut payload = Vec::new();
    let mut body = Vec::new();
    for r in keep {
        let ts_delta = if header.is_log_append_time() { 0 } else { r.timestamp.wrapping_sub(base_timestamp) };
        encode_record(ts_delta, r.offset - header.base_offset, r.key.as_deref(), r.value.as_deref(), &r.headers, &mut body, &mut payload);
    }
    // Kafka's cleaner also writes with the batch's own codec at its default level.
    let codec = header.codec();
    let payload = if keep.is_empty() { Vec::new() } else { recompress::compress(&payload, codec, Compression::default_level(codec))? };
    let max_timestamp = if header.is_log_append_time() || keep.is_empty() {
        header.max_timestamp
    } else {
        keep.iter().map(|r| r.timestamp).max().unwrap_or(header.base_timestamp)
    };
    if keep.is_empty() {
        attributes &= !batch::ATTR_CODEC_MASK;
    }
    let fields = HeaderFields {
        base_offset: header.base_offset,
        attributes,
        last_offset_delta: header.last_offset_delta,
        base_timestamp,
        max_timestamp,
        producer_id: header.producer_id,
        producer_epoch: header.producer_epoch,
        base_sequence: header.base_sequence,
        records_count: keep.len() as i32,
    };
    assemble(&fields, &payload)
}

/// Append one record (DefaultRecord, table above) to `out`; `body` is scratch space.
fn encode_record(
    ts_delta: i64,
    offset_delta: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
    body: &mut Vec<u8>,
    out: &mut Vec<u8>,
) {
    body.clear();
    body.push(0); // attributes
    put_varlong(ts_delta, body);
    put_varlong(offset_delta, body);
    put_bytes(key, body);
    put_bytes(value, body);
    put_varlong(headers.len() as i64, body);
    for (k, v) in headers {
        put_bytes(Some(k.as_bytes()), body);
        put_bytes(v.as_deref(), body);
    }
    put_varlong(body.len() as i64, out);
    out.extend_from_slice(body);
}

/// Header fields of a batch to assemble (batchLength, magic and CRC are derived).
struct HeaderFields {
    base_offset: i64,
    attributes: i16,
    last_offset_delta: i32,
    base_timestamp: i64,
    max_timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    records_count: i32,
}

/// The 61-byte header followed by `payload`, CRC computed.
fn assemble(f: &HeaderFields, payload: &[u8]) -> Result<Vec<u8>> {
    let batch_length = HEADER_SIZE - LOG_OVERHEAD + payload.len();
    if batch_length > i32::MAX as usize {
        return Err(too_large("the batch"));
    }
    let mut out = Vec::with_capacity(HEADER_SIZE + payload.len());
    out.extend_from_slice(&f.base_offset.to_be_bytes());
    out.extend_from_slice(&(batch_length as i32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // partitionLeaderEpoch
    out.push(2); // magic
    out.extend_from_slice(&[0; 4]); // crc, below
    out.extend_from_slice(&f.attributes.to_be_bytes());
    out.extend_from_slice(&f.last_offset_delta.to_be_bytes());
    out.extend_from_slice(&f.base_timestamp.to_be_bytes());
    out.extend_from_slice(&f.max_timestamp.to_be_bytes());
    out.extend_from_slice(&f.producer_id.to_be_bytes());
    out.extend_from_slice(&f.producer_epoch.to_be_bytes());
    out.extend_from_slice(&f.base_sequence.to_be_bytes());
    out.extend_from_slice(&f.records_count.to_be_bytes());
    out.extend_from_slice(payload);
    let crc = crc32c(&out[ATTRIBUTES_OFFSET..]);
    out[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Transaction markers (control batches)

/// Control record type of a transaction marker (Kafka's ControlRecordType): the record key is
/// i16 version 0 + i16 type.
pub const CONTROL_TYPE_ABORT: i16 = 0;
pub const CONTROL_TYPE_COMMIT: i16 = 1;

/// What a transaction marker says: commit or abort, written by which coordinator epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnMarker {
    pub commit: bool,
    pub coordinator_epoch: i32,
}

/// The control batch that ends a transaction (Kafka's EndTransactionMarker): attributes
/// transactional|control, base sequence -1, one record with key = i16 version 0 + i16 type and
/// value = i16 version 0 + i32 coordinator epoch.
pub fn build_txn_marker(producer_id: i64, producer_epoch: i16, marker: TxnMarker, timestamp: i64) -> Vec<u8> {
    let kind = if marker.commit { CONTROL_TYPE_COMMIT } else { CONTROL_TYPE_ABORT };
    let mut key = 0i16.to_be_bytes().to_vec();
    key.extend_from_slice(&kind.to_be_bytes());
    let mut value = 0i16.to_be_bytes().to_vec();
    value.extend_from_slice(&marker.coordinator_epoch.to_be_bytes());
    let record = Record { key: Some(key), value: Some(value), headers: Vec::new(), timestamp };
    let opts = BatchOptions { producer_id, producer_epoch, base_sequence: -1, transactional: true, control: true, codec: 0 };
    build_batch(&[record], &opts).expect("a one-record uncompressed batch always builds")
}

/// The marker held by the control batch `b` (a whole batch); None when `b` is not a control
/// batch or holds another control record type (Kafka also has LEADER_CHANGE and snapshot records).
pub fn parse_txn_marker(b: &[u8]) -> Option<TxnMarker> {
    let batch = decode_batch(b).ok()?;
    if !batch.header.is_control() {
        return None;
    }
    let record = batch.records.first()?;
    let key = record.key.as_deref()?;
    if key.len() < 4 {
        return None;
    }
    let commit = match i16::from_be_bytes([key[2], key[3]]) {
        CONTROL_TYPE_ABORT => false,
        CONTROL_TYPE_COMMIT => true,
        _ => return None,
    };
    // A value too short to hold the epoch is read as epoch -1 (Kafka would refuse the batch; we
    // never write one and must still be able to open a log holding one).
    let coordinator_epoch = match record.value.as_deref() {
        Some(v) if v.len() >= 6 => i32::from_be_bytes([v[2], v[3], v[4], v[5]]),
        _ => -1,
    };
    Some(TxnMarker { commit, coordinator_epoch })
}

// ---------------------------------------------------------------------------------------------
// Reading records back

/// One record read from the log, with its absolute offset and timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
}

/// The records of one batch and the batch's header (producer id, epoch, flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    pub header: BatchHeader,
    pub records: Vec<LogRecord>,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

fn malformed(what: &str) -> StorageError {
    StorageError::corrupt(format!("Found invalid record structure: {what}"))
}

impl Cursor<'_> {
    fn uvarint(&mut self, max_bytes: usize) -> Result<u64> {
        let mut v = 0u64;
        for i in 0..max_bytes {
            let &byte = self.data.get(self.pos).ok_or_else(|| malformed("unexpected end of records"))?;
            self.pos += 1;
            v |= ((byte & 0x7f) as u64) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(malformed("varint is too long"))
    }
    fn varint(&mut self) -> Result<i32> {
        let u = self.uvarint(5)?;
        let u = u32::try_from(u).map_err(|_| malformed("varint overflow"))?;
        Ok(((u >> 1) as i32) ^ -((u & 1) as i32))
    }
    fn varlong(&mut self) -> Result<i64> {
        let u = self.uvarint(10)?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len()).ok_or_else(|| malformed("field overruns the records"))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn nullable_bytes(&mut self) -> Result<Option<Vec<u8>>> {
        let len = self.varint()?;
        match len {
            -1 => Ok(None),
            n if n < 0 => Err(malformed("negative length")),
            n => Ok(Some(self.take(n as usize)?.to_vec())),
        }
    }
}

/// Decode the records of the batch `b` (a whole batch, header included), decompressing as
/// needed. With LogAppendTime every record's timestamp is the batch's max timestamp (Kafka).
pub fn decode_batch(b: &[u8]) -> Result<RecordBatch> {
    if b.len() < HEADER_SIZE {
        return Err(StorageError::corrupt("Record batch is shorter than its header"));
    }
    let header = BatchHeader::parse(b);
    let size = header.size();
    if header.batch_length < (HEADER_SIZE - LOG_OVERHEAD) as i32 || size > b.len() {
        return Err(StorageError::corrupt(format!("Record batch declares {size} bytes but {} are there", b.len())));
    }
    let payload = &b[HEADER_SIZE..size];
    let raw: Cow<[u8]> =
        if header.codec() == 0 { Cow::Borrowed(payload) } else { Cow::Owned(batch::decompress(payload, header.codec())?) };
    let mut c = Cursor { data: &raw, pos: 0 };
    let count = header.records_count.max(0) as usize;
    let mut records = Vec::with_capacity(count.min(raw.len()));
    for _ in 0..count {
        let len = c.varint()?;
        if len < 0 {
            return Err(malformed("negative record length"));
        }
        let record_end = c.pos + len as usize;
        let _attributes = c.take(1)?;
        let ts_delta = c.varlong()?;
        let offset_delta = c.varint()?;
        let key = c.nullable_bytes()?;
        let value = c.nullable_bytes()?;
        let n_headers = c.varint()?;
        if n_headers < 0 {
            return Err(malformed("negative header count"));
        }
        let mut headers = Vec::with_capacity((n_headers as usize).min(raw.len()));
        for _ in 0..n_headers {
            let klen = c.varint()?;
            if klen < 0 {
                return Err(malformed("negative header key length"));
            }
            let k = String::from_utf8_lossy(c.take(klen as usize)?).into_owned();
            headers.push((k, c.nullable_bytes()?));
        }
        if c.pos != record_end {
            return Err(malformed("record length does not match its fields"));
        }
        let timestamp =
            if header.is_log_append_time() { header.max_timestamp } else { header.base_timestamp.wrapping_add(ts_delta) };
        records.push(LogRecord { offset: header.base_offset + offset_delta as i64, timestamp, key, value, headers });
    }
    Ok(RecordBatch { header, records })
}

/// The batches of a partition from an offset up to the log end as it was when the iterator was
/// made (`PartitionLog::records`), each with its records at or after that offset. It holds the
/// segment files open, so retention running meanwhile does not cut it short; every batch's CRC
/// is checked.
#[derive(Debug)]
pub struct LogRecords {
    /// Regions still to read: whole segments, the first one from the batch holding `from`.
    regions: std::vec::IntoIter<FileSlice>,
    scanner: Option<Scanner>,
    from: i64,
}

impl LogRecords {
    pub(crate) fn new(regions: Vec<FileSlice>, from: i64) -> LogRecords {
        LogRecords { regions: regions.into_iter(), scanner: None, from }
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            let sc = match self.scanner.as_mut() {
                Some(s) => s,
                None => {
                    let Some(r) = self.regions.next() else { return Ok(None) };
                    let end = r.position + r.length;
                    self.scanner.insert(Scanner::new(Arc::clone(&r.file), r.position, end, i64::MIN, 256 * 1024))
                }
            };
            let step = sc.next_batch(true, true).map_err(|e| StorageError::io("read segment", e))?;
            match step {
                Step::Batch { pos, header, size } => {
                    if header.last_offset() < self.from {
                        continue;
                    }
                    let mut batch = decode_batch(sc.bytes(pos, size))?;
                    batch.records.retain(|r| r.offset >= self.from);
                    return Ok(Some(batch));
                }
                Step::End => self.scanner = None,
                Step::Bad { pos, reason } => {
                    return Err(StorageError::new(
                        code::KAFKA_STORAGE_ERROR,
                        format!("unreadable batch at position {pos} of a segment: {reason}"),
                    ));
                }
            }
        }
    }
}

impl Iterator for LogRecords {
    type Item = Result<RecordBatch>;

    /// The next batch; after an error the iteration ends.
    fn next(&mut self) -> Option<Result<RecordBatch>> {
        match self.next_batch() {
            Ok(b) => b.map(Ok),
            Err(e) => {
                self.regions = Vec::new().into_iter();
                self.scanner = None;
                Some(Err(e))
            }
        }
    }
}
