//! Per-document annotation: segmentation, tagging, offsets, output record.

use crate::doc::{Annotated, Document, Entity, PipelineInfo, SentenceSpan};
use crate::ner::{EntityTagger, Span, TagInput};
use crate::text::offsets::CharIndex;
use crate::text::segment::segment;
use std::sync::Arc;

/// Version of the sentence segmenter rules, recorded in `pipeline.models`.
pub const SEGMENTER_VERSION: &str = "vigie-rules-1";

/// Why one document could not be annotated.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error(transparent)]
    Ner(#[from] crate::ner::NerError),
    #[error("internal error: {0}")]
    Panic(String),
}

/// Turns validated documents into annotated records. Shared by all worker threads.
pub struct Annotator {
    taggers: Vec<Arc<dyn EntityTagger>>,
    info: PipelineInfo,
}

impl Annotator {
    /// Builds an annotator running `taggers` in order; when spans overlap, earlier taggers win.
    pub fn new(taggers: Vec<Arc<dyn EntityTagger>>) -> Self {
        let mut models = serde_json::Map::new();
        models.insert("segmenter".into(), serde_json::Value::String(SEGMENTER_VERSION.into()));
        for t in &taggers {
            models.insert(format!("ner.{}", t.name()), t.describe());
        }
        let info = PipelineInfo { version: env!("CARGO_PKG_VERSION").to_string(), models };
        Annotator { taggers, info }
    }

    /// What produced the annotations (also part of the resume fingerprint).
    pub fn info(&self) -> &PipelineInfo {
        &self.info
    }

    /// Annotates one document. Never panics: a panic inside a stage becomes an error.
    pub fn annotate(&self, doc: Document) -> Result<Annotated, AnnotateError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.annotate_inner(doc))).unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(AnnotateError::Panic(msg))
        })
    }

    /// The entities of a short text (e.g. one sentence), without the rest of the record; a tagger
    /// error gives no entities.
    pub fn entities(&self, text: &str) -> Vec<Entity> {
        let whole = 0..text.len();
        self.tag_spans(text, std::slice::from_ref(&whole))
            .map(|spans| to_entities(text, &CharIndex::new(text), spans))
            .unwrap_or_default()
    }

    fn tag_spans(&self, text: &str, sentences: &[std::ops::Range<usize>]) -> Result<Vec<Span>, AnnotateError> {
        let input = TagInput { text, sentences };
        let mut spans: Vec<Span> = Vec::new();
        for t in &self.taggers {
            merge_spans(&mut spans, t.tag(input)?);
        }
        Ok(spans)
    }

    fn annotate_inner(&self, doc: Document) -> Result<Annotated, AnnotateError> {
        let text = doc.text;
        let idx = CharIndex::new(&text);
        let sent_bytes = segment(&text);
        let spans = self.tag_spans(&text, &sent_bytes)?;
        let entities = to_entities(&text, &idx, spans);
        let sentences = sent_bytes
            .iter()
            .map(|r| {
                let c = idx.char_range(r.clone());
                SentenceSpan { start: c.start, end: c.end }
            })
            .collect();
        Ok(Annotated {
            id: doc.id,
            lang: doc.lang.unwrap_or_else(|| "fr".into()),
            text,
            meta: doc.meta,
            sentences,
            entities,
            summary: None,
            pipeline: self.info.clone(),
        })
    }
}

/// Byte spans → entities with code-point offsets; drops spans that are empty, out of range or
/// not on char boundaries (a tagger bug must not produce wrong offsets).
fn to_entities(text: &str, idx: &CharIndex, spans: Vec<Span>) -> Vec<Entity> {
    spans
        .into_iter()
        .filter(|s| {
            s.start_byte < s.end_byte && text.is_char_boundary(s.start_byte) && text.is_char_boundary(s.end_byte)
        })
        .map(|s| {
            let r = idx.char_range(s.start_byte..s.end_byte);
            Entity {
                start: r.start,
                end: r.end,
                start_byte: s.start_byte,
                end_byte: s.end_byte,
                text: text[s.start_byte..s.end_byte].to_string(),
                label: s.label,
                score: s.score,
                source: s.source,
                canonical: s.canonical,
            }
        })
        .collect()
}

/// Adds the `new` spans (sorted, non-overlapping among themselves) that do not overlap any span
/// already in `acc` (sorted, non-overlapping); keeps `acc` sorted. O((n + m) log n).
fn merge_spans(acc: &mut Vec<Span>, new: Vec<Span>) {
    let key = |s: &Span| (s.start_byte, s.end_byte);
    if acc.is_empty() {
        *acc = new;
        acc.sort_by_key(key);
        return;
    }
    let added: Vec<Span> = new
        .into_iter()
        .filter(|s| {
            let i = acc.partition_point(|a| a.start_byte < s.end_byte);
            !(i > 0 && acc[i - 1].end_byte > s.start_byte)
        })
        .collect();
    acc.extend(added);
    acc.sort_by_key(key);
}
