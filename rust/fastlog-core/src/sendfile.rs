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

/// A file region at most this long is read into memory and sent with the bytes around it
/// rather than with a sendfile(2) of its own: for the small regions of a tailing consumer's
/// fetch, one send(2) of a gathered buffer costs far less than a send and a sendfile per
/// partition (each a trip through the TCP stack); copying a few KiB from the page cache is cheap.
pub const GATHER_REGION_BYTES: u64 = 16 * 1024;
/// The most bytes gathered before they are sent (then gathering starts again).
const GATHER_MAX_BYTES: usize = 256 * 1024;

/// Write `pieces` to the non-blocking socket `out_fd`, resuming `done` bytes into them, all in
/// one call so that a Fetch response with a region per partition costs one trip from Python
/// instead of one per piece. Memory pieces and file regions of at most GATHER_REGION_BYTES are
/// gathered into one buffer (regions read with pread(2)) and go out with one send(2); a larger
/// region goes with sendfile(2), the bytes gathered before it first, with MSG_MORE so that they
/// share TCP segments with it. Returns the bytes written so far in all; fewer than the total when
/// the socket is full (EAGAIN): wait until it is writable and call again with that count (bytes
/// gathered but not sent are read again then). A file shorter than its region is UnexpectedEof.
pub fn send_pieces(out_fd: i32, pieces: &[Piece], mut done: u64) -> io::Result<u64> {
    let total: u64 = pieces.iter().map(|p| p.len()).sum();
    // Bytes [done, done + gathered.len()) of the response, read but not sent yet.
    let mut gathered: Vec<u8> = Vec::new();
    let mut start = 0u64;
    for piece in pieces {
        let end = start + piece.len();
        let pos = done + gathered.len() as u64;
        if end <= pos {
            start = end;
            continue;
        }
        let at = pos - start;
        let rest = end - pos;
        match piece {
            Piece::Mem(b) => gathered.extend_from_slice(&b[at as usize..]),
            Piece::File { fd, position, .. } if rest <= GATHER_REGION_BYTES => {
                read_region(*fd, position + at, rest as usize, &mut gathered)?
            }
            Piece::File { fd, position, length } => {
                if !flush(out_fd, &mut gathered, &mut done, true)? {
                    return Ok(done);
                }
                while done < end {
                    let at = done - start;
                    match sendfile(out_fd, *fd, position + at, (length - at) as usize) {
                        Ok(0) => return Err(eof()),
                        Ok(n) => done += n as u64,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(done),
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        if gathered.len() >= GATHER_MAX_BYTES && !flush(out_fd, &mut gathered, &mut done, end < total)? {
            return Ok(done);
        }
        start = end;
    }
    flush(out_fd, &mut gathered, &mut done, false)?;
    Ok(done)
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "segment file ended before the fetched region")
}

/// Append `count` bytes of `fd` from `offset` to `out`.
fn read_region(fd: i32, offset: u64, count: usize, out: &mut Vec<u8>) -> io::Result<()> {
    let from = out.len();
    out.resize(from + count, 0);
    let mut got = 0usize;
    while got < count {
        let buf = &mut out[from + got..];
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), (offset + got as u64) as libc::off_t) };
        if n > 0 {
            got += n as usize;
        } else if n == 0 {
            return Err(eof());
        } else {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Send the gathered bytes, `more` when more of the response follows them (MSG_MORE). True when
/// all went out (the buffer is then empty); false when the socket filled up first.
fn flush(out_fd: i32, gathered: &mut Vec<u8>, done: &mut u64, more: bool) -> io::Result<bool> {
    let mut sent = 0usize;
    while sent < gathered.len() {
        match send(out_fd, &gathered[sent..], more) {
            Ok(n) => {
                sent += n;
                *done += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    gathered.clear();
    Ok(true)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    /// The receiving end gets exactly the pieces' bytes in order, whether a region is gathered
    /// or sent with sendfile, and however often the socket fills up in between.
    #[test]
    fn sends_every_piece_in_order_through_a_full_socket() {
        let mut file = tempfile::tempfile().unwrap();
        let content: Vec<u8> = (0..400_000u32).map(|i| (i * 7 % 251) as u8).collect();
        file.write_all(&content).unwrap();
        let fd = file.as_raw_fd();
        let heads: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10 + i as usize]).collect();
        let regions = [(3u64, 100u64), (1000, GATHER_REGION_BYTES), (20_000, 200_000), (250_000, 0), (260_000, 40)];
        let mut pieces = Vec::new();
        let mut expected = Vec::new();
        for (head, &(position, length)) in heads.iter().zip(&regions) {
            pieces.push(Piece::Mem(head));
            expected.extend_from_slice(head);
            pieces.push(Piece::File { fd, position, length });
            expected.extend_from_slice(&content[position as usize..(position + length) as usize]);
        }
        pieces.push(Piece::Mem(b"tail"));
        expected.extend_from_slice(b"tail");
        let (out, mut peer) = UnixStream::pair().unwrap();
        out.set_nonblocking(true).unwrap();
        let mut received = Vec::new();
        let mut done = 0u64;
        let mut calls = 0;
        while done < expected.len() as u64 {
            done = send_pieces(out.as_raw_fd(), &pieces, done).unwrap();
            calls += 1;
            let mut buf = vec![0u8; 65536];
            let n = peer.read(&mut buf).unwrap();
            received.extend_from_slice(&buf[..n]);
        }
        drop(out);
        peer.read_to_end(&mut received).unwrap();
        assert!(calls > 1, "the socket never filled up: the resume path was not exercised");
        assert_eq!(received, expected);
    }

    #[test]
    fn a_region_past_the_end_of_its_file_is_eof() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"short").unwrap();
        let (out, _peer) = UnixStream::pair().unwrap();
        for length in [100, GATHER_REGION_BYTES + 1] {
            let pieces = [Piece::Mem(b"head"), Piece::File { fd: file.as_raw_fd(), position: 0, length }];
            let e = send_pieces(out.as_raw_fd(), &pieces, 0).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        }
    }
}
