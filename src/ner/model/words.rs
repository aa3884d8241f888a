//! Splits raw French text into words the way the training data (WikiNEuRal CoNLL) is tokenised:
//! punctuation marks are words of their own and elided articles/pronouns (`d'`, `l'`, `qu'`…)
//! are split from the following word. Each word is a byte range of the text.

use std::ops::Range;

fn is_split_punct(c: char) -> bool {
    matches!(
        c,
        ',' | ';'
            | ':'
            | '!'
            | '?'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '"'
            | '«'
            | '»'
            | '“'
            | '”'
            | '„'
            | '…'
            | '/'
            | '|'
            | '*'
            | '='
            | '+'
            | '<'
            | '>'
    )
}

/// Whitespace, and invisible format characters that separate or start words (BOM, zero-width
/// space, word joiner); they never belong to a word.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}' | '\u{2060}')
}

/// Abbreviations that keep their period (« M. Traoré », « Mme Diallo », « Dr. Mukwege »).
const ABBREVIATIONS: [&str; 16] =
    ["M", "MM", "Mme", "Mmes", "Mlle", "Dr", "Pr", "Me", "Mgr", "St", "Ste", "Gal", "Gén", "Col", "Lt", "Cdt"];

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

/// Word byte ranges of `text[range]`, in order, never empty, on char boundaries.
pub fn split_words(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let part = &text[range.clone()];
    let mut chunk_start: Option<usize> = None;
    for (i, c) in part.char_indices().chain(std::iter::once((part.len(), ' '))) {
        if is_separator(c) {
            if let Some(s) = chunk_start.take() {
                split_chunk(part, s..i, range.start, &mut out);
            }
        } else if chunk_start.is_none() {
            chunk_start = Some(i);
        }
    }
    out
}

/// Splits one whitespace-free chunk.
fn split_chunk(part: &str, r: Range<usize>, base: usize, out: &mut Vec<Range<usize>>) {
    let s = &part[r.clone()];
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut word_start = 0usize;
    let push = |a: usize, b: usize, out: &mut Vec<Range<usize>>| {
        if a < b {
            out.push(base + r.start + a..base + r.start + b);
        }
    };
    for (k, &(i, c)) in chars.iter().enumerate() {
        let next = chars.get(k + 1).map(|&(_, n)| n);
        let end = i + c.len_utf8();
        if is_split_punct(c) {
            push(word_start, i, out);
            push(i, end, out);
            word_start = end;
        } else if is_apostrophe(c) {
            // elision: letters + apostrophe + letter → split after the apostrophe
            let letters_before = k > 0 && chars[k - 1].1.is_alphabetic();
            if letters_before && next.is_some_and(|n| n.is_alphabetic()) {
                push(word_start, end, out);
                word_start = end;
            } else if !letters_before || next.is_none() {
                push(word_start, i, out);
                push(i, end, out);
                word_start = end;
            }
        } else if c == '.' && next.is_none() && {
            let word = &s[word_start..i];
            ABBREVIATIONS.contains(&word) || (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
        } {
            // « M. », « J. »: the period belongs to the abbreviation or initial
        } else if c == '.' || c == '-' {
            // a final period, or a period/hyphen not inside a word or number, stands alone
            let prev_alnum = k > 0 && chars[k - 1].1.is_alphanumeric();
            let next_alnum = next.is_some_and(|n| n.is_alphanumeric());
            if !(prev_alnum && next_alnum) {
                push(word_start, i, out);
                push(i, end, out);
                word_start = end;
            }
        }
    }
    push(word_start, s.len(), out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &str) -> Vec<&str> {
        split_words(t, 0..t.len()).into_iter().map(|r| &t[r]).collect()
    }

    #[test]
    fn french_tokenisation() {
        assert_eq!(
            words("L'armée malienne (FAMa) a quitté Kidal, aujourd'hui."),
            ["L'", "armée", "malienne", "(", "FAMa", ")", "a", "quitté", "Kidal", ",", "aujourd'", "hui", "."]
        );
        assert_eq!(words("« Wagner » à Tombouctou…"), ["«", "Wagner", "»", "à", "Tombouctou", "…"]);
        assert_eq!(
            words("Saint-Denis, 3.5 km, U.S.A. - fin"),
            ["Saint-Denis", ",", "3.5", "km", ",", "U.S.A", ".", "-", "fin"]
        );
        assert_eq!(words("l’EIGS d’Ansongo"), ["l’", "EIGS", "d’", "Ansongo"]);
        assert!(words("   ").is_empty());
        assert_eq!(
            words("M. Traoré et J. Diallo, Mme. X. Fin."),
            ["M.", "Traoré", "et", "J.", "Diallo", ",", "Mme.", "X.", "Fin", "."]
        );
        assert_eq!(words("\u{feff}Emmanuel\u{200b}Macron"), ["Emmanuel", "Macron"]);
        assert_eq!(words("'quoted'"), ["'", "quoted", "'"]);
    }

    #[test]
    fn ranges_are_on_boundaries_and_cover_non_space() {
        let t = "É-é ’ «x» 1,5 d'É";
        let ws = split_words(t, 0..t.len());
        let joined: String = ws.iter().map(|r| &t[r.clone()]).collect();
        let non_space: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(joined, non_space);
        let sub = split_words(t, 5..t.len());
        assert!(sub.iter().all(|r| r.start >= 5 && t.is_char_boundary(r.start) && t.is_char_boundary(r.end)));
    }
}
