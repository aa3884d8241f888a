//! Control-character handling that keeps every offset valid.
//!
//! Documents may contain stray control characters (form feeds from PDF extraction, NULs, C1
//! controls from mis-decoded Windows-1252). They are replaced by characters of the same UTF-8
//! width, so both code-point and byte offsets of the cleaned text equal those of the original:
//! C0 controls other than TAB, LF, CR (and DEL) become a space; C1 controls (U+0080–U+009F, two
//! bytes) become U+00A0 NO-BREAK SPACE (also two bytes).

/// Result of [`sanitize_controls`]: the cleaned text (borrowed when nothing changed) and what changed.
pub struct Sanitized<'a> {
    pub text: std::borrow::Cow<'a, str>,
    /// Number of replaced characters.
    pub replaced: usize,
    /// Code-point offset and value of the first replaced character.
    pub first: Option<(usize, char)>,
}

fn is_bad_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
}

/// Replaces control characters (see module docs) without changing any offset.
pub fn sanitize_controls(text: &str) -> Sanitized<'_> {
    if !text.chars().any(is_bad_control) {
        return Sanitized { text: text.into(), replaced: 0, first: None };
    }
    let mut out = String::with_capacity(text.len());
    let mut replaced = 0;
    let mut first = None;
    for (i, c) in text.chars().enumerate() {
        if is_bad_control(c) {
            replaced += 1;
            first.get_or_insert((i, c));
            out.push(if c.len_utf8() == 1 { ' ' } else { '\u{a0}' });
        } else {
            out.push(c);
        }
    }
    Sanitized { text: out.into(), replaced, first }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_offsets() {
        let t = "a\u{0}b\u{85}c\u{c}d\te\nf";
        let s = sanitize_controls(t);
        assert_eq!(s.replaced, 3);
        assert_eq!(s.first, Some((1, '\u{0}')));
        assert_eq!(s.text.len(), t.len());
        assert_eq!(s.text.chars().count(), t.chars().count());
        assert_eq!(s.text, "a b\u{a0}c d\te\nf");
    }

    #[test]
    fn clean_text_is_borrowed() {
        let s = sanitize_controls("Kidal\n");
        assert!(matches!(s.text, std::borrow::Cow::Borrowed(_)));
    }
}
