//! LZ4 frame decoding with the C liblz4 (LZ4F API, built from source by `lz4-sys`).
//!
//! Why C: LZ4F's decoder is hardened against malformed input (it uses LZ4_decompress_safe and
//! checks header, block and content checksums) and is faster than lz4_flex's safe decoder, which
//! was a large share of broker time when validating lz4 batches (measurements: docs/bench.md). `Lz4Frames` implements `BufRead` over its
//! own output buffer, so the record walk skips values inside that buffer (no BufReader copy).
//!
//! Memory stays bounded whatever the input claims: one `STREAM_BUF` output buffer plus LZ4F's
//! internal buffers, sized by the frame's declared max block size (at most 4 MiB).
use std::cell::RefCell;
use std::io::{self, BufRead, Read};

use lz4_sys::{
    size_t, LZ4FDecompressOptions, LZ4FDecompressionContext, LZ4F_createDecompressionContext, LZ4F_decompress,
    LZ4F_freeDecompressionContext, LZ4F_getErrorName, LZ4F_isError, LZ4F_VERSION,
};

extern "C" {
    // Stable API since lz4 1.8.0, linked from lz4-sys's static liblz4; lz4-sys only lacks the binding.
    fn LZ4F_resetDecompressionContext(ctx: LZ4FDecompressionContext);
}

/// Output buffer size. Blocks decode straight into it when a whole block fits (default max block
/// size, also librdkafka's and the Java client's, is 64 KiB). Linked blocks: when a call ends
/// mid-frame LZ4F copies the last 64 KiB of history aside (our buffer gets overwritten), so a
/// larger buffer amortizes that copy; a frame that fits in one call is never copied.
const OUT_BUF: usize = 256 * 1024;

/// An LZ4F decompression context plus our output buffer, reused per thread (creating a context
/// allocates its block buffers again; batches are often small).
struct State {
    ctx: LZ4FDecompressionContext,
    buf: Box<[u8]>,
}

impl State {
    fn new() -> io::Result<State> {
        let mut ctx = LZ4FDecompressionContext(std::ptr::null_mut());
        // SAFETY: ctx is a valid out-pointer; on success it owns a context we free in Drop.
        let rc = unsafe { LZ4F_createDecompressionContext(&mut ctx, LZ4F_VERSION) };
        check(rc)?;
        if ctx.0.is_null() {
            return Err(io::Error::new(io::ErrorKind::OutOfMemory, "LZ4F context allocation failed"));
        }
        Ok(State { ctx, buf: vec![0u8; OUT_BUF].into_boxed_slice() })
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // SAFETY: ctx came from LZ4F_createDecompressionContext and is freed exactly once.
        unsafe {
            LZ4F_freeDecompressionContext(LZ4FDecompressionContext(self.ctx.0));
        }
    }
}

thread_local! {
    static CACHED: RefCell<Option<State>> = const { RefCell::new(None) };
}

fn check(rc: size_t) -> io::Result<size_t> {
    // SAFETY: LZ4F_isError/LZ4F_getErrorName accept any code; the name is a static C string.
    unsafe {
        if LZ4F_isError(rc) != 0 {
            let name = std::ffi::CStr::from_ptr(LZ4F_getErrorName(rc)).to_string_lossy();
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("lz4: {name}")));
        }
    }
    Ok(rc)
}

/// Reader over the concatenated LZ4 frames in `input` (skippable frames are ignored, as LZ4F does).
pub struct Lz4Frames<'a> {
    /// Taken from the thread's cache; returned to it on drop.
    ctx: LZ4FDecompressionContext,
    buf: Box<[u8]>,
    input: &'a [u8],
    pos: usize,
    len: usize,
    /// Inside a frame: running out of input here means the payload was truncated.
    mid_frame: bool,
    failed: bool,
}

impl<'a> Lz4Frames<'a> {
    pub fn new(input: &'a [u8]) -> io::Result<Self> {
        let mut st = match CACHED.try_with(|c| c.borrow_mut().take()).ok().flatten() {
            Some(st) => st,
            None => State::new()?,
        };
        let ctx = LZ4FDecompressionContext(st.ctx.0);
        let buf = std::mem::take(&mut st.buf);
        std::mem::forget(st); // ownership of ctx moved into Self (Drop gives it back)
        Ok(Lz4Frames { ctx, buf, input, pos: 0, len: 0, mid_frame: false, failed: false })
    }

    /// Decode more output into `buf` (the caller checked it is fully consumed).
    #[inline(never)]
    fn refill(&mut self) -> io::Result<&[u8]> {
        if self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "lz4: decoder already failed"));
        }
        while self.pos == self.len {
            if self.input.is_empty() {
                if self.mid_frame {
                    self.failed = true;
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "lz4: truncated frame"));
                }
                return Ok(&[]);
            }
            let mut dst_size: size_t = self.buf.len();
            let mut src_size: size_t = self.input.len();
            // stable_dst = 0: we overwrite the buffer, so LZ4F keeps its own copy of the window.
            // skipChecksums (reserved[0]) = 0: checksums present in the frame are verified.
            let opts = LZ4FDecompressOptions { stable_dst: 0, reserved: [0; 3] };
            // SAFETY: dst/src pointers and sizes describe live buffers we own/borrow; LZ4F writes at
            // most dst_size bytes and reads at most src_size bytes, and reports both back.
            let rc = unsafe {
                LZ4F_decompress(
                    LZ4FDecompressionContext(self.ctx.0),
                    self.buf.as_mut_ptr(),
                    &mut dst_size,
                    self.input.as_ptr(),
                    &mut src_size,
                    &opts,
                )
            };
            let hint = check(rc).inspect_err(|_| self.failed = true)?;
            if src_size > self.input.len() || dst_size > self.buf.len() {
                self.failed = true; // cannot happen with a correct liblz4; never index out of bounds
                return Err(io::Error::new(io::ErrorKind::InvalidData, "lz4: decoder overran its buffers"));
            }
            if src_size == 0 && dst_size == 0 {
                self.failed = true; // no progress: never spin
                return Err(io::Error::new(io::ErrorKind::InvalidData, "lz4: decoder made no progress"));
            }
            self.input = &self.input[src_size..];
            self.mid_frame = hint != 0;
            self.pos = 0;
            self.len = dst_size;
        }
        Ok(&self.buf[self.pos..self.len])
    }
}

impl Drop for Lz4Frames<'_> {
    fn drop(&mut self) {
        // A context left mid-frame or after an error must be reset before reuse.
        // SAFETY: self.ctx is a live context we own; State takes over freeing it.
        unsafe { LZ4F_resetDecompressionContext(LZ4FDecompressionContext(self.ctx.0)) };
        let st = State { ctx: LZ4FDecompressionContext(self.ctx.0), buf: std::mem::take(&mut self.buf) };
        // During thread teardown the cache may be gone: then st is simply dropped (freed).
        let _ = CACHED.try_with(|c| *c.borrow_mut() = Some(st));
    }
}

impl BufRead for Lz4Frames<'_> {
    // Hot: called several times per record by the walk; the decoding path stays out of line.
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos < self.len {
            return Ok(&self.buf[self.pos..self.len]);
        }
        self.refill()
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.len);
    }
}

impl Read for Lz4Frames<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let b = self.fill_buf()?;
        let k = b.len().min(out.len());
        out[..k].copy_from_slice(&b[..k]);
        self.consume(k);
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn frame(raw: &[u8]) -> Vec<u8> {
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(raw).unwrap();
        e.finish().unwrap()
    }

    fn read_all(input: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Lz4Frames::new(input)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn roundtrip_concatenated_frames_and_empty_input() {
        let raw: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let mut two = frame(&raw);
        two.extend_from_slice(&frame(b"tail"));
        let mut want = raw.clone();
        want.extend_from_slice(b"tail");
        assert_eq!(read_all(&two).unwrap(), want);
        assert_eq!(read_all(b"").unwrap(), b"");
    }

    #[test]
    fn truncation_garbage_and_context_reuse() {
        let raw = b"hello hello hello hello hello hello".repeat(1000);
        let f = frame(&raw);
        for cut in [1, 4, 7, f.len() / 2, f.len() - 1] {
            assert!(read_all(&f[..cut]).is_err(), "cut at {cut}");
        }
        let mut junk = f.clone();
        junk.extend_from_slice(b"junk after the frame");
        assert!(read_all(&junk).is_err());
        let mut flipped = f.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0xff;
        let _ = read_all(&flipped); // may or may not error; must not crash
        // The cached context was reset after the failures above.
        assert_eq!(read_all(&f).unwrap(), raw);
    }

    #[test]
    fn every_single_byte_corruption_is_handled() {
        // Linked 64 KiB blocks (the clients' default), several blocks, a compressible tail.
        let raw: Vec<u8> = (0..200_000u32).map(|i| (i % 7 + i / 5000) as u8).collect();
        let f = frame(&raw);
        for i in 0..f.len() {
            for x in [0x01u8, 0x80, 0xff] {
                let mut bad = f.clone();
                bad[i] ^= x;
                // Must never crash or overrun; bounded output whatever the header claims.
                if let Ok(out) = read_all(&bad) {
                    assert!(out.len() <= 4 * raw.len(), "flip at {i}");
                }
            }
        }
        assert_eq!(read_all(&f).unwrap(), raw);
    }
}
