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
}

impl WordTokenizer {
    pub fn load(path: &Path) -> Result<WordTokenizer, ModelError> {
        let tok = Tokenizer::from_file(path).map_err(|e| ModelError::invalid(path, e))?;
        let id = |t: &str| {
            tok.token_to_id(t).map(|i| i as i64).ok_or_else(|| ModelError::invalid(path, format!("no {t} token")))
        };
        let specials = Specials { cls: id("<s>")?, sep: id("</s>")?, pad: id("<pad>")? };
        Ok(WordTokenizer { tok, specials })
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
        Ok(out)
    }
}
