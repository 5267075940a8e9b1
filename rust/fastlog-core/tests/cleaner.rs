//! The log cleaner (cleaner.rs): what a pass keeps, the key map budget, codecs, producer
//! batches, and recovery of a pass cut short at each step of its swap.
use std::fs;
use std::path::Path;

use fastlog_core::batch::AppendOrigin;
use fastlog_core::cleaner::{CleanOptions, CleanStats, Throttle};
use fastlog_core::record::{build_batch, BatchOptions, Record, TxnMarker};
use fastlog_core::{Level, LogConfig, PartitionLog};

const SEGMENT: u64 = 1024;
const NOW: i64 = 1_700_000_000_000;

fn cfg(segment_bytes: u64) -> LogConfig {
    LogConfig { segment_bytes, index_interval_bytes: 256, ..LogConfig::default() }
}

fn rec(key: Option<&str>, value: Option<&str>) -> Record {
    Record {
        key: key.map(|k| k.as_bytes().to_vec()),
        value: value.map(|v| v.as_bytes().to_vec()),
        headers: vec![("h".to_string(), Some(b"x".to_vec()))],
        timestamp: NOW - 1000,
    }
}

fn append(log: &mut PartitionLog, records: &[Record], opts: &BatchOptions) {
    let b = build_batch(records, opts).unwrap();
    log.append(&b, NOW, AppendOrigin::Coordinator).unwrap();
}

fn opts(checkpoint: i64) -> CleanOptions {
    CleanOptions {
        checkpoint,
        now_ms: NOW,
        min_compaction_lag_ms: 0,
        delete_retention_ms: 86_400_000,
        segment_bytes: 1 << 20,
        max_map_entries: 1 << 20,
    }
}

fn clean(log: &mut PartitionLog, o: CleanOptions) -> Option<CleanStats> {
    let plan = log.clean_plan(o).unwrap()?;
    let cleaned = plan.run(&Throttle::default(), 0.0).unwrap();
    log.commit_clean(cleaned).unwrap()
}

/// (offset, key, value) of every record from the log start.
fn contents(log: &PartitionLog) -> Vec<(i64, Option<String>, Option<String>)> {
    let s = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8(b).unwrap());
    let mut out = Vec::new();
    for batch in log.records(log.log_start_offset()).unwrap() {
        for r in batch.unwrap().records {
            out.push((r.offset, s(r.key), s(r.value)));
        }
    }
    out
}

/// 10 keys written 20 times each in batches of 5, tombstones for k0 and k1 at the end, a
/// keyless record; small segments so there are many.
fn overwritten_log(dir: &Path, codec: u8) -> PartitionLog {
    let mut log = PartitionLog::open(dir, cfg(SEGMENT)).unwrap();
    let o = BatchOptions { codec, ..BatchOptions::default() };
    for round in 0..20 {
        for half in 0..2 {
            let batch: Vec<Record> = (0..5)
                .map(|i| {
                    let k = format!("k{}", half * 5 + i);
                    rec(Some(&k), Some(&format!("{k}-v{round}")))
                })
                .collect();
            append(&mut log, &batch, &o);
        }
    }
    append(&mut log, &[rec(Some("k0"), None), rec(Some("k1"), None), rec(None, Some("no key"))], &o);
    // A record larger than a segment: the segment before it closes, this one is the active
    // segment (never cleaned).
    append(&mut log, &[rec(Some("k2"), Some(&incompressible(1500)))], &o);
    log
}

/// Text that no codec shrinks much (a simple LCG's hex digits).
fn incompressible(len: usize) -> String {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            char::from_digit(((x >> 60) & 0xf) as u32, 16).unwrap()
        })
        .collect()
}

fn check_compacted(log: &PartitionLog, leo: i64, tombstones: bool) {
    let c = contents(log);
    let mut keys: Vec<&str> = c.iter().filter_map(|(_, k, _)| k.as_deref()).collect();
    let values: Vec<(&str, Option<&str>)> =
        c.iter().filter(|(o, _, _)| *o < 203).map(|(_, k, v)| (k.as_deref().unwrap(), v.as_deref())).collect();
    // One record per key below the active segment, each the last value (or the tombstone).
    for k in 2..10 {
        assert!(values.contains(&(&format!("k{k}"), Some(&*format!("k{k}-v19")))), "{values:?}");
    }
    assert_eq!(values.iter().any(|(k, v)| *k == "k0" && v.is_none()), tombstones, "{values:?}");
    assert_eq!(values.len(), if tombstones { 10 } else { 8 }, "{values:?}");
    // Offsets kept (holes), in order, and the log end unchanged.
    assert!(c.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(c.last().unwrap().0, 203);
    assert_eq!(log.log_end_offset(), leo);
    keys.sort();
    keys.dedup();
    assert!(keys.len() <= 10);
}

#[test]
fn a_pass_keeps_the_last_record_of_each_key_and_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = overwritten_log(dir.path(), 0);
    let leo = log.log_end_offset();
    let before = log.segment_count();
    assert!(before > 5);
    let stats = clean(&mut log, opts(0)).unwrap();
    assert_eq!(stats.first_dirty, 0);
    assert_eq!(stats.end, log.cleanable(0, NOW, 0).unwrap().first_uncleanable);
    assert_eq!(stats.keys, 10);
    assert!(stats.records_removed >= 190, "{stats:?}");
    assert!(stats.bytes_written < stats.bytes_read);
    check_compacted(&log, leo, true);
    // Small cleaned segments were grouped into one.
    assert_eq!(log.segment_count(), 2);
    // Nothing is dirty any more; a second pass has nothing to do.
    assert!(clean(&mut log, opts(stats.end)).is_none());

    // Reopened (clean shutdown and after a crash): the same records, no warning.
    log.close().unwrap();
    let log = PartitionLog::open(dir.path(), cfg(SEGMENT)).unwrap();
    check_compacted(&log, leo, true);
    assert!(log.recovery_events().iter().all(|e| e.level == Level::Info), "{:?}", log.recovery_events());
    drop(log);
    let log = PartitionLog::open(dir.path(), cfg(SEGMENT)).unwrap();
    check_compacted(&log, leo, true);
    assert!(log.recovery_events().iter().all(|e| e.level == Level::Info), "{:?}", log.recovery_events());
}

#[test]
fn tombstones_go_after_delete_retention() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = overwritten_log(dir.path(), 0);
    let leo = log.log_end_offset();
    let stats = clean(&mut log, CleanOptions { delete_retention_ms: 0, ..opts(0) }).unwrap();
    assert_eq!(stats.tombstones_removed, 2);
    check_compacted(&log, leo, false);
}

#[test]
fn compressed_batches_are_rewritten_with_their_codec() {
    for codec in [1u8, 2, 3, 4] {
        let dir = tempfile::tempdir().unwrap();
        let mut log = overwritten_log(dir.path(), codec);
        let leo = log.log_end_offset();
        let stats = clean(&mut log, opts(0)).unwrap();
        assert!(stats.batches_rewritten > 0);
        // records() checks every CRC; each batch still carries the codec.
        check_compacted(&log, leo, true);
        for batch in log.records(0).unwrap() {
            let b = batch.unwrap();
            if !b.records.is_empty() {
                assert_eq!(b.header.codec(), codec);
            }
        }
    }
}

#[test]
fn the_key_map_budget_cleans_a_prefix_and_the_next_pass_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg(4096)).unwrap();
    // 200 distinct keys, then the first 100 again.
    for i in 0..200 {
        append(&mut log, &[rec(Some(&format!("k{i}")), Some("old"))], &BatchOptions::default());
    }
    for i in 0..100 {
        append(&mut log, &[rec(Some(&format!("k{i}")), Some("new"))], &BatchOptions::default());
    }
    append(&mut log, &[rec(Some("tail"), Some("x"))], &BatchOptions::default());
    let uncleanable = log.cleanable(0, NOW, 0).unwrap().first_uncleanable;
    let stats = clean(&mut log, CleanOptions { max_map_entries: 50, ..opts(0) }).unwrap();
    assert_eq!(stats.keys, 50);
    assert_eq!(stats.end, 50, "the map holds the first 50 keys: the pass ends there");
    let mut checkpoint = stats.end;
    let mut passes = 1;
    while let Some(s) = clean(&mut log, CleanOptions { max_map_entries: 50, ..opts(checkpoint) }) {
        checkpoint = s.end;
        passes += 1;
    }
    assert_eq!(checkpoint, uncleanable);
    assert!(passes >= 6);
    let c = contents(&log);
    let below: Vec<_> = c.iter().filter(|(o, _, _)| *o < uncleanable).collect();
    assert_eq!(below.len(), 200, "one record per key");
    assert!(below.iter().all(|(o, _, v)| (*o >= 200) == (v.as_deref() == Some("new"))));
}

#[test]
fn min_compaction_lag_keeps_young_segments_dirty() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = overwritten_log(dir.path(), 0);
    // Every record is 1 s old: a 10 s lag leaves nothing cleanable.
    let c = log.cleanable(0, NOW, 10_000).unwrap();
    assert_eq!(c.first_uncleanable, 0);
    assert!(clean(&mut log, CleanOptions { min_compaction_lag_ms: 10_000, ..opts(0) }).is_none());
    assert!(clean(&mut log, CleanOptions { min_compaction_lag_ms: 500, ..opts(0) }).is_some());
}

#[test]
fn producer_batches_and_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg(1024)).unwrap();
    let p = |seq| BatchOptions { producer_id: 7, producer_epoch: 0, base_sequence: seq, ..BatchOptions::default() };
    let mut seq = 0;
    for _ in 0..10 {
        append(&mut log, &[rec(Some("a"), Some("1")), rec(Some("b"), Some("1"))], &p(seq));
        seq += 2;
    }
    // The producer's last batch, then plain batches that supersede all its keys.
    append(&mut log, &[rec(Some("a"), Some("2")), rec(Some("b"), Some("2"))], &BatchOptions::default());
    let txn = BatchOptions { producer_id: 9, producer_epoch: 0, base_sequence: 0, transactional: true, ..BatchOptions::default() };
    append(&mut log, &[rec(Some("a"), Some("txn"))], &txn);
    log.write_txn_marker(9, 0, TxnMarker { commit: true, coordinator_epoch: 0 }, NOW).unwrap();
    append(&mut log, &[rec(Some("a"), Some("3")), rec(Some("b"), Some("3"))], &BatchOptions::default());
    append(&mut log, &[rec(Some("z"), Some(&incompressible(1500)))], &BatchOptions::default());
    let leo = log.log_end_offset();
    clean(&mut log, opts(0)).unwrap();
    let batches: Vec<_> = log.records(0).unwrap().map(|b| b.unwrap()).collect();
    // Producer 7's last batch (offsets 18-19) stays as an empty batch with its sequence range.
    let last7 = batches.iter().find(|b| b.header.producer_id == 7).unwrap();
    assert_eq!((last7.header.base_offset, last7.header.last_offset_delta, last7.header.base_sequence), (18, 1, 18));
    assert!(last7.records.is_empty());
    assert_eq!(batches.iter().filter(|b| b.header.producer_id == 7).count(), 1);
    // The committed transactional record is superseded like any other; its batch, producer 9's
    // last, stays empty, and so its marker stays (without a delete horizon).
    let txn9: Vec<_> = batches.iter().filter(|b| b.header.producer_id == 9).collect();
    assert_eq!(txn9.len(), 2);
    assert!(txn9[0].header.is_transactional() && txn9[0].records.is_empty());
    assert!(txn9[1].header.is_control() && txn9[1].header.delete_horizon().is_none());
    // Producer state rebuilt from the log alone (no snapshot) still knows producer 7.
    log.close().unwrap();
    fs::remove_file(dir.path().join("producer-state.snapshot")).unwrap();
    let log = PartitionLog::open(dir.path(), cfg(1024)).unwrap();
    let state = &log.producer_state().producers[&7];
    assert_eq!(state.last_seq(), Some(19));
    assert_eq!(log.log_end_offset(), leo);
    assert_eq!(log.last_stable_offset(), leo, "no transaction looks open after the rebuild");
}

/// (offset, key, value) of the data records, and (offset, commit, delete horizon) of the markers.
type Markers = Vec<(i64, bool, Option<i64>)>;
fn data_and_markers(log: &PartitionLog) -> (Vec<(i64, String, String)>, Markers) {
    let (mut data, mut markers) = (Vec::new(), Vec::new());
    for b in log.records(log.log_start_offset()).unwrap() {
        let b = b.unwrap();
        if b.header.is_control() {
            let commit = b.records.first().map(|r| r.key.as_ref().unwrap()[3] == 1);
            if let Some(commit) = commit {
                markers.push((b.header.base_offset, commit, b.header.delete_horizon()));
            }
            continue;
        }
        for r in b.records {
            let s = |v: Option<Vec<u8>>| String::from_utf8(v.unwrap()).unwrap();
            data.push((r.offset, s(r.key), s(r.value)));
        }
    }
    (data, markers)
}

#[test]
fn aborted_records_go_and_markers_follow_their_delete_horizon() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg(1024)).unwrap();
    let txn = |pid, seq| BatchOptions { producer_id: pid, producer_epoch: 0, base_sequence: seq, transactional: true, ..BatchOptions::default() };
    let end_txn = |log: &mut PartitionLog, pid, commit| {
        log.write_txn_marker(pid, 0, TxnMarker { commit, coordinator_epoch: 0 }, NOW).unwrap()
    };
    append(&mut log, &[rec(Some("a"), Some("aborted")), rec(Some("b"), Some("aborted"))], &txn(9, 0)); // 0-1
    let abort9 = end_txn(&mut log, 9, false); // 2
    append(&mut log, &[rec(Some("a"), Some("c1"))], &txn(9, 2)); // 3
    let commit9 = end_txn(&mut log, 9, true); // 4
    append(&mut log, &[rec(Some("b"), Some("plain"))], &BatchOptions::default()); // 5
    append(&mut log, &[rec(Some("a"), Some("c2")), rec(Some("c"), Some("c2"))], &txn(9, 3)); // 6-7
    let last9 = end_txn(&mut log, 9, true); // 8
    append(&mut log, &[rec(Some("c"), Some("aborted-8"))], &txn(8, 0)); // 9
    let abort8 = end_txn(&mut log, 8, false); // 10
    append(&mut log, &[rec(Some("z"), Some(&incompressible(1500)))], &BatchOptions::default());
    assert_eq!(log.aborted_transactions(0, 11), vec![(9, 0), (8, 9)]);

    let stats = clean(&mut log, opts(0)).unwrap();
    assert_eq!(stats.aborted_removed, 3);
    let (data, markers) = data_and_markers(&log);
    // No aborted record; one value per key of the rest (a's committed c1 superseded by c2).
    let kv: Vec<(&str, &str)> = data.iter().map(|(_, k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(kv[..3], [("b", "plain"), ("a", "c2"), ("c", "c2")]);
    // Markers whose transaction is gone get a delete horizon; the ones after each producer's
    // last batch (kept empty) stay as they were.
    let horizon = Some(NOW + 86_400_000);
    assert_eq!(markers, vec![(abort9, false, horizon), (commit9, true, horizon), (last9, true, None), (abort8, false, None)]);
    assert_eq!(stats.markers_removed, 0);
    assert_eq!(log.aborted_transactions(0, 11), vec![(9, 0), (8, 9)], "entries stay with their markers");

    // Before the horizon, another pass changes nothing of them; after it, they go with their
    // .txnindex entry, and a restart reads the same.
    let stats = clean(&mut log, CleanOptions { now_ms: NOW + 1000, ..opts(0) }).unwrap();
    assert_eq!((stats.markers_removed, data_and_markers(&log).1.len()), (0, 4));
    let stats = clean(&mut log, CleanOptions { now_ms: NOW + 86_400_001, ..opts(0) }).unwrap();
    assert_eq!(stats.markers_removed, 2);
    let expect = (data.clone(), vec![(last9, true, None), (abort8, false, None)]);
    assert_eq!(data_and_markers(&log), expect);
    assert_eq!(log.aborted_transactions(0, 11), vec![(8, 9)]);
    let leo = log.log_end_offset();
    log.close().unwrap();
    fs::remove_file(dir.path().join("producer-state.snapshot")).unwrap();
    let log = PartitionLog::open(dir.path(), cfg(1024)).unwrap();
    assert_eq!(data_and_markers(&log), expect);
    assert_eq!(log.aborted_transactions(0, 11), vec![(8, 9)]);
    assert_eq!(log.last_stable_offset(), leo);
}

#[test]
fn an_open_transaction_stops_the_cleanable_part() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg(1024)).unwrap();
    for i in 0..30 {
        append(&mut log, &[rec(Some("k"), Some(&i.to_string()))], &BatchOptions::default());
    }
    let open_at = log.log_end_offset();
    let txn = BatchOptions { producer_id: 5, producer_epoch: 0, base_sequence: 0, transactional: true, ..BatchOptions::default() };
    append(&mut log, &[rec(Some("k"), Some("open"))], &txn);
    for i in 0..30 {
        append(&mut log, &[rec(Some("k"), Some(&format!("after-{i}")))], &BatchOptions::default());
    }
    append(&mut log, &[rec(Some("z"), Some(&incompressible(1500)))], &BatchOptions::default());
    assert_eq!(log.last_stable_offset(), open_at);
    let c = log.cleanable(0, NOW, 0).unwrap();
    assert!(c.first_uncleanable <= open_at && c.first_uncleanable > 0, "{c:?}");
    clean(&mut log, opts(0)).unwrap();
    // The open transaction's record and everything from its segment on are untouched.
    let values: Vec<String> = contents(&log).into_iter().filter_map(|(_, _, v)| v).collect();
    assert!(values.contains(&"open".to_string()));
    assert_eq!(values.iter().filter(|v| v.starts_with("after-")).count(), 30);
    // Committed, it is cleanable like the rest.
    log.write_txn_marker(5, 0, TxnMarker { commit: true, coordinator_epoch: 0 }, NOW).unwrap();
    append(&mut log, &[rec(Some("z"), Some(&incompressible(1500)))], &BatchOptions::default());
    clean(&mut log, opts(0)).unwrap();
    let values: Vec<String> = data_and_markers(&log).0.into_iter().map(|(_, _, v)| v).filter(|v| v.len() < 100).collect();
    assert_eq!(values, vec!["after-29".to_string()]);
}

#[test]
fn aborted_transactions_stay_indexed_after_a_pass_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg(1024)).unwrap();
    let txn = BatchOptions { producer_id: 9, producer_epoch: 0, base_sequence: 0, transactional: true, ..BatchOptions::default() };
    append(&mut log, &[rec(Some("a"), Some("aborted"))], &txn);
    log.write_txn_marker(9, 0, TxnMarker { commit: false, coordinator_epoch: 0 }, NOW).unwrap();
    for i in 0..20 {
        append(&mut log, &[rec(Some("k"), Some(&i.to_string()))], &BatchOptions::default());
    }
    append(&mut log, &[rec(Some("z"), Some("active"))], &BatchOptions::default());
    let before = log.aborted_transactions(0, log.log_end_offset());
    assert_eq!(before, vec![(9, 0)]);
    let stats = clean(&mut log, opts(0)).unwrap();
    assert!(stats.records_removed > 0);
    assert_eq!(log.aborted_transactions(0, log.log_end_offset()), before);
    // The new segment's .txnindex is on disk: a restart finds the same entry.
    log.close().unwrap();
    let log = PartitionLog::open(dir.path(), cfg(1024)).unwrap();
    assert_eq!(log.aborted_transactions(0, log.log_end_offset()), before);
    assert!(names(dir.path(), ".cleaned").is_empty());
}

/// Copy every file of `from` into a new directory.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn names(dir: &Path, suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    v.sort();
    v
}

#[test]
fn recovery_completes_or_drops_a_pass_cut_short() {
    let work = tempfile::tempdir().unwrap();
    let original = work.path().join("original");
    {
        let log = overwritten_log(&original, 0);
        drop(log); // a crash: no clean shutdown
    }
    let expected = {
        let done = work.path().join("done");
        copy_dir(&original, &done);
        let mut log = PartitionLog::open(&done, cfg(SEGMENT)).unwrap();
        clean(&mut log, opts(0)).unwrap();
        let c = contents(&log);
        drop(log);
        c
    };
    let old_contents = contents(&PartitionLog::open(work.path().join("done-not").as_path(), cfg(SEGMENT)).unwrap());
    assert!(old_contents.is_empty());

    // Cut after the cleaned files were written (no swap yet): they are deleted, nothing changes.
    let dir = work.path().join("cleaned-only");
    copy_dir(&original, &dir);
    let before = {
        let log = PartitionLog::open(&dir, cfg(SEGMENT)).unwrap();
        let plan = log.clean_plan(opts(0)).unwrap().unwrap();
        let _cleaned = plan.run(&Throttle::default(), 0.0).unwrap();
        assert_eq!(names(&dir, ".cleaned").len(), 3);
        contents(&log)
    };
    let log = PartitionLog::open(&dir, cfg(SEGMENT)).unwrap();
    assert!(names(&dir, ".cleaned").is_empty());
    assert_eq!(contents(&log), before);
    assert!(log.recovery_events().iter().any(|e| e.message.contains("interrupted cleaner pass")));
    drop(log);

    // Cut after the rename to .swap, with none, some or all of the old segments deleted.
    for deleted in [0usize, 1, 3, usize::MAX] {
        let dir = work.path().join(format!("swap-{deleted}"));
        copy_dir(&original, &dir);
        {
            let log = PartitionLog::open(&dir, cfg(SEGMENT)).unwrap();
            let plan = log.clean_plan(opts(0)).unwrap().unwrap();
            let _cleaned = plan.run(&Throttle::default(), 0.0).unwrap();
        }
        let cleaned_log = names(&dir, ".log.cleaned");
        assert_eq!(cleaned_log.len(), 1);
        let base = cleaned_log[0].trim_end_matches(".log.cleaned").to_string();
        fs::rename(dir.join(&cleaned_log[0]), dir.join(format!("{base}.log.swap"))).unwrap();
        let old_logs = names(&dir, ".log");
        let active = old_logs.last().unwrap().clone();
        for n in old_logs.iter().filter(|n| **n != active).take(deleted) {
            fs::remove_file(dir.join(n)).unwrap();
        }
        let log = PartitionLog::open(&dir, cfg(SEGMENT)).unwrap();
        assert_eq!(contents(&log), expected, "deleted {deleted}");
        assert!(names(&dir, ".swap").is_empty() && names(&dir, ".cleaned").is_empty());
        assert!(log.recovery_events().iter().all(|e| e.level == Level::Info), "{:?}", log.recovery_events());
    }
}

#[test]
fn a_log_changed_during_the_pass_is_not_swapped() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = overwritten_log(dir.path(), 0);
    let plan = log.clean_plan(opts(0)).unwrap().unwrap();
    let cleaned = plan.run(&Throttle::default(), 0.0).unwrap();
    // Retention deletes the first segments meanwhile.
    log.delete_records_before(100).unwrap();
    let before = contents(&log);
    assert!(log.commit_clean(cleaned).unwrap().is_none());
    assert!(names(dir.path(), ".cleaned").is_empty());
    assert_eq!(contents(&log), before);
}

#[test]
fn keyless_records_are_found() {
    let b = build_batch(&[rec(Some("a"), Some("1")), rec(None, Some("2")), rec(None, None)], &BatchOptions::default()).unwrap();
    assert_eq!(fastlog_core::cleaner::keyless_records(&b), vec![1, 2]);
    assert!(fastlog_core::cleaner::keyless_records(&b[..30]).is_empty());
}

#[test]
fn keyless_records_are_found_in_compressed_batches_and_an_empty_key_is_a_key() {
    for codec in [0u8, 1, 2, 3, 4] {
        let o = BatchOptions { codec, ..BatchOptions::default() };
        let mut set = build_batch(&[rec(Some(""), Some("1")), rec(None, Some("2")), rec(Some("k"), None)], &o).unwrap();
        set.extend(build_batch(&[rec(None, Some("3")), rec(Some("k"), Some("4"))], &o).unwrap());
        // indexes are within each batch
        assert_eq!(fastlog_core::cleaner::keyless_records(&set), vec![1, 0], "codec {codec}");
    }
}

#[test]
fn a_read_goes_past_segments_of_empty_batches_to_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg(SEGMENT)).unwrap();
    // 200 idempotent producers write one batch each of the same key, then a plain batch
    // supersedes them all: each producer's batch stays as an empty batch (its last), and the
    // pass leaves segments that hold nothing else.
    for pid in 0..200 {
        let o = BatchOptions { producer_id: 100 + pid, producer_epoch: 0, base_sequence: 0, ..BatchOptions::default() };
        append(&mut log, &[rec(Some("k"), Some(&incompressible(100)))], &o);
    }
    append(&mut log, &[rec(Some("k"), Some("last"))], &BatchOptions::default());
    append(&mut log, &[rec(Some("z"), Some(&incompressible(1500)))], &BatchOptions::default());
    clean(&mut log, CleanOptions { segment_bytes: SEGMENT, ..opts(0) }).unwrap();
    let headers = |data: &[u8]| {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos + 61 <= data.len() {
            let h = fastlog_core::batch::BatchHeader::parse(&data[pos..]);
            out.push(h);
            pos += h.size();
        }
        out
    };
    let empty_only = names(dir.path(), ".log")
        .iter()
        .map(|n| headers(&fs::read(dir.path().join(n)).unwrap()))
        .filter(|hs| !hs.is_empty() && hs.iter().all(|h| h.records_count == 0))
        .count();
    assert!(empty_only >= 3, "{empty_only} segments of empty batches");
    // From the log start, with a max_bytes of one byte or of a megabyte, the answer reaches
    // the first record; what it skips is empty batches only.
    let first_record = contents(&log)[0].0;
    for max_bytes in [1, 1 << 20] {
        let got = headers(&log.read(0, max_bytes).unwrap().to_vec().unwrap());
        assert!(got.iter().any(|h| h.records_count > 0), "max_bytes {max_bytes}: only empty batches");
        assert!(got[0].base_offset > 0 && got[0].base_offset <= first_record, "{:?}", got[0]);
    }
    // read_committed alike, with no transaction open.
    let got = headers(&log.read_committed(0, 1).unwrap().slice.to_vec().unwrap());
    assert!(got.iter().any(|h| h.records_count > 0));
}
