//! What HTTP (MS-WMSP) and RTSP share: a message head of text lines ended by a blank line.
//! Sans-IO.

/// Where a head ends: the index after its blank line, if the head is complete within the first
/// `limit` bytes. Accepts bare LF line ends too (hand-written servers use them).
pub fn head_end(buf: &[u8], limit: usize) -> Option<usize> {
    let scan = buf.len().min(limit);
    let mut i = 0;
    while i < scan {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_crlf_and_lf_heads() {
        assert_eq!(head_end(b"A\r\nB: c\r\n\r\nbody", 100), Some(11));
        assert_eq!(head_end(b"A\nB: c\n\nbody", 100), Some(8));
        assert_eq!(head_end(b"A\r\nB: c\r\n", 100), None);
        assert_eq!(head_end(b"A\r\nB: c\r\n\r\n", 3), None);
    }
}
