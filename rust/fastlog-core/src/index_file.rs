//! The file side of a segment's index (offset index and time index alike): entries are encoded
//! into `pending` as they are added and written to the open file in one `write_all` per append,
//! so an index never costs a syscall per entry. A closed (sealed) segment's index has no open
//! file; a rebuild takes the pending bytes and writes them as a whole new file.
use std::fs::File;
use std::io::{self, Write};

#[derive(Debug, Default)]
pub struct IndexFile {
    /// Open for appends while the segment is active.
    file: Option<File>,
    /// Encoded entries not yet written to `file`.
    pending: Vec<u8>,
}

impl IndexFile {
    pub fn set(&mut self, file: File) {
        self.file = Some(file);
    }

    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Queue one encoded entry.
    pub fn queue(&mut self, entry: &[u8]) {
        self.pending.extend_from_slice(entry);
    }

    /// Drop the queued entries (the index is being rebuilt).
    pub fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// Write the entries queued since the last call (nothing without an open file).
    pub fn write_pending(&mut self) -> io::Result<()> {
        if let (Some(f), false) = (self.file.as_mut(), self.pending.is_empty()) {
            f.write_all(&self.pending)?;
        }
        self.pending.clear();
        Ok(())
    }

    /// The queued entries, handed over (a rebuild writes them as a whole new file).
    pub fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    pub fn sync(&self) -> io::Result<()> {
        self.file.as_ref().map_or(Ok(()), |f| f.sync_data())
    }

    /// Close the file without syncing it (the caller syncs it later by path).
    pub fn close(&mut self) {
        self.file = None;
    }

    /// Sync and close the file: the segment takes no more appends.
    pub fn seal(&mut self) -> io::Result<()> {
        self.file.take().map_or(Ok(()), |f| f.sync_data())
    }
}
