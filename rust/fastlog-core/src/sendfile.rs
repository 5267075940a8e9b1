//! One non-blocking sendfile(2) call for zero-copy Fetch responses.
use std::io;

/// Send up to `count` bytes of `in_fd` from `offset` to `out_fd`. Returns bytes sent (may be
/// fewer than asked); EAGAIN comes back as an error of kind WouldBlock.
pub fn sendfile(out_fd: i32, in_fd: i32, offset: u64, count: usize) -> io::Result<usize> {
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
