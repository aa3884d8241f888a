//! Predictions of a model over a gold file's own text, in the gold's format, for `eval ner
//! --model`: CoNLL gold is tagged on its tokens (as the reference spaCy figure was), JSONL gold on
//! its raw text through the pipeline's segmentation and word splitting.

use super::{ModelError, ModelTagger};
use crate::ner::{EntityTagger, TagInput};
use crate::text::offsets::CharIndex;
use crate::text::segment::segment;
use std::fmt::Write as _;

/// Predictions and how much was tagged.
#[derive(Debug, Clone)]
pub struct Predictions {
    /// CoNLL or JSONL text, as the gold.
    pub text: String,
    pub words: usize,
    pub seconds: f64,
}

/// The words of CoNLL sentences (first column; `-DOCSTART-` skipped).
pub fn conll_words(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let word = if line.contains('\t') { line.split('\t').next() } else { line.split_whitespace().next() };
        match word.map(str::trim).filter(|w| !w.is_empty()) {
            None => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            Some("-DOCSTART-") => {}
            Some(w) => cur.push(w.to_string()),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Tags CoNLL sentences; output `word<TAB>TAG` lines.
pub fn predict_conll(tagger: &ModelTagger, gold: &str) -> Result<Predictions, ModelError> {
    let sents = conll_words(gold);
    let t0 = std::time::Instant::now();
    let preds = tagger.model().predict_words(&sents)?;
    let seconds = t0.elapsed().as_secs_f64();
    let mut text = String::new();
    for (words, p) in sents.iter().zip(&preds) {
        // decode → spans → IOB2 tags, so that stray I- tags read as the decoder reads them
        let mut out = vec!["O".to_string(); words.len()];
        for (s, _) in tagger.model().spans(p) {
            out[s.start] = format!("B-{}", s.label);
            for t in &mut out[s.start + 1..s.end] {
                *t = format!("I-{}", s.label);
            }
        }
        for (w, t) in words.iter().zip(out) {
            let _ = writeln!(text, "{w}\t{t}");
        }
        text.push('\n');
    }
    Ok(Predictions { text, words: sents.iter().map(Vec::len).sum(), seconds })
}

/// Tags the `text` of each JSONL line; output `{"id","text","entities"}` lines (code points).
pub fn predict_jsonl(tagger: &ModelTagger, gold: &str) -> Result<Predictions, String> {
    let mut docs: Vec<(serde_json::Value, String)> = Vec::new();
    for (i, line) in gold.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let text = v["text"].as_str().ok_or_else(|| format!("line {}: no \"text\" string", i + 1))?.to_string();
        docs.push((v["id"].clone(), text));
    }
    let t0 = std::time::Instant::now();
    let sentences: Vec<_> = docs.iter().map(|(_, t)| segment(t)).collect();
    let inputs: Vec<TagInput<'_>> =
        docs.iter().zip(&sentences).map(|((_, t), s)| TagInput { text: t, sentences: s }).collect();
    let results = tagger.tag_batch(&inputs);
    let seconds = t0.elapsed().as_secs_f64();
    let mut out = String::new();
    let mut words = 0;
    for ((id, text), res) in docs.iter().zip(results) {
        let spans = res.map_err(|e| e.to_string())?;
        words += super::split_words(text, 0..text.len()).len();
        let idx = CharIndex::new(text);
        let entities: Vec<serde_json::Value> = spans
            .iter()
            .map(|s| {
                let r = idx.char_range(s.start_byte..s.end_byte);
                serde_json::json!({"start": r.start, "end": r.end, "label": s.label, "score": s.score})
            })
            .collect();
        let _ = writeln!(out, "{}", serde_json::json!({"id": id, "text": text, "entities": entities}));
    }
    Ok(Predictions { text: out, words, seconds })
}
