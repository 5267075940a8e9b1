//! Zero-copy Fetch responses: a response's pieces written with send(2) and sendfile(2).
use std::io;

/// Send up to `count` bytes of `in_fd` from `offset` to `out_fd`. Returns bytes sent (may be
/// fewer than asked); EAGAIN comes back as an error of kind WouldBlock.
fn sendfile(out_fd: i32, in_fd: i32, offset: u64, count: usize) -> io::Result<usize> {
    let mut off = offset as libc::off_t;
    loop {
        let n = unsafe { libc::sendfile(out_fd, in_fd, &mut off, count) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// One part of a response: bytes in memory, or a region of a file to send with sendfile(2).
pub enum Piece<'a> {
    Mem(&'a [u8]),
    File { fd: i32, position: u64, length: u64 },
}

impl Piece<'_> {
    fn len(&self) -> u64 {
        match self {
            Piece::Mem(b) => b.len() as u64,
            Piece::File { length, .. } => *length,
        }
    }
}

/// Write `pieces` to the non-blocking socket `out_fd`, resuming `done` bytes into them: memory
/// with send(2), file regions with sendfile(2), all in one call so that a Fetch response with a
/// region per partition costs one trip from Python instead of one per piece. Returns the bytes
/// written so far in all; fewer than the total when the socket is full (EAGAIN): wait until it
/// is writable and call again with that count. Memory pieces followed by more of the response
/// go with MSG_MORE, so a partition's small header shares TCP segments with the region after it
/// instead of going out as a packet of its own. A file shorter than its region is UnexpectedEof.
pub fn send_pieces(out_fd: i32, pieces: &[Piece], mut done: u64) -> io::Result<u64> {
    let last = pieces.iter().rposition(|p| p.len() > 0);
    let mut start = 0u64;
    for (i, piece) in pieces.iter().enumerate() {
        let end = start + piece.len();
        while done < end {
            let at = done - start;
            let sent = match piece {
                Piece::Mem(b) => send(out_fd, &b[at as usize..], Some(i) != last),
                Piece::File { fd, position, length } => sendfile(out_fd, *fd, position + at, (length - at) as usize),
            };
            match sent {
                Ok(0) => {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "segment file ended before the fetched region"))
                }
                Ok(n) => done += n as u64,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(done),
                Err(e) => return Err(e),
            }
        }
        start = end;
    }
    Ok(done)
}

fn send(out_fd: i32, buf: &[u8], more: bool) -> io::Result<usize> {
    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL | if more { libc::MSG_MORE } else { 0 };
    loop {
        let n = unsafe { libc::send(out_fd, buf.as_ptr() as *const libc::c_void, buf.len(), flags) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
