//! Line reading with a length cap.

use std::io::{self, BufRead};

/// What [`read_line_capped`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRead {
    /// Bytes consumed from the reader, newline included.
    pub consumed: u64,
    /// The line was longer than the cap: `buf` holds only its first `cap` bytes, the rest was skipped.
    pub truncated: bool,
}

/// Reads one line (up to and including `\n`) into `buf`, keeping at most `cap` bytes; the rest of
/// an over-long line is consumed and dropped, so memory stays bounded. `Ok(None)` at end of input.
pub fn read_line_capped<R: BufRead + ?Sized>(r: &mut R, buf: &mut Vec<u8>, cap: u64) -> io::Result<Option<LineRead>> {
    buf.clear();
    let mut consumed = 0u64;
    let mut truncated = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(if consumed == 0 { None } else { Some(LineRead { consumed, truncated }) });
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = cap.saturating_sub(buf.len() as u64) as usize;
        if take > room {
            truncated = true;
        }
        buf.extend_from_slice(&chunk[..take.min(room)]);
        r.consume(take);
        consumed += take as u64;
        if done {
            return Ok(Some(LineRead { consumed, truncated }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_long_lines_and_continues() {
        let data = b"short\nthis line is long\nlast";
        let mut r = io::BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        let a = read_line_capped(&mut r, &mut buf, 8).unwrap().unwrap();
        assert_eq!((buf.as_slice(), a.truncated, a.consumed), (&b"short\n"[..], false, 6));
        let b = read_line_capped(&mut r, &mut buf, 8).unwrap().unwrap();
        assert!(b.truncated);
        assert_eq!(buf.len(), 8);
        assert_eq!(b.consumed, 18);
        let c = read_line_capped(&mut r, &mut buf, 8).unwrap().unwrap();
        assert_eq!(buf, b"last");
        assert!(!c.truncated);
        assert!(read_line_capped(&mut r, &mut buf, 8).unwrap().is_none());
    }
}
