//! Record format tests: the batch builder, decoding, the partition record iterator and the
//! produce-request rule of validation.
use fastlog_core::batch::{self, check_produce_record_set, AppendOrigin, BatchHeader, ValidationConfig};
use fastlog_core::code;
use fastlog_core::record::{build_batch, decode_batch, BatchOptions, Record};
use fastlog_core::{LogConfig, PartitionLog};

const NOW: i64 = 1_700_000_000_000;
const INTERNAL: AppendOrigin = AppendOrigin::Coordinator;

fn rec(key: Option<&[u8]>, value: Option<&[u8]>, ts: i64) -> Record {
    Record { key: key.map(<[u8]>::to_vec), value: value.map(<[u8]>::to_vec), headers: Vec::new(), timestamp: ts }
}

fn sample() -> Vec<Record> {
    vec![
        Record {
            key: Some(b"k0".to_vec()),
            value: Some(b"v0".to_vec()),
            headers: vec![("h".into(), Some(b"x".to_vec())), ("n".into(), None)],
            timestamp: NOW,
        },
        rec(None, Some(b"v1"), NOW + 5),
        rec(Some(b"k2"), None, NOW - 3),
    ]
}

#[test]
fn built_batch_passes_validation_and_decodes_back() {
    for codec in [0u8, 1, 4] {
        let b = build_batch(&sample(), &BatchOptions { codec, ..BatchOptions::default() }).unwrap();
        let v = batch::validate_record_set(&b, &ValidationConfig::default(), NOW, INTERNAL).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].max_timestamp, NOW + 5);
        assert!(v[0].rewrite.is_none(), "builder must set a consistent maxTimestamp");
        let h = BatchHeader::parse(&b);
        assert_eq!((h.codec(), h.base_timestamp, h.producer_id, h.records_count), (codec, NOW, -1, 3));
        let got = decode_batch(&b).unwrap();
        let want = sample();
        assert_eq!(got.records.len(), 3);
        for (i, (g, w)) in got.records.iter().zip(&want).enumerate() {
            assert_eq!(g.offset, i as i64);
            assert_eq!((g.timestamp, &g.key, &g.value, &g.headers), (w.timestamp, &w.key, &w.value, &w.headers));
        }
    }
}

#[test]
fn builder_options_set_the_batch_fields() {
    let opts = BatchOptions { producer_id: 7, producer_epoch: 2, base_sequence: 9, transactional: true, ..Default::default() };
    let h = BatchHeader::parse(&build_batch(&sample(), &opts).unwrap());
    assert_eq!((h.producer_id, h.producer_epoch, h.base_sequence), (7, 2, 9));
    assert!(h.is_transactional() && !h.is_control());
    let h = BatchHeader::parse(&build_batch(&sample(), &BatchOptions { control: true, ..Default::default() }).unwrap());
    assert!(h.is_control());
    assert_eq!(build_batch(&[], &BatchOptions::default()).unwrap_err().code, code::INVALID_RECORD);
    for codec in 1..=4 {
        let b = build_batch(&sample(), &BatchOptions { codec, ..Default::default() }).unwrap();
        assert_eq!(BatchHeader::parse(&b).codec(), codec);
        assert_eq!(fastlog_core::record::decode_batch(&b).unwrap().records.len(), sample().len());
    }
    let unknown = BatchOptions { codec: 5, ..Default::default() };
    assert_eq!(build_batch(&sample(), &unknown).unwrap_err().code, code::UNSUPPORTED_COMPRESSION_TYPE);
}

#[test]
fn log_append_time_batches_decode_with_the_append_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = LogConfig::default();
    cfg.validation.log_append_time = true;
    let mut log = PartitionLog::open(dir.path(), cfg).unwrap();
    log.append(&build_batch(&sample(), &BatchOptions::default()).unwrap(), NOW + 99, INTERNAL).unwrap();
    let batches: Vec<_> = log.records(0).unwrap().collect::<Result<_, _>>().unwrap();
    assert!(batches[0].records.iter().all(|r| r.timestamp == NOW + 99));
}

#[test]
fn records_iterate_a_partition_from_an_offset_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = LogConfig { segment_bytes: 300, index_interval_bytes: 100, ..LogConfig::default() };
    let mut log = PartitionLog::open(dir.path(), cfg).unwrap();
    let mut want = Vec::new();
    let mut seq = 0;
    for i in 0..40 {
        let n = 1 + i % 3;
        let recs: Vec<Record> =
            (0..n).map(|j| rec(Some(format!("k{i}-{j}").as_bytes()), Some(&[b'v'; 20]), NOW + i as i64)).collect();
        want.extend(recs.iter().map(|r| r.key.clone()));
        let opts = if i % 2 == 0 {
            seq += n;
            BatchOptions { producer_id: 5, producer_epoch: 0, base_sequence: seq - n, ..Default::default() }
        } else {
            BatchOptions::default()
        };
        log.append(&build_batch(&recs, &opts).unwrap(), NOW, INTERNAL).unwrap();
    }
    assert!(log.segment_count() > 3);
    let leo = log.log_end_offset();
    assert_eq!(leo as usize, want.len());
    for from in [0, 1, 17, leo - 1, leo] {
        let mut keys = Vec::new();
        let mut next = from;
        for b in log.records(from).unwrap() {
            let b = b.unwrap();
            assert_eq!(b.header.producer_id >= 0, b.header.producer_id == 5);
            for r in b.records {
                assert_eq!(r.offset, next);
                next += 1;
                keys.push(r.key);
            }
        }
        assert_eq!(keys, want[from as usize..]);
    }
    // The iterator sees the log as it was when made.
    let it = log.records(leo).unwrap();
    log.append(&build_batch(&sample(), &BatchOptions::default()).unwrap(), NOW, INTERNAL).unwrap();
    assert_eq!(it.count(), 0);
    assert_eq!(log.records(leo + 4).unwrap_err().code, code::OFFSET_OUT_OF_RANGE);
    log.delete_records_before(10).unwrap();
    assert_eq!(log.records(9).unwrap_err().code, code::OFFSET_OUT_OF_RANGE);
}

#[test]
fn records_stop_with_an_error_at_a_damaged_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    for _ in 0..3 {
        log.append(&build_batch(&sample(), &BatchOptions::default()).unwrap(), NOW, INTERNAL).unwrap();
    }
    let seg = dir.path().join(format!("{:020}.log", 0));
    let mut data = std::fs::read(&seg).unwrap();
    let second = BatchHeader::parse(&data).size();
    data[second + 70] ^= 0xff; // a payload byte of the second batch: CRC mismatch
    std::fs::write(&seg, &data).unwrap();
    let got: Vec<_> = log.records(0).unwrap().collect();
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    assert_eq!(got[1].as_ref().unwrap_err().code, code::KAFKA_STORAGE_ERROR);
}

#[test]
fn produce_requests_carry_exactly_one_whole_v2_batch() {
    let one = build_batch(&sample(), &BatchOptions::default()).unwrap();
    let msg = "Produce requests with version 9 are only allowed to contain exactly one record batch of magic 2";
    assert!(check_produce_record_set(&one, 9).is_ok());
    let two = [one.clone(), one.clone()].concat();
    let mut magic1 = one.clone();
    magic1[16] = 1;
    for bad in [&b""[..], &one[..60], &one[..one.len() - 1], &two[..], &magic1[..]] {
        let e = check_produce_record_set(bad, 9).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (code::INVALID_RECORD, msg));
        let client = AppendOrigin::Client { produce_version: 9 };
        let e = batch::validate_record_set(bad, &ValidationConfig::default(), NOW, client).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (code::INVALID_RECORD, msg));
    }
    // The broker's own appends may hold several batches.
    assert_eq!(batch::validate_record_set(&two, &ValidationConfig::default(), NOW, INTERNAL).unwrap().len(), 2);
}

#[test]
fn decode_refuses_truncated_or_bad_lengths_without_panicking() {
    let b = build_batch(&sample(), &BatchOptions::default()).unwrap();
    for cut in [0, 10, 60, 61, 70, b.len() - 1] {
        assert_eq!(decode_batch(&b[..cut]).unwrap_err().code, code::CORRUPT_MESSAGE, "cut at {cut}");
    }
    let mut short = b.clone();
    short[8..12].copy_from_slice(&10i32.to_be_bytes()); // batchLength below the header
    assert!(decode_batch(&short).is_err());
    let mut garbled = b.clone();
    let n = garbled.len();
    garbled[61..n].fill(0xff); // varints that never end
    assert!(decode_batch(&garbled).is_err());
}
