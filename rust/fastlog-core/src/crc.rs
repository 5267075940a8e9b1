//! CRC-32C (Castagnoli), the checksum of record batch v2. Uses the SSE4.2 `crc32`
//! instruction (three interleaved streams) when the CPU has it, tables otherwise.

/// Continue a CRC-32C: `crc32c_append(crc32c(a), b) == crc32c(a ++ b)`.
#[inline]
pub fn crc32c_append(value: u32, data: &[u8]) -> u32 {
    crc32c::crc32c_append(value, data)
}

#[inline]
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_vectors() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        // RFC 3720 B.4: 32 bytes of zeros / of 0xff.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xffu8; 32]), 0x62A8_AB43);
    }

    #[test]
    fn append_is_concatenation() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = crc32c(&data);
        for split in [0, 1, 7, 4096, 65_537, 100_000] {
            let (a, b) = data.split_at(split);
            assert_eq!(crc32c_append(crc32c(a), b), whole);
        }
    }
}
