//! BIO tag sets and the decoding of per-word tags into entity spans.

use crate::doc::Label;

/// The tags a model predicts: `O`, then `B-X`, `I-X` for each label X, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSet {
    labels: Vec<Label>,
}

/// A tag id: 0 is `O`; `1 + 2k` is `B-labels[k]`, `2 + 2k` is `I-labels[k]`.
pub type TagId = usize;

/// An entity over words: `start..end` word indices (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WordSpan {
    pub start: usize,
    pub end: usize,
    pub label: Label,
}

impl TagSet {
    /// A tag set over `labels` (deduplicated, kept in the given order).
    pub fn new(labels: &[Label]) -> TagSet {
        let mut out: Vec<Label> = Vec::new();
        for &l in labels {
            if !out.contains(&l) {
                out.push(l);
            }
        }
        TagSet { labels: out }
    }

    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// Number of tags (`1 + 2 × labels`).
    pub fn len(&self) -> usize {
        1 + 2 * self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Tag names in id order, e.g. `["O", "B-PERSON", "I-PERSON", …]`.
    pub fn names(&self) -> Vec<String> {
        (0..self.len()).map(|t| self.name(t)).collect()
    }

    pub fn name(&self, tag: TagId) -> String {
        match self.split(tag) {
            None => "O".into(),
            Some((true, l)) => format!("B-{l}"),
            Some((false, l)) => format!("I-{l}"),
        }
    }

    /// `None` for `O`, else (is-begin, label).
    pub fn split(&self, tag: TagId) -> Option<(bool, Label)> {
        if tag == 0 || tag >= self.len() {
            return None;
        }
        Some(((tag - 1) % 2 == 0, self.labels[(tag - 1) / 2]))
    }

    /// Parses `O`, `B-X`, `I-X` (X as `Label` reads it: `PER`, `LOC`, … are accepted).
    pub fn parse(&self, tag: &str) -> Result<TagId, String> {
        let tag = tag.trim();
        if tag == "O" {
            return Ok(0);
        }
        let (prefix, label) = tag.split_once('-').ok_or_else(|| format!("bad tag {tag:?}"))?;
        let label: Label = label.parse()?;
        let k = self
            .labels
            .iter()
            .position(|&l| l == label)
            .ok_or_else(|| format!("label {label} is not in this model's tag set {:?}", self.names()))?;
        match prefix {
            "B" => Ok(1 + 2 * k),
            "I" => Ok(2 + 2 * k),
            _ => Err(format!("bad tag {tag:?} (expected O, B-LABEL or I-LABEL)")),
        }
    }

    /// Entity spans from per-word tags. An `I-X` that does not continue an `X` entity starts one
    /// (as seqeval reads IOB1), so no predicted entity word is dropped.
    pub fn decode(&self, tags: &[TagId]) -> Vec<WordSpan> {
        let mut spans = Vec::new();
        let mut open: Option<(usize, Label)> = None;
        for (i, &t) in tags.iter().enumerate() {
            match self.split(t) {
                None => {
                    if let Some((s, l)) = open.take() {
                        spans.push(WordSpan { start: s, end: i, label: l });
                    }
                }
                Some((begin, l)) => {
                    let continues = !begin && matches!(open, Some((_, ol)) if ol == l);
                    if !continues {
                        if let Some((s, ol)) = open.take() {
                            spans.push(WordSpan { start: s, end: i, label: ol });
                        }
                        open = Some((i, l));
                    }
                }
            }
        }
        if let Some((s, l)) = open {
            spans.push(WordSpan { start: s, end: tags.len(), label: l });
        }
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts() -> TagSet {
        TagSet::new(&[Label::Person, Label::Org, Label::Location, Label::Misc])
    }

    #[test]
    fn names_and_parse_round_trip() {
        let t = ts();
        assert_eq!(t.len(), 9);
        for (i, n) in t.names().iter().enumerate() {
            assert_eq!(t.parse(n).unwrap(), i);
        }
        assert_eq!(t.parse("B-PER").unwrap(), 1);
        assert_eq!(t.parse("I-LOC").unwrap(), 6);
        assert!(t.parse("B-WEAPON").unwrap_err().contains("not in this model"));
        assert!(t.parse("X-PER").is_err());
        assert!(t.parse("B-FOO").is_err());
    }

    #[test]
    fn decode_bio_and_stray_inside() {
        let t = ts();
        let (bp, ip, bl, il) = (1, 2, 5, 6);
        let spans = t.decode(&[0, bp, ip, 0, il, il, bl, bl, ip]);
        assert_eq!(
            spans,
            vec![
                WordSpan { start: 1, end: 3, label: Label::Person },
                WordSpan { start: 4, end: 6, label: Label::Location },
                WordSpan { start: 6, end: 7, label: Label::Location },
                WordSpan { start: 7, end: 8, label: Label::Location },
                WordSpan { start: 8, end: 9, label: Label::Person },
            ]
        );
        assert!(t.decode(&[]).is_empty());
        assert!(t.decode(&[0, 0]).is_empty());
    }
}
