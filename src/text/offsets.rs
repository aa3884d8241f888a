//! Byte ↔ code-point offset conversion.
//!
//! Spans are computed on UTF-8 byte offsets inside the pipeline and published twice: as Unicode
//! code points (Python-compatible, end exclusive) and as bytes. [`CharIndex`] converts in O(log n)
//! after an O(n) build, and in O(1) for ASCII-only text.

/// Maps UTF-8 byte offsets of one text to code-point offsets.
#[derive(Debug, Clone)]
pub struct CharIndex {
    /// For every non-ASCII char: (byte start, chars before it, UTF-8 width). Empty for ASCII text,
    /// where byte offsets equal char offsets.
    checkpoints: Vec<(usize, usize, usize)>,
    len_bytes: usize,
    len_chars: usize,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        let mut checkpoints = Vec::new();
        let len_chars = if text.is_ascii() {
            text.len()
        } else {
            let mut n = 0usize;
            for (b, c) in text.char_indices() {
                if !c.is_ascii() {
                    checkpoints.push((b, n, c.len_utf8()));
                }
                n += 1;
            }
            n
        };
        CharIndex { checkpoints, len_bytes: text.len(), len_chars }
    }

    /// Number of code points in the text.
    pub fn len_chars(&self) -> usize {
        self.len_chars
    }

    /// Code-point offset of byte offset `byte` (a char boundary of the text, or its length; a byte
    /// inside a multi-byte char maps to that char's offset).
    pub fn char_of_byte(&self, byte: usize) -> usize {
        if byte >= self.len_bytes {
            return self.len_chars;
        }
        let i = self.checkpoints.partition_point(|&(b, _, _)| b <= byte);
        if i == 0 {
            return byte; // only ASCII before `byte`
        }
        let (b, c, w) = self.checkpoints[i - 1];
        if byte < b + w {
            c
        } else {
            c + 1 + (byte - b - w)
        }
    }

    /// Converts a byte range to a code-point range.
    pub fn char_range(&self, bytes: std::ops::Range<usize>) -> std::ops::Range<usize> {
        self.char_of_byte(bytes.start)..self.char_of_byte(bytes.end)
    }
}

/// Byte offset → code-point offset for a single conversion (O(n)); prefer [`CharIndex`] for many.
pub fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].chars().count()
}

/// Code-point offset → byte offset (O(n)); returns `text.len()` past the end.
pub fn byte_offset(text: &str, chr: usize) -> usize {
    text.char_indices().nth(chr).map(|(b, _)| b).unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_count_on_mixed_text() {
        let t = "Aé😀b\u{301}c « d’Aguelhoc » 🇲🇱 x";
        let idx = CharIndex::new(t);
        for (b, _) in t.char_indices().chain(std::iter::once((t.len(), ' '))) {
            assert_eq!(idx.char_of_byte(b), char_offset(t, b), "byte {b}");
            assert_eq!(byte_offset(t, idx.char_of_byte(b)), b);
        }
        assert_eq!(idx.len_chars(), t.chars().count());
    }

    #[test]
    fn ascii_fast_path() {
        let idx = CharIndex::new("hello");
        assert_eq!(idx.char_range(1..4), 1..4);
        assert_eq!(idx.char_of_byte(99), 5);
    }
}
