//! The file side of a segment's index (offset, time and transaction index alike): entries are
//! encoded into `pending` as they are added and appended to the file in one write once
//! WRITE_AT bytes are queued, and at every roll, flush and close.
//!
//! No file stays open between writes: each write opens the file by its path and closes it.
//! Otherwise every partition would hold four descriptors for its active segment instead of
//! Kafka's one (the `.log`; Kafka maps its indexes and closes them), and a few thousand
//! partitions would exhaust the process's open-files limit. The in-memory entries
//! (offset_index.rs, time_index.rs, txn_index.rs) serve every lookup. The files are for the next
//! start: a clean shutdown writes them out in full, and after an unclean one recovery rebuilds
//! the active segment's indexes from its `.log`. So entries queued but not yet written when the
//! process dies cost nothing.
//!
//! A sealed segment's index has no path: its entries were written when it was sealed. A rebuild
//! takes the pending bytes and writes them as a whole new file.
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Queued bytes that make one write to the file: ~500 offset index entries (~2 MB of log at
/// the default index.interval.bytes), so a busy partition opens its index files rarely.
pub const WRITE_AT: usize = 4096;

#[derive(Debug, Default)]
pub struct IndexFile {
    /// The file entries are appended to while the segment is active.
    path: Option<PathBuf>,
    /// Encoded entries not yet written.
    pending: Vec<u8>,
    /// Bytes were written since the last sync.
    unsynced: bool,
}

impl IndexFile {
    /// Append to the file at `path` from now on (it exists: the caller created it).
    pub fn set_path(&mut self, path: PathBuf) {
        self.path = Some(path);
    }

    pub fn has_path(&self) -> bool {
        self.path.is_some()
    }

    /// Queue one encoded entry.
    pub fn queue(&mut self, entry: &[u8]) {
        self.pending.extend_from_slice(entry);
    }

    /// Drop the queued entries (the index is being rebuilt).
    pub fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// Write the queued entries if there are WRITE_AT bytes of them, or any with `all`.
    /// Without a path they are dropped (a sealed segment's index is complete on disk).
    pub fn write_pending(&mut self, all: bool) -> io::Result<()> {
        let Some(path) = &self.path else {
            self.pending.clear();
            return Ok(());
        };
        if self.pending.is_empty() || (!all && self.pending.len() < WRITE_AT) {
            return Ok(());
        }
        // create: a file removed by hand is started again rather than failing every append (an
        // index missing its first entries only makes lookups scan from further back).
        let mut file = OpenOptions::new().append(true).create(true).open(path)?;
        // On failure the entries stay queued and the caller reports the error. A part of them
        // may be in the file then; written again, they break the entries' order, which the
        // next start's consistency check sees, and it rebuilds the index.
        file.write_all(&self.pending)?;
        self.pending.clear();
        self.unsynced = true;
        Ok(())
    }

    /// The queued entries, handed over (a rebuild writes them as a whole new file).
    pub fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// fsync what was written since the last sync (a file removed meanwhile has nothing to
    /// sync: the next write starts it again, and recovery rebuilds what it lacks).
    pub fn sync(&mut self) -> io::Result<()> {
        if let (Some(path), true) = (&self.path, self.unsynced) {
            match sync_path(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => self.unsynced = false,
            }
        }
        Ok(())
    }

    /// Forget the file without syncing it (the caller syncs it later by path).
    pub fn close(&mut self) {
        self.path = None;
        self.unsynced = false;
    }

    /// Write everything queued, sync and forget the file: the segment takes no more appends.
    pub fn seal(&mut self) -> io::Result<()> {
        self.write_pending(true)?;
        self.sync()?;
        self.path = None;
        Ok(())
    }
}

/// fsync a file by path (a read-only descriptor syncs its data as well).
pub fn sync_path(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fastlog-index-file-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("00000000000000000000.index");
        File::create(&path).unwrap();
        path
    }

    #[test]
    fn queued_entries_reach_the_file_at_the_threshold_or_when_asked() {
        let path = temp_file("threshold");
        let mut f = IndexFile::default();
        f.set_path(path.clone());
        f.queue(&[1u8; 8]);
        f.write_pending(false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 0, "below WRITE_AT nothing is written");
        for _ in 0..WRITE_AT / 8 {
            f.queue(&[2u8; 8]);
        }
        f.write_pending(false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 8 + WRITE_AT);
        f.queue(&[3u8; 8]);
        f.seal().unwrap();
        let data = std::fs::read(&path).unwrap();
        assert_eq!(data.len(), 16 + WRITE_AT);
        assert_eq!(&data[data.len() - 8..], &[3u8; 8]);
        assert!(!f.has_path());
        f.queue(&[4u8; 8]);
        f.write_pending(true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 16 + WRITE_AT, "a sealed index takes no more writes");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_entries() {
        let path = temp_file("failed");
        let mut f = IndexFile::default();
        f.set_path(path.clone());
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
        f.queue(&[5u8; 8]);
        assert!(f.write_pending(true).is_err(), "the directory is gone");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        f.write_pending(true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), vec![5u8; 8]);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
