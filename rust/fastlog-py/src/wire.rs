//! Kafka's wire format in Rust (the compiled Produce and Fetch paths): reading request bodies and
//! writing response frames, big-endian integers, and lengths, nulls and tagged fields in the
//! classic or the flexible (compact, KIP-482) form, as protocol/_codec_py.py reads and writes them.

/// A response frame being written; `flexible` from the API's first flexible version on.
pub(crate) struct ResponseWriter {
    pub buf: Vec<u8>,
    pub flexible: bool,
}

impl ResponseWriter {
    pub fn new(capacity: usize, flexible: bool) -> Self {
        ResponseWriter { buf: Vec::with_capacity(capacity), flexible }
    }
    pub fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    /// An array's or a bytes field's length: compact (n + 1) when flexible, else int32.
    pub fn length(&mut self, n: usize) {
        if self.flexible {
            self.uvarint(n as u64 + 1);
        } else {
            self.i32(n as i32);
        }
    }
    /// A string's length: compact (n + 1) when flexible, else int16.
    pub fn string_length(&mut self, n: usize) {
        if self.flexible {
            self.uvarint(n as u64 + 1);
        } else {
            self.i16(n as i16);
        }
    }
    /// A null array or bytes field.
    pub fn null_array(&mut self) {
        if self.flexible {
            self.uvarint(0);
        } else {
            self.i32(-1);
        }
    }
    /// A null string.
    pub fn null_string(&mut self) {
        if self.flexible {
            self.uvarint(0);
        } else {
            self.i16(-1);
        }
    }
    /// No tagged fields (each keeps its default).
    pub fn no_tags(&mut self) {
        if self.flexible {
            self.buf.push(0);
        }
    }
}

/// Reads a request body; None = malformed or unexpected (the Python path then decides, with the
/// codec).
pub(crate) struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    flexible: bool,
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8], flexible: bool) -> Self {
        Reader { b, pos: 0, flexible }
    }
    /// Whether every byte was read.
    pub fn at_end(&self) -> bool {
        self.pos == self.b.len()
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    pub fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    pub fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    pub fn i8(&mut self) -> Option<i8> {
        Some(self.take(1)?[0] as i8)
    }
    pub fn i64(&mut self) -> Option<i64> {
        Some(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    pub fn uvarint(&mut self) -> Option<u32> {
        let mut v: u32 = 0;
        for shift in (0..35).step_by(7) {
            let byte = *self.take(1)?.first()?;
            v |= ((byte & 0x7f) as u32).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    /// A length: int16/int32 (wide) or, flexible, uvarint minus one; -1 = null.
    pub fn length(&mut self, wide: bool) -> Option<i64> {
        if self.flexible {
            Some(self.uvarint()? as i64 - 1)
        } else if wide {
            Some(self.i32()? as i64)
        } else {
            Some(self.i16()? as i64)
        }
    }
    /// Bytes of a nullable string or byte array; None inside = null.
    pub fn nullable(&mut self, wide: bool) -> Option<Option<&'a [u8]>> {
        match self.length(wide)? {
            -1 => Some(None),
            n if n >= 0 => Some(Some(self.take(n as usize)?)),
            _ => None,
        }
    }
    /// An array's element count (a null array is not expected from a client).
    pub fn count(&mut self) -> Option<usize> {
        let n = self.length(true)?;
        if n < 0 || n as usize > self.b.len() - self.pos {
            return None;
        }
        Some(n as usize)
    }
    /// Tagged fields, all skipped: the compiled paths need none of those their requests define.
    pub fn skip_tags(&mut self) -> Option<()> {
        if self.flexible {
            for _ in 0..self.uvarint()? {
                self.uvarint()?;
                let size = self.uvarint()? as usize;
                self.take(size)?;
            }
        }
        Some(())
    }
}
