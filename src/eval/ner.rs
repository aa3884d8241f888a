//! Exact-span NER scoring, as seqeval does it: a predicted entity counts only if its label and both
//! ends equal those of a gold entity; precision, recall and F1 per label and micro-averaged.
//!
//! Inputs, detected from the first non-blank line (`{` means JSONL):
//! - CoNLL: `token<TAB>tag` or `token tag` (the first column is the token, the last the tag, so
//!   CoNLL-2003 files work), a blank line between sentences, `-DOCSTART-` lines ignored; tags are
//!   `O`, `B-X`, `I-X` (IOB2, or IOB1 where `I-X` after something else starts an entity);
//! - JSONL: one `{"id","text","entities":[{"start","end","label"}]}` per line, code-point spans
//!   (`vigie annotate` output is such a file).
//!
//! Labels `PER` and `LOC` are read as `PERSON` and `LOCATION`; other labels are kept (uppercased).
//!
//! Gold and predictions need not be tokenised the same way, nor be in the same format: spans are
//! compared in *non-space character* coordinates (the position counted in non-whitespace
//! characters from the start of the file), so the two files must hold the same text, in the same
//! order, up to whitespace; if they do not, scoring stops with the first place they differ.

use crate::doc::Label;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: line {line}: {problem}")]
    Line { path: PathBuf, line: usize, problem: String },
    #[error("gold and predictions do not hold the same text: they differ at non-space character {at} (gold {gold:?}, predictions {pred:?})")]
    TextDiffers { at: usize, gold: String, pred: String },
}

/// An entity in non-space character coordinates.
type Span = (usize, usize, String);

/// The annotations of one file: its non-space characters and its entity spans.
#[derive(Debug, Default, PartialEq)]
pub struct Annotations {
    pub chars: Vec<char>,
    pub spans: HashSet<Span>,
}

fn normalize_label(s: &str) -> String {
    s.parse::<Label>().map(|l| l.as_str().to_string()).unwrap_or_else(|_| s.trim().to_ascii_uppercase())
}

/// Reads gold or predictions, CoNLL or JSONL.
pub fn read(path: &Path) -> Result<Annotations, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io { path: path.to_path_buf(), source })?;
    let jsonl = text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with('{'));
    let res = if jsonl { read_jsonl(&text) } else { read_conll(&text) };
    res.map_err(|(line, problem)| EvalError::Line { path: path.to_path_buf(), line, problem })
}

/// An entity being read from CoNLL: label, start.
struct Open(String, usize);

fn close(open: &mut Option<Open>, end: usize, spans: &mut HashSet<Span>) {
    if let Some(Open(label, start)) = open.take() {
        if start < end {
            spans.insert((start, end, label));
        }
    }
}

/// Reads CoNLL; errors are (line, problem).
pub fn read_conll(text: &str) -> Result<Annotations, (usize, String)> {
    let mut a = Annotations::default();
    let mut open: Option<Open> = None;
    let mut end = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            close(&mut open, end, &mut a.spans);
            continue;
        }
        let cols: Vec<&str> =
            if line.contains('\t') { line.split('\t').collect() } else { line.split_whitespace().collect() };
        let (token, tag) = match cols.as_slice() {
            [token, .., tag] => (*token, tag.trim()),
            _ => return Err((i + 1, format!("expected `TOKEN<TAB>TAG`, got {line:?}"))),
        };
        if token == "-DOCSTART-" {
            close(&mut open, end, &mut a.spans);
            continue;
        }
        let start = a.chars.len();
        a.chars.extend(token.chars().filter(|c| !c.is_whitespace()));
        match tag.split_once('-') {
            _ if tag == "O" => close(&mut open, end, &mut a.spans),
            Some(("B", label)) if !label.is_empty() => {
                close(&mut open, end, &mut a.spans);
                open = Some(Open(normalize_label(label), start));
            }
            Some(("I", label)) if !label.is_empty() => {
                let label = normalize_label(label);
                if !matches!(&open, Some(Open(l, _)) if *l == label) {
                    close(&mut open, end, &mut a.spans);
                    open = Some(Open(label, start));
                }
            }
            _ => return Err((i + 1, format!("bad tag {tag:?} (expected O, B-LABEL or I-LABEL)"))),
        }
        end = a.chars.len();
    }
    close(&mut open, end, &mut a.spans);
    Ok(a)
}

#[derive(serde::Deserialize)]
struct GoldDoc {
    text: String,
    #[serde(default)]
    entities: Vec<GoldEntity>,
}

#[derive(serde::Deserialize)]
struct GoldEntity {
    start: usize,
    end: usize,
    label: String,
}

/// Reads JSONL (code-point spans); errors are (line, problem).
pub fn read_jsonl(text: &str) -> Result<Annotations, (usize, String)> {
    let mut a = Annotations::default();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let doc: GoldDoc = serde_json::from_str(line)
            .map_err(|e| (i + 1, format!("not a {{\"text\",\"entities\"}} JSON line: {e}")))?;
        // before[k]: position (non-space coordinates) of code point k.
        let mut before = Vec::with_capacity(doc.text.len() + 1);
        for c in doc.text.chars() {
            before.push(a.chars.len());
            if !c.is_whitespace() {
                a.chars.push(c);
            }
        }
        before.push(a.chars.len());
        for (k, e) in doc.entities.iter().enumerate() {
            if e.start > e.end || e.end >= before.len() {
                let len = before.len() - 1;
                return Err((
                    i + 1,
                    format!("entity {}: offsets {}..{} out of range for a text of {len} chars", k + 1, e.start, e.end),
                ));
            }
            if before[e.start] < before[e.end] {
                a.spans.insert((before[e.start], before[e.end], normalize_label(&e.label)));
            }
        }
    }
    Ok(a)
}

/// Gold JSONL entities with their surface text, as spans in the coordinates of
/// [`Annotations`] (so they can be looked up in the scored sets).
pub fn jsonl_surfaces(text: &str) -> Result<Vec<(Span, String)>, (usize, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let doc: GoldDoc = serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        let chars: Vec<char> = doc.text.chars().collect();
        let mut before = Vec::with_capacity(chars.len() + 1);
        let mut n = offset;
        for c in &chars {
            before.push(n);
            if !c.is_whitespace() {
                n += 1;
            }
        }
        before.push(n);
        for e in &doc.entities {
            if e.start < e.end && e.end < before.len() {
                let surface: String = chars[e.start..e.end].iter().collect();
                out.push(((before[e.start], before[e.end], normalize_label(&e.label)), surface));
            }
        }
        offset = n;
    }
    Ok(out)
}

/// Parses `FROM=TO,...` (label names as [`crate::doc::Label`] or free text, upper-cased).
pub fn parse_label_map(s: &str) -> Result<Vec<(String, String)>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.split_once('=') {
            Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                Ok((normalize_label(a), normalize_label(b)))
            }
            _ => Err(format!("expected FROM=TO, got {p:?}")),
        })
        .collect()
}

/// Renames labels.
pub fn map_labels(mut a: Annotations, pairs: &[(String, String)]) -> Annotations {
    a.spans = a
        .spans
        .into_iter()
        .map(|(s, e, l)| {
            let l = pairs.iter().find(|p| p.0 == l).map(|p| p.1.clone()).unwrap_or(l);
            (s, e, l)
        })
        .collect();
    a
}

/// Range of each JSONL document in the coordinates of [`Annotations`] spans.
pub fn jsonl_doc_ranges(text: &str) -> Result<Vec<std::ops::Range<usize>>, (usize, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let doc: GoldDoc = serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        let n = doc.text.chars().filter(|c| !c.is_whitespace()).count();
        out.push(offset..offset + n);
        offset += n;
    }
    Ok(out)
}

/// Recall per label over a subset of the gold spans: label → (found, total).
pub fn subset_recall<'a>(
    subset: impl IntoIterator<Item = &'a Span>,
    pred: &Annotations,
) -> BTreeMap<String, (usize, usize)> {
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for s in subset {
        let e = out.entry(s.2.clone()).or_default();
        e.1 += 1;
        if pred.spans.contains(s) {
            e.0 += 1;
        }
    }
    out
}

/// One line per label and `all`: `LABEL found/total (recall)`.
pub fn recall_line(r: &BTreeMap<String, (usize, usize)>) -> String {
    let mut parts: Vec<String> = r.iter().map(|(l, (f, t))| format!("{l} {f}/{t} ({:.3})", ratio(*f, *t))).collect();
    let (f, t) = r.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    parts.push(format!("all {f}/{t} ({:.3})", ratio(f, t)));
    parts.join(", ")
}

/// True positives, false positives, false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    /// Number of gold entities.
    pub fn support(&self) -> usize {
        self.tp + self.fn_
    }
}

/// Scores per label and micro-averaged.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub per_label: BTreeMap<String, Counts>,
    pub micro: Counts,
}

fn first_difference(gold: &[char], pred: &[char]) -> Option<usize> {
    (0..gold.len().max(pred.len())).find(|&i| gold.get(i) != pred.get(i))
}

/// Scores `pred` against `gold`.
pub fn score(gold: &Annotations, pred: &Annotations) -> Result<Scores, EvalError> {
    if let Some(at) = first_difference(&gold.chars, &pred.chars) {
        let around = |c: &[char]| c.iter().skip(at).take(20).collect::<String>();
        return Err(EvalError::TextDiffers { at, gold: around(&gold.chars), pred: around(&pred.chars) });
    }
    let labels: BTreeSet<&String> = gold.spans.iter().chain(&pred.spans).map(|s| &s.2).collect();
    let mut per_label = BTreeMap::new();
    let mut micro = Counts::default();
    for label in labels {
        let g: HashSet<&Span> = gold.spans.iter().filter(|s| &s.2 == label).collect();
        let p: HashSet<&Span> = pred.spans.iter().filter(|s| &s.2 == label).collect();
        let tp = g.intersection(&p).count();
        let c = Counts { tp, fp: p.len() - tp, fn_: g.len() - tp };
        micro = Counts { tp: micro.tp + c.tp, fp: micro.fp + c.fp, fn_: micro.fn_ + c.fn_ };
        per_label.insert(label.clone(), c);
    }
    Ok(Scores { per_label, micro })
}

/// Reads both files and scores them.
pub fn evaluate(gold: &Path, pred: &Path) -> Result<Scores, EvalError> {
    score(&read(gold)?, &read(pred)?)
}

impl Scores {
    /// The per-label table; the last line is `micro F1=0.xxx`.
    pub fn table(&self) -> String {
        let mut s = format!("{:<14} {:>9} {:>7} {:>7} {:>8}\n", "label", "precision", "recall", "f1", "support");
        let mut row = |name: &str, c: &Counts| {
            let _ =
                writeln!(s, "{name:<14} {:>9.3} {:>7.3} {:>7.3} {:>8}", c.precision(), c.recall(), c.f1(), c.support());
        };
        for (label, c) in &self.per_label {
            row(label, c);
        }
        row("micro", &self.micro);
        let m = &self.micro;
        let _ = writeln!(s, "tp={} fp={} fn={}", m.tp, m.fp, m.fn_);
        let _ = writeln!(s, "micro F1={:.3}", m.f1());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_maps() {
        let m = parse_label_map("ARMED_GROUP=ORG, WEAPON=misc").unwrap();
        assert_eq!(m, vec![("ARMED_GROUP".into(), "ORG".into()), ("WEAPON".into(), "MISC".into())]);
        assert!(parse_label_map("ORG").is_err());
        let a = read_jsonl(r#"{"id":1,"text":"Le FLA tire.","entities":[{"start":3,"end":6,"label":"ARMED_GROUP"}]}"#)
            .unwrap();
        assert!(map_labels(a, &m).spans.contains(&(2, 5, "ORG".to_string())));
    }

    #[test]
    fn surfaces_and_subset_recall() {
        let g = r#"{"id":1,"text":"Le FLA à Kidal.","entities":[{"start":3,"end":6,"label":"ARMED_GROUP"},{"start":9,"end":14,"label":"LOC"}]}
{"id":2,"text":"Les Bui Warriors.","entities":[{"start":4,"end":16,"label":"ARMED_GROUP"}]}"#;
        let sur = jsonl_surfaces(g).unwrap();
        let gold = read_jsonl(g).unwrap();
        assert_eq!(sur.len(), 3);
        for (s, _) in &sur {
            assert!(gold.spans.contains(s), "{s:?}");
        }
        assert_eq!(sur[2].1, "Bui Warriors");
        let pred = read_jsonl(
            r#"{"id":1,"text":"Le FLA à Kidal.","entities":[{"start":3,"end":6,"label":"ARMED_GROUP"}]}
{"id":2,"text":"Les Bui Warriors.","entities":[]}"#,
        )
        .unwrap();
        let r = subset_recall(sur.iter().map(|x| &x.0), &pred);
        assert_eq!(r["ARMED_GROUP"], (1, 2));
        assert_eq!(r["LOCATION"], (0, 1));
        assert!(recall_line(&r).ends_with("all 1/3 (0.333)"));
    }

    #[test]
    fn conll_chunks_iob2_and_iob1() {
        let a = read_conll("-DOCSTART- O\n\nLe O\nFront B-ARMED_GROUP\nde I-ARMED_GROUP\nl' I-ARMED_GROUP\nAzawad I-ARMED_GROUP\nà O\nGao I-LOC\nKidal B-LOC\n\n").unwrap();
        let want: HashSet<Span> =
            [(2, 17, "ARMED_GROUP".to_string()), (18, 21, "LOCATION".to_string()), (21, 26, "LOCATION".to_string())]
                .into();
        assert_eq!(a.spans, want);
        assert!(read_conll("x B-\n").is_err());
        assert!(read_conll("x Q-LOC\n").is_err());
        assert_eq!(read_conll("lonely\n").unwrap_err().0, 1);
    }

    #[test]
    fn jsonl_and_conll_of_same_text_compare() {
        let g = read_jsonl(r#"{"id":1,"text":"Le FLA à Kidal.","entities":[{"start":3,"end":6,"label":"ARMED_GROUP"},{"start":9,"end":14,"label":"LOC"}]}"#).unwrap();
        let p = read_conll("Le\tO\nFLA\tB-ARMED_GROUP\nà\tO\nKidal\tB-PER\n.\tO\n").unwrap();
        let s = score(&g, &p).unwrap();
        assert_eq!(s.micro, Counts { tp: 1, fp: 1, fn_: 1 });
        assert!((s.micro.f1() - 0.5).abs() < 1e-9);
        assert!(s.table().ends_with("micro F1=0.500\n"));
        let other = read_conll("Le\tO\nFLA\tO\n").unwrap();
        assert!(matches!(score(&g, &other), Err(EvalError::TextDiffers { at: 5, .. })));
    }
}
