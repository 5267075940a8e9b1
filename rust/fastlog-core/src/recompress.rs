//! Compression the broker writes: batches it builds itself (record.rs) and, for a topic whose
//! `compression.type` is a codec rather than `producer`, every appended batch that is not
//! already in that codec (Kafka's LogValidator recompresses the same way).
//!
//! Recompressing a batch changes only its payload and three header fields: the records inside
//! are byte-for-byte the same after decompression, so the payload is decompressed, compressed
//! with the topic's codec, and the header keeps every field but batchLength, the codec bits of
//! attributes and the CRC. A batch already in the topic's codec, and a control batch (never
//! compressed), pass untouched: no extra work.
//!
//! Codec formats written (what Kafka's clients read):
//! - gzip (1): one gzip member (flate2), level from compression.gzip.level (-1 = zlib's 6).
//! - snappy (2): xerial snappy-java framing, as Kafka's Java producer writes it: the 16-byte
//!   header (magic, version 1, compatible 1), then blocks of (i32 BE length, raw snappy block)
//!   of at most 32 KiB input each.
//! - lz4 (3): one LZ4 frame (liblz4's LZ4F), 64 KiB independent blocks, no content checksum,
//!   level from compression.lz4.level.
//! - zstd (4): one zstd frame, level from compression.zstd.level.
use std::io::Write;

use crate::batch::{self, ValidatedBatch, ATTRIBUTES_OFFSET, ATTR_CODEC_MASK, CRC_OFFSET, HEADER_SIZE, LOG_OVERHEAD};
use crate::crc::crc32c;
use crate::error::{code, Result, StorageError};

pub const NONE: u8 = 0;
pub const GZIP: u8 = 1;
pub const SNAPPY: u8 = 2;
pub const LZ4: u8 = 3;
pub const ZSTD: u8 = 4;

/// A topic's compression.type as a codec id and its level (the level key of that codec;
/// ignored for snappy and none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compression {
    pub codec: u8,
    pub level: i32,
}

impl Compression {
    /// The level Kafka uses when the codec's level key is not set.
    pub fn default_level(codec: u8) -> i32 {
        match codec {
            GZIP => -1,
            LZ4 => 9,
            ZSTD => 3,
            _ => 0,
        }
    }
}

const XERIAL_HEADER: &[u8; 16] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";
const XERIAL_BLOCK: usize = 32 * 1024;

extern "C" {
    // Stable LZ4F API (lz4 >= 1.7), linked from lz4-sys's static liblz4; lz4-sys lacks the binding.
    fn LZ4F_compressFrameBound(src_size: usize, prefs: *const lz4_sys::LZ4FPreferences) -> usize;
    fn LZ4F_compressFrame(
        dst: *mut u8,
        dst_capacity: usize,
        src: *const u8,
        src_size: usize,
        prefs: *const lz4_sys::LZ4FPreferences,
    ) -> usize;
}

fn failed(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::new(code::KAFKA_STORAGE_ERROR, format!("{what} compression failed: {e}"))
}

/// Compress a batch payload (the records, uncompressed) with `codec` at `level`.
pub fn compress(raw: &[u8], codec: u8, level: i32) -> Result<Vec<u8>> {
    match codec {
        NONE => Ok(raw.to_vec()),
        GZIP => {
            let level = if level < 0 { flate2::Compression::default() } else { flate2::Compression::new(level as u32) };
            let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 2 + 64), level);
            e.write_all(raw).map_err(|e| failed("gzip", e))?;
            e.finish().map_err(|e| failed("gzip", e))
        }
        SNAPPY => {
            let mut out = Vec::with_capacity(raw.len() / 2 + 64);
            out.extend_from_slice(XERIAL_HEADER);
            let mut enc = snap::raw::Encoder::new();
            let mut block = vec![0u8; snap::raw::max_compress_len(XERIAL_BLOCK)];
            for chunk in raw.chunks(XERIAL_BLOCK) {
                let n = enc.compress(chunk, &mut block).map_err(|e| failed("snappy", e))?;
                out.extend_from_slice(&(n as u32).to_be_bytes());
                out.extend_from_slice(&block[..n]);
            }
            Ok(out)
        }
        LZ4 => lz4_frame(raw, level),
        ZSTD => zstd::bulk::compress(raw, level).map_err(|e| failed("zstd", e)),
        _ => Err(StorageError::new(
            code::UNSUPPORTED_COMPRESSION_TYPE,
            format!("Writing batches with compression type id {codec} is not supported"),
        )),
    }
}

fn lz4_frame(raw: &[u8], level: i32) -> Result<Vec<u8>> {
    let prefs = lz4_sys::LZ4FPreferences {
        frame_info: lz4_sys::LZ4FFrameInfo {
            block_size_id: lz4_sys::BlockSize::Max64KB,
            block_mode: lz4_sys::BlockMode::Independent,
            content_checksum_flag: lz4_sys::ContentChecksum::NoChecksum,
            frame_type: lz4_sys::FrameType::Frame,
            content_size: 0,
            dict_id: 0,
            block_checksum_flag: lz4_sys::BlockChecksum::NoBlockChecksum,
        },
        compression_level: level.max(0) as u32,
        auto_flush: 0,
        favor_dec_speed: 0,
        reserved: [0; 3],
    };
    // SAFETY: prefs is a valid LZ4F_preferences_t; dst has the capacity LZ4F says a frame of
    // this input may need, and LZ4F writes at most that many bytes.
    unsafe {
        let bound = LZ4F_compressFrameBound(raw.len(), &prefs);
        let mut out = Vec::with_capacity(bound);
        let n = LZ4F_compressFrame(out.as_mut_ptr(), bound, raw.as_ptr(), raw.len(), &prefs);
        if lz4_sys::LZ4F_isError(n) != 0 {
            let name = std::ffi::CStr::from_ptr(lz4_sys::LZ4F_getErrorName(n));
            return Err(failed("lz4", name.to_string_lossy()));
        }
        out.set_len(n);
        Ok(out)
    }
}

/// `b` (one whole batch) with its records compressed by `to` instead of its own codec.
pub fn recompress_batch(b: &[u8], to: Compression) -> Result<Vec<u8>> {
    let header = batch::BatchHeader::parse(b);
    let raw = batch::decompress(&b[HEADER_SIZE..], header.codec())?;
    let payload = compress(&raw, to.codec, to.level)?;
    let batch_length = HEADER_SIZE - LOG_OVERHEAD + payload.len();
    if batch_length > i32::MAX as usize {
        return Err(StorageError::new(code::MESSAGE_TOO_LARGE, "the recompressed batch is too large"));
    }
    let mut out = Vec::with_capacity(HEADER_SIZE + payload.len());
    out.extend_from_slice(&b[..HEADER_SIZE]);
    out[8..12].copy_from_slice(&(batch_length as i32).to_be_bytes());
    let attributes = (header.attributes & !ATTR_CODEC_MASK) | to.codec as i16;
    out[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&payload);
    let crc = crc32c(&out[ATTRIBUTES_OFFSET..]);
    out[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// The record set `records` (its batches validated as `batches`) with every batch in the topic's
/// codec, or None when none needs converting (then the append writes the caller's buffer as is).
pub fn to_topic_codec(records: &[u8], batches: &[ValidatedBatch], to: Option<Compression>) -> Result<Option<Vec<u8>>> {
    let Some(to) = to else { return Ok(None) };
    let converts = |b: &ValidatedBatch| !b.header.is_control() && b.header.codec() != to.codec;
    if !batches.iter().any(converts) {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(records.len());
    for b in batches {
        let bytes = &records[b.pos..b.pos + b.size];
        if converts(b) {
            out.extend_from_slice(&recompress_batch(bytes, to)?);
        } else {
            out.extend_from_slice(bytes);
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{build_batch, decode_batch, BatchOptions, Record};

    fn records(n: usize) -> Vec<Record> {
        (0..n)
            .map(|i| Record {
                key: Some(format!("key-{i}").into_bytes()),
                value: Some(format!("value {i} {}", "x".repeat(i % 50)).into_bytes()),
                headers: vec![("h".into(), Some(b"v".to_vec()))],
                timestamp: 1_700_000_000_000 + i as i64,
            })
            .collect()
    }

    #[test]
    fn every_codec_round_trips_through_recompression() {
        let plain = build_batch(&records(500), &BatchOptions { producer_id: 7, producer_epoch: 1, base_sequence: 3, ..Default::default() })
            .unwrap();
        let want = decode_batch(&plain).unwrap();
        for codec in [GZIP, SNAPPY, LZ4, ZSTD, NONE] {
            let from = recompress_batch(&plain, Compression { codec: ZSTD, level: 3 }).unwrap();
            let to = recompress_batch(&from, Compression { codec, level: Compression::default_level(codec) }).unwrap();
            let h = batch::BatchHeader::parse(&to);
            assert_eq!(h.codec(), codec);
            assert_eq!(h.size(), to.len());
            assert_eq!((h.producer_id, h.producer_epoch, h.base_sequence), (7, 1, 3));
            batch::check_batch_frame(&to, None).unwrap(); // CRC right
            let got = decode_batch(&to).unwrap();
            assert_eq!(got.records, want.records, "codec {codec}");
        }
    }

    #[test]
    fn batches_in_the_topic_codec_pass_untouched() {
        let lz4 = recompress_batch(&build_batch(&records(10), &BatchOptions::default()).unwrap(), Compression { codec: LZ4, level: 9 })
            .unwrap();
        let cfg = batch::ValidationConfig { timestamp_before_max_ms: i64::MAX, timestamp_after_max_ms: i64::MAX, ..Default::default() };
        let batches = batch::validate_record_set(&lz4, &cfg, 0, batch::AppendOrigin::Coordinator).unwrap();
        assert!(to_topic_codec(&lz4, &batches, Some(Compression { codec: LZ4, level: 1 })).unwrap().is_none());
        assert!(to_topic_codec(&lz4, &batches, None).unwrap().is_none());
        let gz = to_topic_codec(&lz4, &batches, Some(Compression { codec: GZIP, level: -1 })).unwrap().unwrap();
        assert_eq!(batch::BatchHeader::parse(&gz).codec(), GZIP);
    }
}
