//! Training data (CoNLL sentences) and the word → subword tokenizer shared by training and
//! inference.

use super::{ModelError, Specials, TagId, TagSet};
use crate::doc::Label;
use std::path::Path;
use tokenizers::{InputSequence, Tokenizer};

/// A tagged sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    pub words: Vec<String>,
    pub tags: Vec<TagId>,
}

/// Reads `token<TAB>tag` (or space-separated; first column token, last column tag) sentences
/// separated by blank lines; `-DOCSTART-` lines are skipped. Tags must belong to `tags`.
pub fn read_conll_sentences(path: &Path, tags: &TagSet) -> Result<Vec<Sentence>, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    let mut out = Vec::new();
    let mut cur = Sentence { words: Vec::new(), tags: Vec::new() };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !cur.words.is_empty() {
                out.push(std::mem::replace(&mut cur, Sentence { words: Vec::new(), tags: Vec::new() }));
            }
            continue;
        }
        let cols: Vec<&str> =
            if line.contains('\t') { line.split('\t').collect() } else { line.split_whitespace().collect() };
        let (word, tag) = match cols.as_slice() {
            [w, .., t] if !w.trim().is_empty() => (w.trim(), *t),
            _ => {
                return Err(ModelError::Data {
                    path: path.to_path_buf(),
                    line: i + 1,
                    msg: format!("expected `TOKEN<TAB>TAG`, got {line:?}"),
                })
            }
        };
        if word == "-DOCSTART-" {
            continue;
        }
        let tag = tags.parse(tag).map_err(|msg| ModelError::Data { path: path.to_path_buf(), line: i + 1, msg })?;
        cur.words.push(word.to_string());
        cur.tags.push(tag);
    }
    if !cur.words.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// The labels used in a CoNLL file, in `Label` order.
pub fn conll_labels(path: &Path) -> Result<Vec<Label>, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    let mut labels = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let Some(tag) = line.split(['\t', ' ']).filter(|s| !s.is_empty()).last() else { continue };
        if line.trim().is_empty() || tag == "O" || line.starts_with("-DOCSTART-") {
            continue;
        }
        let label = tag.split_once('-').map(|(_, l)| l).unwrap_or(tag);
        let l: Label = label.parse().map_err(|msg| ModelError::Data { path: path.to_path_buf(), line: i + 1, msg })?;
        labels.insert(l);
    }
    // generic labels first, in the order WikiNEuRal lists them, then the domain labels
    let order = [Label::Person, Label::Org, Label::Location, Label::Misc, Label::ArmedGroup, Label::Weapon];
    Ok(order.into_iter().filter(|l| labels.contains(l)).collect())
}

/// Words → subword pieces with the encoder's SentencePiece tokenizer (each word gets its own
/// `▁` prefix, as in training).
pub struct WordTokenizer {
    tok: Tokenizer,
    pub specials: Specials,
    /// With a pruned embedding table: the row of each tokenizer id (ids whose piece was pruned
    /// go to `<unk>`'s row), and how many pieces were read through `<unk>` that way.
    remap: Option<Remap>,
}

struct Remap {
    rows: Vec<u32>,
    unk_row: u32,
    fallbacks: std::sync::atomic::AtomicU64,
    pieces: std::sync::atomic::AtomicU64,
}

/// Which rows of the embedding table a model keeps in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VocabPolicy {
    /// Pieces made only of Latin-script letters, digits, punctuation and symbols (French news
    /// and the names in it): about a third of the 250,002 rows of multilingual-e5-small. Other
    /// pieces (Arabic, Cyrillic, CJK, emoji, ...) are read as `<unk>`; the run report counts them.
    #[default]
    Latin,
    /// Every row.
    Full,
}

impl std::str::FromStr for VocabPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "latin" => Ok(VocabPolicy::Latin),
            "full" => Ok(VocabPolicy::Full),
            o => Err(format!("unknown vocabulary {o:?} (latin or full)")),
        }
    }
}

impl std::fmt::Display for VocabPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VocabPolicy::Latin => "latin",
            VocabPolicy::Full => "full",
        })
    }
}

/// True for a piece of Latin-script text: every character is ASCII, Latin-1, Latin Extended
/// A/B, IPA extensions, spacing modifiers, combining diacritics, Latin Extended Additional,
/// general punctuation, super/subscripts, currency, letterlike symbols and number forms, or the
/// SentencePiece word marker `▁`.
pub fn latin_piece(piece: &str) -> bool {
    piece.chars().all(|c| {
        matches!(c as u32,
            0x0000..=0x036F | 0x1E00..=0x1EFF | 0x2000..=0x218F | 0x2581)
    })
}

impl WordTokenizer {
    pub fn load(path: &Path) -> Result<WordTokenizer, ModelError> {
        let tok = Tokenizer::from_file(path).map_err(|e| ModelError::invalid(path, e))?;
        let id = |t: &str| {
            tok.token_to_id(t).map(|i| i as i64).ok_or_else(|| ModelError::invalid(path, format!("no {t} token")))
        };
        let specials = Specials { cls: id("<s>")?, sep: id("</s>")?, pad: id("<pad>")? };
        Ok(WordTokenizer { tok, specials, remap: None })
    }

    /// The embedding rows `policy` keeps, in id order (special tokens always), or `None` for
    /// all of them.
    pub fn kept_rows(&self, policy: VocabPolicy) -> Option<Vec<u32>> {
        match policy {
            VocabPolicy::Full => None,
            VocabPolicy::Latin => {
                let n = self.tok.get_vocab_size(true) as u32;
                Some((0..n).filter(|&id| id < 4 || self.tok.id_to_token(id).is_some_and(|p| latin_piece(&p))).collect())
            }
        }
    }

    /// From now on, give ids as rows of an embedding table that keeps only `kept` (ascending
    /// tokenizer ids): every other id becomes `<unk>`'s row.
    pub fn prune_to(&mut self, kept: &[u32]) -> Result<(), ModelError> {
        let n = self.tok.get_vocab_size(true);
        let unk = self.tok.token_to_id("<unk>").ok_or_else(|| ModelError::Tokenize("no <unk> token".into()))?;
        let mut rows = vec![u32::MAX; n];
        for (row, &id) in kept.iter().enumerate() {
            if let Some(r) = rows.get_mut(id as usize) {
                *r = row as u32;
            }
        }
        let unk_row = rows
            .get(unk as usize)
            .copied()
            .filter(|&r| r != u32::MAX)
            .ok_or_else(|| ModelError::Tokenize("<unk> is not among the kept embedding rows".into()))?;
        let row = |id: i64| -> Result<i64, ModelError> {
            match rows.get(id as usize) {
                Some(&r) if r != u32::MAX => Ok(r as i64),
                _ => Err(ModelError::Tokenize(format!("special token {id} is not among the kept rows"))),
            }
        };
        self.specials =
            Specials { cls: row(self.specials.cls)?, sep: row(self.specials.sep)?, pad: row(self.specials.pad)? };
        self.remap = Some(Remap { rows, unk_row, fallbacks: Default::default(), pieces: Default::default() });
        Ok(())
    }

    /// Pieces read through `<unk>` because their row was pruned, and all pieces, since load.
    pub fn fallback_counts(&self) -> Option<(u64, u64)> {
        use std::sync::atomic::Ordering::Relaxed;
        self.remap.as_ref().map(|r| (r.fallbacks.load(Relaxed), r.pieces.load(Relaxed)))
    }

    /// The pieces of each word (possibly empty for a word the vocabulary drops entirely).
    pub fn pieces<S: AsRef<str>>(&self, words: &[S]) -> Result<Vec<Vec<u32>>, ModelError> {
        let mut out = vec![Vec::new(); words.len()];
        if words.is_empty() {
            return Ok(out);
        }
        let seq: Vec<&str> = words.iter().map(|w| w.as_ref()).collect();
        let enc = self
            .tok
            .encode(InputSequence::PreTokenized(seq.into()), false)
            .map_err(|e| ModelError::Tokenize(e.to_string()))?;
        for (&id, w) in enc.get_ids().iter().zip(enc.get_word_ids()) {
            if let Some(w) = w {
                out[*w as usize].push(id);
            }
        }
        if let Some(r) = &self.remap {
            use std::sync::atomic::Ordering::Relaxed;
            let (mut total, mut fell) = (0u64, 0u64);
            for id in out.iter_mut().flatten() {
                total += 1;
                *id = match r.rows.get(*id as usize) {
                    Some(&row) if row != u32::MAX => row,
                    _ => {
                        fell += 1;
                        r.unk_row
                    }
                };
            }
            r.pieces.fetch_add(total, Relaxed);
            r.fallbacks.fetch_add(fell, Relaxed);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod vocab_tests {
    use super::*;

    #[test]
    fn latin_pieces() {
        for p in ["▁Kidal", "▁l'", "é", "▁«", "»", "œuvre", "▁€", "…", "▁Ğ", "ắ", "12"] {
            assert!(latin_piece(p), "{p}");
        }
        for p in ["▁كيدال", "▁Москва", "中", "🙂", "▁α"] {
            assert!(!latin_piece(p), "{p}");
        }
        assert_eq!("latin".parse::<VocabPolicy>(), Ok(VocabPolicy::Latin));
        assert_eq!("full".parse::<VocabPolicy>().unwrap().to_string(), "full");
        assert!("half".parse::<VocabPolicy>().is_err());
    }
}
