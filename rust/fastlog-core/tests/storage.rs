//! Engine tests: validation errors, codecs, roll, index lookup, read, recovery, idempotence.
use std::fs;
use std::io::Write;
use std::path::Path;

use fastlog_core::batch::{self, BatchHeader};
use fastlog_core::crc::crc32c;
use fastlog_core::batch::AppendOrigin;
use fastlog_core::{LogConfig, PartitionLog};

const INTERNAL: AppendOrigin = AppendOrigin::Coordinator;

const BASE_TS: i64 = 1_700_000_000_000;
const NOW: i64 = BASE_TS + 1000;

fn uvarint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn varint(n: i64, out: &mut Vec<u8>) {
    uvarint(((n << 1) ^ (n >> 63)) as u64, out)
}

fn records(values: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let mut body = vec![0u8];
        varint(i as i64, &mut body); // timestamp delta
        varint(i as i64, &mut body); // offset delta
        varint(-1, &mut body); // null key
        varint(v.len() as i64, &mut body);
        body.extend_from_slice(v);
        varint(1, &mut body); // one header
        varint(1, &mut body);
        body.push(b'h');
        varint(-1, &mut body);
        varint(body.len() as i64, &mut out);
        out.extend_from_slice(&body);
    }
    out
}

fn compress(codec: u8, raw: &[u8]) -> Vec<u8> {
    match codec {
        0 => raw.to_vec(),
        1 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(raw).unwrap();
            e.finish().unwrap()
        }
        2 => {
            // xerial framing, as the Java client and librdkafka send it.
            let mut out = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
            for chunk in raw.chunks(32 * 1024) {
                let c = snap::raw::Encoder::new().compress_vec(chunk).unwrap();
                out.extend_from_slice(&(c.len() as u32).to_be_bytes());
                out.extend_from_slice(&c);
            }
            out
        }
        3 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(raw).unwrap();
            e.finish().unwrap()
        }
        4 => zstd::encode_all(raw, 3).unwrap(),
        _ => unreachable!(),
    }
}

#[derive(Clone)]
struct B {
    values: Vec<Vec<u8>>,
    codec: u8,
    pid: i64,
    epoch: i16,
    seq: i32,
    base_ts: i64,
}

impl B {
    fn new(n: usize) -> B {
        B { values: (0..n).map(|i| format!("value-{i}").into_bytes()).collect(), codec: 0, pid: -1, epoch: -1, seq: -1, base_ts: BASE_TS }
    }
    fn codec(mut self, c: u8) -> B {
        self.codec = c;
        self
    }
    fn producer(mut self, pid: i64, epoch: i16, seq: i32) -> B {
        self.pid = pid;
        self.epoch = epoch;
        self.seq = seq;
        self
    }
    fn build(&self) -> Vec<u8> {
        let vals: Vec<&[u8]> = self.values.iter().map(|v| v.as_slice()).collect();
        let payload = compress(self.codec, &records(&vals));
        let n = self.values.len() as i32;
        let mut after = Vec::new();
        after.extend_from_slice(&(self.codec as i16).to_be_bytes());
        after.extend_from_slice(&(n - 1).to_be_bytes());
        after.extend_from_slice(&self.base_ts.to_be_bytes());
        after.extend_from_slice(&(self.base_ts + n as i64 - 1).to_be_bytes());
        after.extend_from_slice(&self.pid.to_be_bytes());
        after.extend_from_slice(&self.epoch.to_be_bytes());
        after.extend_from_slice(&self.seq.to_be_bytes());
        after.extend_from_slice(&n.to_be_bytes());
        after.extend_from_slice(&payload);
        let mut out = Vec::new();
        out.extend_from_slice(&0i64.to_be_bytes());
        out.extend_from_slice(&((9 + after.len()) as i32).to_be_bytes());
        out.extend_from_slice(&(-1i32).to_be_bytes());
        out.push(2);
        out.extend_from_slice(&crc32c(&after).to_be_bytes());
        out.extend_from_slice(&after);
        out
    }
}

fn refresh_crc(b: &mut [u8]) {
    let c = crc32c(&b[21..]);
    b[17..21].copy_from_slice(&c.to_be_bytes());
}

fn cfg() -> LogConfig {
    LogConfig::default()
}

fn offsets_in(data: &[u8]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 61 <= data.len() {
        let h = BatchHeader::parse(&data[pos..]);
        if pos + h.size() > data.len() {
            break;
        }
        out.push(h.base_offset);
        pos += h.size();
    }
    out
}

fn read_first(log: &PartitionLog, offset: i64) -> i64 {
    let s = log.read(offset, 0).unwrap();
    offsets_in(&s.to_vec().unwrap())[0]
}

#[test]
fn validation_error_codes() {
    let good = B::new(3).build();
    let cfgv = batch::ValidationConfig::default();
    assert_eq!(batch::validate_record_set(&good, &cfgv, NOW, INTERNAL).unwrap().len(), 1);
    let check = |b: &[u8], code: i16| {
        let e = batch::validate_record_set(b, &cfgv, NOW, INTERNAL).unwrap_err();
        assert_eq!(e.code, code, "{}", e.message);
    };
    let mut bad_crc = good.clone();
    *bad_crc.last_mut().unwrap() ^= 1;
    check(&bad_crc, 2);
    check(&good[..good.len() - 1], 2);
    check(&[], 87);
    let mut magic1 = good.clone();
    magic1[16] = 1;
    check(&magic1, 87);
    let mut control = good.clone();
    control[22] |= 0x20;
    refresh_crc(&mut control);
    // A client may not write control records (Kafka's INVALID_RECORD); the broker's own
    // append (transaction markers) may.
    let client = AppendOrigin::Client { produce_version: 9 };
    assert_eq!(batch::validate_record_set(&control, &cfgv, NOW, client).unwrap_err().code, 87);
    assert!(batch::validate_record_set(&control, &cfgv, NOW, INTERNAL).is_ok());
    let mut codec7 = good.clone();
    codec7[22] |= 7;
    refresh_crc(&mut codec7);
    check(&codec7, -1); // Kafka 4.4: UNKNOWN_SERVER_ERROR for a codec id it does not know
    let mut count = good.clone();
    count[60] = 4;
    refresh_crc(&mut count);
    check(&count, 87);
    let mut base = good.clone();
    base[7] = 1;
    check(&base, 87);
    let mut future = B::new(1);
    future.base_ts = NOW + 3_600_001;
    check(&future.build(), 32);
    let big = batch::ValidationConfig { max_message_bytes: 50, ..cfgv };
    assert_eq!(batch::validate_record_set(&good, &big, NOW, INTERNAL).unwrap_err().code, 10);
    // Compressed payload that is not what it claims to be.
    for codec in 1..=4u8 {
        let mut b = B::new(2).codec(codec).build();
        let n = b.len();
        for x in &mut b[61..n] {
            *x ^= 0x5a;
        }
        refresh_crc(&mut b);
        let e = batch::validate_record_set(&b, &cfgv, NOW, INTERNAL).unwrap_err();
        // Kafka 4.4: UNKNOWN_SERVER_ERROR where its decompressor throws, INVALID_RECORD where
        // what comes out is not records.
        assert!(e.code == -1 || e.code == 87, "codec {codec}: {e}");
    }
}

#[test]
fn max_decompressed_record_bytes_bounds_the_records_of_compressed_batches_only() {
    // records(): a value of 64 <= n < 8192 bytes makes a record of n + 10 bytes (its size varint
    // not counted): attributes, the two deltas, null key, the value's 2-byte length, one header.
    let mut b = B::new(3);
    b.values[1] = vec![b'x'; 90]; // a 100-byte record between two small ones
    let limit = |n| batch::ValidationConfig { max_decompressed_record_bytes: n, ..Default::default() };
    for codec in 1..=4u8 {
        let batch = B { codec, ..b.clone() }.build();
        assert!(batch::validate_record_set(&batch, &limit(100), NOW, INTERNAL).is_ok(), "codec {codec}");
        let e = batch::validate_record_set(&batch, &limit(99), NOW, INTERNAL).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (87, "Invalid record size: 100 exceeds the configured maximum \
                                                       record size of 99."), "codec {codec}");
    }
    // Kafka checks it where it decompresses: an uncompressed batch is not.
    assert!(batch::validate_record_set(&b.build(), &limit(1), NOW, INTERNAL).is_ok());
}

#[test]
fn every_codec_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    for codec in 0..=4u8 {
        let mut b = B::new(500).codec(codec);
        b.values = (0..500).map(|i| vec![i as u8; i * 7 % 900]).collect();
        let data = b.build();
        let r = log.append(&data, NOW, INTERNAL).unwrap();
        assert_eq!(r.record_count, 500);
        let payload = &data[61..];
        let raw = batch::decompress(payload, codec).unwrap();
        let vals: Vec<&[u8]> = b.values.iter().map(|v| v.as_slice()).collect();
        assert_eq!(raw, records(&vals));
        let stored = log.read(r.base_offset, 0).unwrap().to_vec().unwrap();
        assert_eq!(&stored[61..data.len()], payload);
    }
    assert_eq!(log.log_end_offset(), 2500);
}

#[test]
fn raw_snappy_is_accepted() {
    let vals: Vec<&[u8]> = vec![b"a", b"bb"];
    let raw = records(&vals);
    let c = snap::raw::Encoder::new().compress_vec(&raw).unwrap();
    assert_eq!(batch::decompress(&c, 2).unwrap(), raw);
}

#[test]
fn roll_index_lookup_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { segment_bytes: 3000, index_interval_bytes: 300, ..cfg() };
    let mut log = PartitionLog::open(dir.path(), c).unwrap();
    for i in 0..200 {
        log.append(&B::new(1 + i % 4).build(), NOW, INTERNAL).unwrap();
    }
    assert!(log.segment_count() > 5);
    let leo = log.log_end_offset();
    let mut sizes = 0;
    for off in 0..leo {
        let s = log.read(off, 0).unwrap();
        let first = BatchHeader::parse(&s.to_vec().unwrap());
        assert!(first.base_offset <= off && off <= first.last_offset());
        assert_eq!(s.length as usize, first.size());
        sizes += 1;
    }
    assert_eq!(sizes, leo);
    // A big read stops at the segment end.
    let s = log.read(0, 1 << 30).unwrap();
    assert!(s.length <= 3000 + 200);
    assert_eq!(log.read(leo, 100).unwrap().length, 0);
    assert_eq!(log.read(leo + 1, 100).unwrap_err().code, 1);
}

#[test]
fn a_roll_leaves_the_index_fsyncs_to_the_next_flush() {
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { segment_bytes: 3000, index_interval_bytes: 300, ..cfg() };
    let mut log = PartitionLog::open(dir.path(), c.clone()).unwrap();
    for i in 0..200 {
        log.append(&B::new(1 + i % 4).build(), NOW, INTERNAL).unwrap();
    }
    let sealed = log.segment_count() - 1;
    assert!(sealed > 5);
    assert_eq!(log.segments_awaiting_sync(), sealed);
    log.flush().unwrap();
    assert_eq!(log.segments_awaiting_sync(), 0);
    let leo = log.log_end_offset();
    log.close().unwrap();
    // The sealed segments' indexes were written: a clean reopen serves every offset from them.
    let log = PartitionLog::open(dir.path(), c).unwrap();
    assert_eq!(log.log_end_offset(), leo);
    for off in (0..leo).step_by(7) {
        assert!(read_first(&log, off) <= off);
    }
}

#[test]
fn segment_ms_rolls_by_record_time_and_configure_applies_live() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    let at = |ts: i64| B { base_ts: ts, ..B::new(1) }.build();
    log.append(&at(BASE_TS), NOW, INTERNAL).unwrap();
    log.append(&at(BASE_TS + 100_000), NOW, INTERNAL).unwrap();
    assert_eq!(log.segment_count(), 1); // default segment.ms: 7 days (never here)
    log.configure(LogConfig { segment_ms: 50_000, ..cfg() });
    log.append(&at(BASE_TS + 100_001), NOW, INTERNAL).unwrap();
    assert_eq!(log.segment_count(), 2); // 100 s after the segment's first batch
    log.append(&at(BASE_TS + 140_000), NOW, INTERNAL).unwrap();
    assert_eq!(log.segment_count(), 2); // 40 s after the new segment's first batch
    log.append(&at(BASE_TS + 150_002), NOW, INTERNAL).unwrap();
    assert_eq!(log.segment_count(), 3);
    // A smaller max message size applies from the next append.
    log.configure(LogConfig { validation: batch::ValidationConfig { max_message_bytes: 50, ..Default::default() }, ..cfg() });
    assert_eq!(log.append(&B::new(10).build(), NOW, INTERNAL).unwrap_err().code, 10);
}

#[test]
fn topic_compression_recompresses_other_codecs_only() {
    use fastlog_core::recompress::Compression;
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { compression: Some(Compression { codec: 3, level: 9 }), ..cfg() };
    let mut log = PartitionLog::open(dir.path(), c).unwrap();
    let zstd = B::new(20).codec(4).producer(5, 0, 0).build();
    let lz4 = B::new(20).codec(3).build();
    log.append(&zstd, NOW, INTERNAL).unwrap();
    log.append(&lz4, NOW, INTERNAL).unwrap();
    let stored: Vec<_> = log.records(0).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|b| b.header.codec() == 3));
    assert_eq!((stored[0].header.producer_id, stored[0].header.base_sequence), (5, 0));
    assert_eq!(stored[0].records.len(), 20);
    assert_eq!(stored[1].records[19].value.as_deref(), Some(&b"value-19"[..]));
    // The lz4 batch was written as sent: byte for byte after the offset/epoch fields.
    let second = log.read(20, 1 << 20).unwrap().to_vec().unwrap();
    assert_eq!(&second[16..], &lz4[16..]);
}

#[test]
fn recovery_truncates_torn_tail_and_rebuilds_bad_index() {
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { index_interval_bytes: 100, ..cfg() };
    append_then_crash(dir.path(), &c, 50, 2);
    let seg = dir.path().join("00000000000000000000.log");
    let good_size = fs::metadata(&seg).unwrap().len();
    let mut f = fs::OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&B::new(3).build()[..40]).unwrap();
    drop(f);
    fs::write(dir.path().join("00000000000000000000.index"), b"garbage!!").unwrap();
    let mut log = PartitionLog::open(dir.path(), c.clone()).unwrap();
    assert_eq!(log.log_end_offset(), 100);
    assert_eq!(fs::metadata(&seg).unwrap().len(), good_size);
    for off in [0, 33, 99] {
        assert_eq!(read_first(&log, off), off - off % 2);
    }
    log.append(&B::new(1).build(), NOW, INTERNAL).unwrap();
    log.close().unwrap();
    assert!(dir.path().join(".clean-shutdown").exists());
    let log = PartitionLog::open(dir.path(), c).unwrap();
    assert_eq!(log.log_end_offset(), 101);
    assert!(!dir.path().join(".clean-shutdown").exists());
}

#[test]
fn idempotence_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    let p = |seq, n, epoch| B::new(n).producer(7, epoch, seq).build();
    assert_eq!(log.append(&p(0, 2, 0), NOW, INTERNAL).unwrap().base_offset, 0);
    assert_eq!(log.append(&p(2, 2, 0), NOW, INTERNAL).unwrap().base_offset, 2);
    let d = log.append(&p(0, 2, 0), NOW, INTERNAL).unwrap();
    assert!(d.duplicate && d.base_offset == 0 && d.last_offset == 1);
    assert_eq!(log.append(&p(5, 1, 0), NOW, INTERNAL).unwrap_err().code, 45);
    assert_eq!(log.append(&p(3, 1, 1), NOW, INTERNAL).unwrap_err().code, 45);
    assert_eq!(log.append(&p(0, 1, 1), NOW, INTERNAL).unwrap().base_offset, 4);
    assert_eq!(log.append(&p(1, 1, 0), NOW, INTERNAL).unwrap_err().code, 47);
    // Wrap-around at i32::MAX.
    assert_eq!(log.append(&p(i32::MAX, 2, 2), NOW, INTERNAL).unwrap_err().code, 45);
    let q = |seq, n| B::new(n).producer(8, 0, seq).build();
    log.append(&q(i32::MAX - 1, 3), NOW, INTERNAL).unwrap(); // MAX-1, MAX, 0
    log.append(&q(1, 1), NOW, INTERNAL).unwrap();
    // Rebuilt from the log after a crash.
    drop(log);
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    assert!(log.append(&q(1, 1), NOW, INTERNAL).unwrap().duplicate);
    assert_eq!(log.append(&p(2, 1, 1), NOW, INTERNAL).unwrap_err().code, 45);
    assert_eq!(log.append(&p(1, 1, 1), NOW, INTERNAL).unwrap().base_offset, 9);
}

#[test]
fn producer_snapshot_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    for s in 0..10 {
        log.append(&B::new(1).producer(3, 1, s).build(), NOW, INTERNAL).unwrap();
    }
    let before = log.producer_state().producers.clone();
    log.close().unwrap();
    let snap = fs::read(dir.path().join("producer-state.snapshot")).unwrap();
    let (end, state) = fastlog_core::producer::ProducerState::decode_snapshot(&snap).unwrap();
    assert_eq!(end, 10);
    assert_eq!(state.producers, before);
    let mut damaged = snap.clone();
    damaged[10] ^= 1;
    assert!(fastlog_core::producer::ProducerState::decode_snapshot(&damaged).is_none());
    let log = PartitionLog::open(dir.path(), cfg()).unwrap();
    assert_eq!(log.producer_state().producers, before);
}

#[test]
fn retention_and_delete_records() {
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { segment_bytes: 1000, ..cfg() };
    let mut log = PartitionLog::open(dir.path(), c).unwrap();
    for i in 0..40 {
        let mut b = B::new(1);
        b.base_ts = BASE_TS + i;
        log.append(&b.build(), NOW, INTERNAL).unwrap();
    }
    let segs = log.segment_count();
    assert_eq!(log.enforce_retention(BASE_TS + 100, 1000, -1).unwrap(), 0);
    let n = log.enforce_retention(BASE_TS + 1020, 1000, -1).unwrap();
    assert!(n > 0 && log.segment_count() == segs - n as usize);
    assert!(log.log_start_offset() > 0);
    assert_eq!(log.delete_records_before(30).unwrap(), 30);
    assert_eq!(read_first(&log, 30), 30);
    assert_eq!(log.read(29, 10).unwrap_err().code, 1);
    assert_eq!(log.offset_for_timestamp(0).unwrap(), Some((30, BASE_TS + 30)));
    assert_eq!(log.max_timestamp().unwrap(), Some((39, BASE_TS + 39)));
}

#[test]
fn log_append_time_rewrites_header_with_valid_crc() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg();
    c.validation.log_append_time = true;
    let mut log = PartitionLog::open(dir.path(), c).unwrap();
    let r = log.append(&B::new(3).codec(4).build(), NOW, INTERNAL).unwrap();
    assert_eq!(r.log_append_time, NOW);
    let data = log.read(0, 0).unwrap().to_vec().unwrap();
    let (h, _) = batch::check_batch_frame(&data, None).unwrap();
    assert!(h.is_log_append_time());
    assert_eq!(h.max_timestamp, NOW);
}

#[test]
fn open_rejects_a_file_path() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    fs::write(&f, b"").unwrap();
    assert_eq!(PartitionLog::open(&f, cfg()).unwrap_err().code, 56);
    let _ = Path::new("/");
}

// --- damage on disk (recovery.rs): found, reported, contained -----------------------------------

/// A crashed log of 100 one-record batches over several small segments.
/// Append `batches` batches of `records` records to a log in `dir`, then drop it without
/// close(): what a crash leaves (no clean-shutdown marker, index entries possibly not written).
fn append_then_crash(dir: &Path, c: &LogConfig, batches: usize, records: usize) {
    let mut log = PartitionLog::open(dir, c.clone()).unwrap();
    for _ in 0..batches {
        log.append(&B::new(records).build(), NOW, INTERNAL).unwrap();
    }
}

fn crashed_log(dir: &Path) -> (LogConfig, Vec<std::path::PathBuf>) {
    let c = LogConfig { segment_bytes: 2000, index_interval_bytes: 300, ..cfg() };
    append_then_crash(dir, &c, 100, 1);
    let mut segs: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    segs.sort();
    assert!(segs.len() >= 4);
    (c, segs)
}

/// (position, base offset) of every batch in a segment file.
fn batch_starts(path: &Path) -> Vec<(usize, i64)> {
    let data = fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 61 <= data.len() {
        let h = BatchHeader::parse(&data[pos..]);
        out.push((pos, h.base_offset));
        pos += h.size();
    }
    out
}

fn corrupt(path: &Path, at: usize, bytes: &[u8]) {
    let mut data = fs::read(path).unwrap();
    data[at..at + bytes.len()].copy_from_slice(bytes);
    fs::write(path, data).unwrap();
}

fn events(log: &PartitionLog, level: fastlog_core::Level) -> Vec<String> {
    log.recovery_events().iter().filter(|e| e.level == level).map(|e| e.message.clone()).collect()
}

#[test]
fn damage_in_a_closed_segment_is_contained() {
    for clean in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (c, segs) = crashed_log(dir.path());
        if clean {
            PartitionLog::open(dir.path(), c.clone()).unwrap().close().unwrap();
        }
        // The last batch of the second segment: start sees it both after a crash (full check)
        // and after a clean stop (the tail after the last index entry is always scanned).
        let (pos, off) = *batch_starts(&segs[1]).last().unwrap();
        let size = fs::metadata(&segs[1]).unwrap().len();
        corrupt(&segs[1], pos + 8, &5i32.to_be_bytes());
        let mut log = PartitionLog::open(dir.path(), c.clone()).unwrap();
        let errors = events(&log, fastlog_core::Level::Error);
        let name = segs[1].file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(&format!("{name} is damaged at byte position {pos} (offset {off})")), "{}", errors[0]);
        assert_eq!(fs::metadata(&segs[1]).unwrap().len(), size, "closed segment truncated");
        assert!(segs.iter().all(|s| s.exists()), "a later segment was deleted");
        assert_eq!(log.log_end_offset(), 100);
        assert_eq!(read_first(&log, off - 1), off - 1);
        // Never past the damage, even with room for more.
        let s = log.read(off - 1, 1 << 20).unwrap();
        assert_eq!(offsets_in(&s.to_vec().unwrap()), vec![off - 1]);
        assert_eq!(log.read(off, 1 << 20).unwrap_err().code, fastlog_core::code::CORRUPT_MESSAGE);
        let next_base: i64 = segs[2].file_stem().unwrap().to_string_lossy().parse().unwrap();
        assert_eq!(read_first(&log, next_base), next_base);
        assert_eq!(log.append(&B::new(1).build(), NOW, INTERNAL).unwrap().base_offset, 100);
        log.close().unwrap();
        // Still contained at the next start, still no offset reused.
        let log = PartitionLog::open(dir.path(), c).unwrap();
        assert_eq!(log.log_end_offset(), 101);
        assert_eq!(log.read(off, 0).unwrap_err().code, fastlog_core::code::CORRUPT_MESSAGE);
    }
}

#[test]
fn crash_checks_crcs_from_the_recovery_point_only() {
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { segment_bytes: 2000, index_interval_bytes: 300, ..cfg() };
    let mut log = PartitionLog::open(dir.path(), c.clone()).unwrap();
    for _ in 0..60 {
        log.append(&B::new(1).build(), NOW, INTERNAL).unwrap();
    }
    log.flush().unwrap();
    assert_eq!(log.recovery_point(), 60);
    assert_eq!(fs::read_to_string(dir.path().join("recovery-point")).unwrap(), "fastlog-recovery-point v1\n60\n");
    for _ in 0..40 {
        log.append(&B::new(1).build(), NOW, INTERNAL).unwrap();
    }
    drop(log); // crash
    let seg_of = |off: i64| {
        let mut segs: Vec<i64> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().to_string_lossy().strip_suffix(".log").map(|s| s.parse().unwrap()))
            .collect();
        segs.sort();
        let base = *segs.iter().filter(|&&b| b <= off).max().unwrap();
        dir.path().join(format!("{base:020}.log"))
    };
    // A flipped payload byte below the recovery point (in a segment that ends before it) is not
    // looked at by start (Kafka neither); one after it is found.
    let old = seg_of(5);
    let (p_old, _) = batch_starts(&old)[2];
    corrupt(&old, p_old + 70, b"X");
    let newer = seg_of(75);
    let (p_new, off_new) = batch_starts(&newer)[1];
    corrupt(&newer, p_new + 70, b"X");
    let newer_size = fs::metadata(&newer).unwrap().len();
    let log = PartitionLog::open(dir.path(), c.clone()).unwrap();
    let errors = events(&log, fastlog_core::Level::Error);
    assert_eq!(errors.len(), 1, "{:?}", log.recovery_events());
    assert!(errors[0].contains(&format!("at byte position {p_new} (offset {off_new}): Record batch is corrupt")), "{errors:?}");
    assert!(events(&log, fastlog_core::Level::Info)[0].contains("recovery point 60"));
    // Damage in the middle of the active segment is not a torn tail: nothing after it is cut,
    // the log end stays and new records go to a new segment.
    assert_eq!(fs::metadata(&newer).unwrap().len(), newer_size);
    assert_eq!(log.log_end_offset(), 100);
    assert_eq!(read_first(&log, off_new - 1), off_new - 1);
    assert_eq!(log.read(off_new, 0).unwrap_err().code, fastlog_core::code::CORRUPT_MESSAGE);
    assert!(dir.path().join("00000000000000000100.log").exists());
    // The offline check sees both.
    let found = fastlog_core::verify_partition(dir.path());
    assert_eq!(found.iter().filter(|e| e.level == fastlog_core::Level::Error).count(), 2, "{found:?}");
}

#[test]
fn damage_in_the_active_segment_after_a_crash_keeps_the_batches_after_it_without_its_index() {
    // The active segment's index entries reach the disk in groups (index_file.rs): after a crash
    // its `.index` may hold none of them. The good batches after the damage are found anyway.
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { index_interval_bytes: 100, ..cfg() };
    append_then_crash(dir.path(), &c, 30, 1);
    let seg = dir.path().join("00000000000000000000.log");
    fs::remove_file(dir.path().join("00000000000000000000.index")).unwrap();
    let (p, off) = batch_starts(&seg)[10];
    corrupt(&seg, p + 70, b"X");
    let good = fs::metadata(&seg).unwrap().len();
    let mut f = fs::OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&B::new(3).build()[..40]).unwrap(); // and a torn tail after the good batches
    drop(f);
    let mut log = PartitionLog::open(dir.path(), c).unwrap();
    let errors = events(&log, fastlog_core::Level::Error);
    assert_eq!(errors.len(), 1, "{:?}", log.recovery_events());
    assert!(errors[0].contains(&format!("at byte position {p} (offset {off})")), "{errors:?}");
    assert!(errors[0].contains("good batches follow up to offset 29"), "{errors:?}");
    let warns = events(&log, fastlog_core::Level::Warn);
    assert!(warns.iter().any(|w| w.contains(&format!("from {} to {good} bytes (a torn tail after offset 29)", good + 40))), "{warns:?}");
    assert_eq!(fs::metadata(&seg).unwrap().len(), good);
    assert_eq!(log.log_end_offset(), 30, "no offset of a good batch is given out again");
    assert_eq!(read_first(&log, off - 1), off - 1);
    assert_eq!(log.read(off, 0).unwrap_err().code, fastlog_core::code::CORRUPT_MESSAGE);
    assert_eq!(log.append(&B::new(1).build(), NOW, INTERNAL).unwrap().base_offset, 30);
}

#[test]
fn a_partition_holds_one_open_file_per_segment() {
    // Kafka keeps one descriptor per segment (its `.log`); the index files are not held open,
    // so thousands of partitions fit in the open-files limit.
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { segment_bytes: 2000, index_interval_bytes: 100, ..cfg() };
    let mut log = PartitionLog::open(dir.path(), c.clone()).unwrap();
    let held = || {
        fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| fs::read_link(e.unwrap().path()).ok())
            .filter(|target| target.starts_with(dir.path()))
            .map(|target| target.extension().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(held(), vec!["log"]);
    for _ in 0..60 {
        log.append(&B::new(1).build(), NOW, INTERNAL).unwrap();
    }
    assert!(log.segment_count() > 2);
    let files = held();
    assert_eq!(files.len(), log.segment_count(), "{files:?}");
    assert!(files.iter().all(|ext| ext == "log"), "{files:?}");
    // What the files hold is complete after a clean close.
    let end = log.log_end_offset();
    log.close().unwrap();
    assert!(held().is_empty());
    let log = PartitionLog::open(dir.path(), c).unwrap();
    assert!(log.recovery_events().is_empty(), "{:?}", log.recovery_events());
    assert_eq!(log.log_end_offset(), end);
}

#[test]
fn torn_tail_of_the_active_segment_is_cut_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    append_then_crash(dir.path(), &cfg(), 10, 1);
    let seg = dir.path().join("00000000000000000000.log");
    let good = fs::metadata(&seg).unwrap().len();
    let mut f = fs::OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&B::new(3).build()[..40]).unwrap();
    drop(f);
    let log = PartitionLog::open(dir.path(), cfg()).unwrap();
    let warns = events(&log, fastlog_core::Level::Warn);
    assert_eq!(warns.len(), 1);
    assert!(
        warns[0].contains(&format!("truncated the active segment 00000000000000000000.log from {} to {good} bytes: cut 40 bytes holding offsets from 10 on", good + 40)),
        "{}",
        warns[0]
    );
    assert_eq!(log.log_end_offset(), 10);
}

#[test]
fn missing_middle_segment_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (c, segs) = crashed_log(dir.path());
    PartitionLog::open(dir.path(), c.clone()).unwrap().close().unwrap();
    let from: i64 = segs[1].file_stem().unwrap().to_string_lossy().parse().unwrap();
    let to: i64 = segs[2].file_stem().unwrap().to_string_lossy().parse().unwrap();
    fs::remove_file(&segs[1]).unwrap();
    let log = PartitionLog::open(dir.path(), c).unwrap();
    let errors = events(&log, fastlog_core::Level::Error);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with(&format!("offsets {from} to {} are missing", to - 1)), "{}", errors[0]);
    assert_eq!(read_first(&log, from), to);
    assert_eq!(log.log_end_offset(), 100);
    assert!(log.recovery_events().iter().all(|e| e.level != fastlog_core::Level::Warn));
    let found = fastlog_core::verify_partition(dir.path());
    assert!(found.iter().any(|e| e.message.starts_with(&format!("offsets {from} to {} are missing", to - 1))));
}
