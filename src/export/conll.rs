//! CoNLL export: one `token<TAB>tag` line per token, IOB2 tags (`B-ARMED_GROUP`, `I-ARMED_GROUP`,
//! `O`), a blank line after each sentence and a `-DOCSTART-<TAB>O` line (plus blank line) before
//! each document.
//!
//! Tokenisation: tokens are split at whitespace and around every punctuation or symbol character
//! (each is a token of its own); French elision keeps the apostrophe at the end of the token
//! (`l'armée` → `l'` `armée`, also with `’`). Sentences are the document's `sentences`, except that
//! a sentence boundary falling inside an entity is dropped so that no entity is cut in two.
//!
//! Misaligned spans: token boundaries are also forced at every entity start and end, so an entity
//! that starts or ends inside a word splits that word (`FAMa-x` with entity `FAMa` gives `FAMa` `-`
//! `x` anyway, but `AQMIs` with entity `AQMI` gives `AQMI` `s`). Each token is then either inside
//! one entity or outside all of them, and the file encodes the exact spans: exported gold data
//! scores F1 = 1.0 against itself in `vigie eval ner`, whatever its alignment.

use crate::doc::{Annotated, Entity};
use std::io::{self, Write};
use std::ops::Range;
use unicode_normalization::char::is_combining_mark;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ')
}

/// Token spans (code points) of `chars[range]`; `cuts` (sorted) are positions where a token must
/// end.
pub fn tokenize(chars: &[char], range: Range<usize>, cuts: &[usize]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut cur: Option<usize> = None;
    let close = |cur: &mut Option<usize>, end: usize, out: &mut Vec<Range<usize>>| {
        if let Some(s) = cur.take() {
            out.push(s..end);
        }
    };
    for i in range.clone() {
        let c = chars[i];
        if cuts.binary_search(&i).is_ok() {
            close(&mut cur, i, &mut out);
        }
        if c.is_whitespace() {
            close(&mut cur, i, &mut out);
        } else if is_word(c) {
            cur.get_or_insert(i);
        } else if is_apostrophe(c)
            && cur.is_some()
            && chars.get(i + 1).is_some_and(|n| is_word(*n))
            && i + 1 < range.end
        {
            // Elision: the apostrophe ends the word it follows.
            close(&mut cur, i + 1, &mut out);
        } else {
            close(&mut cur, i, &mut out);
            out.push(i..i + 1);
        }
    }
    close(&mut cur, range.end, &mut out);
    out
}

/// Segments covering the whole text: sentence starts, minus those inside an entity.
fn segments(doc: &Annotated, len: usize) -> Vec<Range<usize>> {
    let inside = |p: usize| doc.entities.iter().any(|e| e.start < p && p < e.end);
    let mut starts: Vec<usize> =
        doc.sentences.iter().map(|s| s.start).filter(|&p| p > 0 && p < len && !inside(p)).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut bounds = vec![0];
    bounds.extend(starts);
    bounds.push(len);
    bounds.windows(2).map(|w| w[0]..w[1]).collect()
}

/// The tag of a token: from the (sorted, non-overlapping) entity that contains it.
fn tag(tok: &Range<usize>, ents: &[Entity], next: &mut usize) -> String {
    while *next < ents.len() && ents[*next].end <= tok.start {
        *next += 1;
    }
    match ents.get(*next) {
        Some(e) if e.start <= tok.start && tok.end <= e.end => {
            let bio = if tok.start == e.start { "B" } else { "I" };
            format!("{bio}-{}", e.label)
        }
        _ => "O".to_string(),
    }
}

/// Writes one document.
pub fn write_doc(doc: &Annotated, w: &mut dyn Write) -> io::Result<()> {
    let chars: Vec<char> = doc.text.chars().collect();
    let mut cuts: Vec<usize> = doc.entities.iter().flat_map(|e| [e.start, e.end]).collect();
    cuts.sort_unstable();
    writeln!(w, "-DOCSTART-\tO\n")?;
    let mut next = 0;
    for seg in segments(doc, chars.len()) {
        let toks = tokenize(&chars, seg, &cuts);
        if toks.is_empty() {
            continue;
        }
        for t in &toks {
            let token: String = chars[t.clone()].iter().collect();
            writeln!(w, "{token}\t{}", tag(t, &doc.entities, &mut next))?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// Writes every document.
pub fn write(docs: &[Annotated], w: &mut dyn Write) -> io::Result<()> {
    docs.iter().try_for_each(|d| write_doc(d, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str, cuts: &[usize]) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        tokenize(&chars, 0..chars.len(), cuts).into_iter().map(|r| chars[r].iter().collect()).collect()
    }

    #[test]
    fn splits_punctuation_and_keeps_elision() {
        assert_eq!(
            toks("L'armée d’Aguelhoc, « 12 » pick-up.", &[]),
            ["L'", "armée", "d’", "Aguelhoc", ",", "«", "12", "»", "pick", "-", "up", "."]
        );
        assert_eq!(toks("l' 'x", &[]), ["l", "'", "'", "x"]);
    }

    #[test]
    fn cuts_force_boundaries() {
        assert_eq!(toks("AQMIs", &[4]), ["AQMI", "s"]);
    }
}
