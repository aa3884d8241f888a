//! brat standoff export and reader.
//!
//! A collection is a directory with `annotation.conf` (the entity types) and, per document,
//! `NAME.txt` (the text, exactly) and `NAME.ann`: one `T` line per entity,
//! `T1<TAB>LABEL START END<TAB>TEXT`, with code-point offsets into the `.txt` (what brat uses).
//! An entity that crosses a line break is written as fragments `START END;START END` (brat does not
//! allow newlines inside a fragment); the reader joins them back into one span. Canonical
//! identities go into `#` `AnnotatorNotes` lines. NAME is the document id with characters outside
//! `[A-Za-z0-9._-]` replaced by `_` (plus `~N` if two ids give the same name).

use crate::doc::{Annotated, Entity, Label};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// One entity read back from an `.ann` file (fragments joined: `start` of the first, `end` of
/// the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub id: String,
    pub label: String,
    pub start: usize,
    pub end: usize,
}

/// Problems in an `.ann` file (1-based line numbers).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnnError {
    #[error("line {0}: expected `T<n><TAB>LABEL START END[;START END...]<TAB>TEXT`")]
    Malformed(usize),
    #[error("line {line}: offsets {start}..{end} out of range for a text of {len} chars")]
    OutOfRange { line: usize, start: usize, end: usize, len: usize },
    #[error("line {line}: the text {given:?} does not match the span ({span:?})")]
    TextMismatch { line: usize, given: String, span: String },
}

/// The entity types, for brat's `annotation.conf`.
fn annotation_conf() -> String {
    let mut s = String::from("[entities]\n");
    for l in Label::ALL {
        let _ = writeln!(s, "{l}");
    }
    s.push_str("\n[relations]\n\n[events]\n\n[attributes]\n");
    s
}

/// Fragments of `e` split at line breaks (code points).
fn fragments(chars: &[char], e: &Entity) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = e.start;
    for (i, c) in chars.iter().enumerate().take(e.end).skip(e.start) {
        if *c == '\n' || *c == '\r' {
            if start < i {
                out.push((start, i));
            }
            start = i + 1;
        }
    }
    if start < e.end {
        out.push((start, e.end));
    }
    out
}

/// The `.ann` content of one document.
pub fn ann(doc: &Annotated) -> String {
    let chars: Vec<char> = doc.text.chars().collect();
    let mut s = String::new();
    let mut n = 0;
    for e in &doc.entities {
        let frags = fragments(&chars, e);
        if frags.is_empty() {
            continue;
        }
        n += 1;
        let offs: Vec<String> = frags.iter().map(|(a, b)| format!("{a} {b}")).collect();
        let text: Vec<String> = frags.iter().map(|(a, b)| chars[*a..*b].iter().collect()).collect();
        let _ = writeln!(s, "T{n}\t{} {}\t{}", e.label, offs.join(";"), text.join(" "));
        if let Some(c) = &e.canonical {
            let kind = c.kind.as_deref().map(|k| format!(" ({k})")).unwrap_or_default();
            let _ =
                writeln!(s, "#{n}\tAnnotatorNotes T{n}\t{} {}{kind}", c.id, c.name.replace(['\t', '\n', '\r'], " "));
        }
    }
    s
}

/// A file name for a document id, unique within `used`.
fn file_name(id: &str, used: &mut HashSet<String>) -> String {
    let base: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let base = if base.is_empty() || base.starts_with('.') { format!("doc{base}") } else { base };
    let mut name = base.clone();
    let mut k = 1;
    while !used.insert(name.clone()) {
        k += 1;
        name = format!("{base}~{k}");
    }
    name
}

/// Writes a brat collection into `dir` (created if needed).
pub fn write_collection(docs: &[Annotated], dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("annotation.conf"), annotation_conf())?;
    let mut used = HashSet::new();
    for doc in docs {
        let name = file_name(&doc.id.to_string(), &mut used);
        std::fs::write(dir.join(format!("{name}.txt")), &doc.text)?;
        std::fs::write(dir.join(format!("{name}.ann")), ann(doc))?;
    }
    Ok(())
}

/// Parses `START END;START END` into fragments.
fn parse_offsets(s: &str) -> Option<Vec<(usize, usize)>> {
    s.split(';')
        .map(|f| {
            let (a, b) = f.trim().split_once(' ')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect()
}

/// Reads the `T` lines of an `.ann` file, checking them against the document text; other lines
/// (notes, relations, events, attributes) are ignored.
pub fn read_ann(ann: &str, text: &str) -> Result<Vec<Span>, AnnError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for (i, line) in ann.lines().enumerate() {
        let line_no = i + 1;
        if !line.starts_with('T') {
            continue;
        }
        let mut cols = line.splitn(3, '\t');
        let (Some(id), Some(typ), given) = (cols.next(), cols.next(), cols.next().unwrap_or("")) else {
            return Err(AnnError::Malformed(line_no));
        };
        let (label, offs) = typ.split_once(' ').ok_or(AnnError::Malformed(line_no))?;
        let frags = parse_offsets(offs).filter(|f| !f.is_empty()).ok_or(AnnError::Malformed(line_no))?;
        let mut pieces = Vec::new();
        for &(start, end) in &frags {
            if start > end || end > chars.len() {
                return Err(AnnError::OutOfRange { line: line_no, start, end, len: chars.len() });
            }
            pieces.push(chars[start..end].iter().collect::<String>());
        }
        let span = pieces.join(" ");
        if span != given {
            return Err(AnnError::TextMismatch { line: line_no, given: given.to_string(), span });
        }
        let (start, end) = (frags[0].0, frags[frags.len() - 1].1);
        out.push(Span { id: id.to_string(), label: label.to_string(), start, end });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_unique() {
        let mut used = HashSet::new();
        assert_eq!(file_name("a/b c", &mut used), "a_b_c");
        assert_eq!(file_name("a?b c", &mut used), "a_b_c~2");
        assert_eq!(file_name("../x", &mut used), "doc.._x");
    }

    #[test]
    fn reader_checks_text_and_joins_fragments() {
        let text = "Le Front de\nlibération.";
        let ok = "T1\tARMED_GROUP 3 11;12 22\tFront de libération\n#1\tAnnotatorNotes T1\tx\n";
        assert_eq!(
            read_ann(ok, text).unwrap(),
            [Span { id: "T1".into(), label: "ARMED_GROUP".into(), start: 3, end: 22 }]
        );
        assert!(matches!(read_ann("T1\tX 3 99\tFront", text), Err(AnnError::OutOfRange { .. })));
        assert!(matches!(read_ann("T1\tX 0 2\tFront", text), Err(AnnError::TextMismatch { .. })));
        assert_eq!(read_ann("T1 X 0 2", text), Err(AnnError::Malformed(1)));
    }
}
