//! Transactions in the engine: the last stable offset, the aborted-transaction index across
//! segments, its rebuild by recovery (crash, lost or damaged `.txnindex`), the producer snapshot
//! carrying ongoing transactions, deletion, read_committed reads and marker fencing.
use std::fs;
use std::path::Path;

use fastlog_core::batch::AppendOrigin;
use fastlog_core::producer::ProducerState;
use fastlog_core::record::{build_batch, BatchOptions, Record, TxnMarker};
use fastlog_core::{code, LogConfig, PartitionLog};

const NOW: i64 = 1_700_000_000_000;
const CLIENT: AppendOrigin = AppendOrigin::Client { produce_version: 9 };

fn cfg() -> LogConfig {
    let mut c = LogConfig { segment_bytes: 400, index_interval_bytes: 100, ..LogConfig::default() };
    c.validation.timestamp_after_max_ms = i64::MAX;
    c
}

fn batch(pid: i64, seq: i32, n: usize, transactional: bool) -> Vec<u8> {
    let records: Vec<Record> = (0..n)
        .map(|i| Record { key: None, value: Some(vec![b'x'; 60]), headers: Vec::new(), timestamp: NOW + i as i64 })
        .collect();
    let opts = BatchOptions { producer_id: pid, producer_epoch: 0, base_sequence: seq, transactional, ..BatchOptions::default() };
    build_batch(&records, &opts).unwrap()
}

fn marker(log: &mut PartitionLog, pid: i64, commit: bool) -> i64 {
    log.write_txn_marker(pid, 0, TxnMarker { commit, coordinator_epoch: 1 }, NOW).unwrap()
}

fn txnindex_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txnindex"))
        .map(|n| (n.clone(), fs::read(dir.join(&n)).unwrap()))
        .collect();
    out.sort();
    out
}

/// P1 from 0 (3 batches over several segments), P2 from 1, P3 from 4; P1 aborts, P3 commits.
fn scenario(log: &mut PartitionLog) {
    assert_eq!(log.append(&batch(1, 0, 1, true), NOW, CLIENT).unwrap().base_offset, 0);
    assert_eq!(log.append(&batch(2, 0, 1, true), NOW, CLIENT).unwrap().base_offset, 1);
    assert_eq!(log.append(&batch(1, 1, 2, true), NOW, CLIENT).unwrap().base_offset, 2);
    assert_eq!(log.append(&batch(3, 0, 1, true), NOW, CLIENT).unwrap().base_offset, 4);
    assert_eq!(log.last_stable_offset(), 0);
    assert_eq!(marker(log, 1, false), 5);
    assert_eq!(log.last_stable_offset(), 1);
    assert_eq!(marker(log, 3, true), 6);
    assert_eq!(log.last_stable_offset(), 1);
    assert_eq!(log.append(&batch(9, 0, 1, false), NOW, CLIENT).unwrap().base_offset, 7);
    assert!(log.segment_count() > 2, "the transaction must span segments");
}

fn check_state(log: &PartitionLog) {
    assert_eq!(log.last_stable_offset(), 1);
    assert_eq!(log.aborted_transactions(0, 100), vec![(1, 0)]);
    assert_eq!(log.aborted_transactions(6, 100), vec![], "P1's marker (5) is before the range");
    assert_eq!(log.aborted_transactions(0, 0), vec![], "P1 starts at 0, not before 0");
    let states = log.producer_states();
    let p2 = states.iter().find(|p| p.producer_id == 2).unwrap();
    assert_eq!((p2.current_txn_start_offset, p2.last_sequence), (1, 0));
    let p1 = states.iter().find(|p| p.producer_id == 1).unwrap();
    assert_eq!((p1.current_txn_start_offset, p1.coordinator_epoch, p1.last_sequence), (-1, 1, 2));
}

#[test]
fn lso_and_aborted_index_across_segments_and_clean_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    scenario(&mut log);
    check_state(&log);
    let files = txnindex_files(dir.path());
    assert_eq!(files.len(), log.segment_count(), "every segment has its .txnindex");
    let with_entries: Vec<_> = files.iter().filter(|(_, d)| !d.is_empty()).collect();
    assert_eq!(with_entries.len(), 1);
    let d = &with_entries[0].1;
    assert_eq!(d.len(), 34);
    assert_eq!(&d[0..2], &0i16.to_be_bytes());
    assert_eq!(&d[2..10], &1i64.to_be_bytes());
    assert_eq!(&d[10..18], &0i64.to_be_bytes());
    assert_eq!(&d[18..26], &5i64.to_be_bytes());
    assert_eq!(&d[26..34], &1i64.to_be_bytes());
    log.close().unwrap();

    let log = PartitionLog::open(dir.path(), cfg()).unwrap();
    assert!(log.recovery_events().is_empty(), "{:?}", log.recovery_events());
    check_state(&log);
}

#[test]
fn crash_rebuilds_the_index_and_the_ongoing_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    scenario(&mut log);
    drop(log); // no close: an unclean stop
    let log = PartitionLog::open(dir.path(), cfg()).unwrap();
    check_state(&log);
    drop(log);

    // Every .txnindex lost or damaged, and no snapshot: all rebuilt from the log.
    for (name, _) in txnindex_files(dir.path()) {
        fs::write(dir.path().join(&name), b"garbage").unwrap();
    }
    fs::remove_file(dir.path().join("producer-state.snapshot")).ok();
    let log = PartitionLog::open(dir.path(), cfg()).unwrap();
    assert!(log.recovery_events().iter().any(|e| e.message.contains("rebuilt the transaction index")));
    check_state(&log);
    let mut log = log;
    log.close().unwrap();
    for (name, _) in txnindex_files(dir.path()) {
        fs::remove_file(dir.path().join(&name)).unwrap();
    }
    let log = PartitionLog::open(dir.path(), cfg()).unwrap();
    check_state(&log);
}

#[test]
fn snapshot_carries_ongoing_transactions_and_reads_version_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    scenario(&mut log);
    let snap = log.producer_state().encode_snapshot(log.log_end_offset());
    let (end, state) = ProducerState::decode_snapshot(&snap).unwrap();
    assert_eq!(end, 8);
    assert_eq!(state.first_unstable_offset(), Some(1));
    assert_eq!(state.producers, log.producer_state().producers);

    // A version 1 snapshot (no transaction fields): producer 5, epoch 2, one batch.
    let mut v1 = b"FLPS".to_vec();
    v1.extend_from_slice(&1u16.to_be_bytes());
    v1.extend_from_slice(&10i64.to_be_bytes());
    v1.extend_from_slice(&1u32.to_be_bytes());
    v1.extend_from_slice(&5i64.to_be_bytes());
    v1.extend_from_slice(&2i16.to_be_bytes());
    v1.push(1);
    for x in [0i32, 4] {
        v1.extend_from_slice(&x.to_be_bytes());
    }
    for x in [0i64, 4, NOW] {
        v1.extend_from_slice(&x.to_be_bytes());
    }
    let crc = fastlog_core::crc::crc32c(&v1);
    v1.extend_from_slice(&crc.to_be_bytes());
    let (end, state) = ProducerState::decode_snapshot(&v1).unwrap();
    let e = state.get(5).unwrap();
    assert_eq!((end, e.epoch, e.txn_first_offset, e.coordinator_epoch, e.last_timestamp), (10, 2, -1, -1, NOW));
    assert_eq!(state.first_unstable_offset(), None);
}

#[test]
fn read_committed_cuts_at_the_lso() {
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { segment_bytes: 1 << 20, ..cfg() };
    let mut log = PartitionLog::open(dir.path(), c).unwrap();
    log.append(&batch(9, 0, 2, false), NOW, CLIENT).unwrap(); // 0-1
    log.append(&batch(1, 0, 1, true), NOW, CLIENT).unwrap(); // 2: P1 starts
    log.append(&batch(9, 2, 1, false), NOW, CLIENT).unwrap(); // 3
    let whole = log.read(0, 1 << 20).unwrap();
    let r = log.read_committed(0, 1 << 20).unwrap();
    assert_eq!(r.last_stable_offset, 2);
    let first = log.read(2, 0).unwrap();
    assert_eq!(r.slice.length, first.position - whole.position, "only the batch below the LSO");
    let r = log.read_committed(2, 1 << 20).unwrap();
    assert_eq!(r.slice.length, 0);
    marker(&mut log, 1, false);
    let r = log.read_committed(0, 1 << 20).unwrap();
    assert_eq!((r.last_stable_offset, r.slice.length, r.aborted.clone()), (5, log.read(0, 1 << 20).unwrap().length, vec![(1, 2)]));
}

#[test]
fn markers_fencing_and_transaction_state_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    log.append(&batch(1, 0, 1, true), NOW, CLIENT).unwrap();
    // Inside a transaction, a non-transactional batch of the same producer: INVALID_TXN_STATE.
    let e = log.append(&batch(1, 1, 1, false), NOW, CLIENT).unwrap_err();
    assert_eq!(e.code, code::INVALID_TXN_STATE);
    log.write_txn_marker(1, 0, TxnMarker { commit: true, coordinator_epoch: 3 }, NOW).unwrap();
    let e = log.write_txn_marker(1, 0, TxnMarker { commit: true, coordinator_epoch: 2 }, NOW).unwrap_err();
    assert_eq!(e.code, code::TRANSACTION_COORDINATOR_FENCED);
    // The coordinator bumps the epoch (KIP-890): accepted; the older epoch is then fenced.
    log.write_txn_marker(1, 1, TxnMarker { commit: false, coordinator_epoch: 3 }, NOW).unwrap();
    let e = log.write_txn_marker(1, 0, TxnMarker { commit: false, coordinator_epoch: 3 }, NOW).unwrap_err();
    assert_eq!(e.code, code::INVALID_PRODUCER_EPOCH);
    let e = log.append(&batch(1, 0, 1, true), NOW, CLIENT).unwrap_err();
    assert_eq!(e.code, code::INVALID_PRODUCER_EPOCH);
    // A marker with nothing ongoing ends nothing: no index entry.
    assert!(log.aborted_transactions(0, 100).is_empty());
}

#[test]
fn deletion_drops_index_entries_with_their_segments_and_the_lso_respects_the_log_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), cfg()).unwrap();
    scenario(&mut log);
    let before = txnindex_files(dir.path()).len();
    // Deleting below P2's first offset... then past it: the LSO is never below the log start.
    log.delete_records_before(7).unwrap();
    assert_eq!(log.last_stable_offset(), 7);
    assert!(log.aborted_transactions(7, 100).is_empty());
    assert!(txnindex_files(dir.path()).len() < before);
    assert_eq!(txnindex_files(dir.path()).len(), log.segment_count());
}

#[test]
fn aborted_list_is_bounded_by_what_the_read_returns() {
    let dir = tempfile::tempdir().unwrap();
    let c = LogConfig { segment_bytes: 1 << 20, index_interval_bytes: 1, ..cfg() };
    let mut log = PartitionLog::open(dir.path(), c).unwrap();
    for pid in 1..=20 {
        log.append(&batch(pid, 0, 1, true), NOW, CLIENT).unwrap();
        marker(&mut log, pid, false);
    }
    assert_eq!(log.aborted_transactions(0, 100).len(), 20);
    // One batch read (max_bytes 0: the first whole batch): only the transactions it may hold.
    let r = log.read_committed(0, 0).unwrap();
    assert_eq!(r.aborted, vec![(1, 0)]);
    let r = log.read_committed(10, 0).unwrap();
    assert_eq!(r.aborted, vec![(6, 10)]);
}
