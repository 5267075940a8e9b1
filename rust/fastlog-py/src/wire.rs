//! Writing Kafka response frames in Rust (the compiled Produce and Fetch paths): big-endian
//! integers, and lengths, nulls and tagged fields in the classic or the flexible (compact,
//! KIP-482) form, as protocol/_codec_py.py writes them.

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
