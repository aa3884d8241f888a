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
    #[error("{0}")]
    Summary(String),
    #[error("internal error: {0}")]
    Panic(String),
}

/// Turns validated documents into annotated records. Shared by all worker threads.
pub struct Annotator {
    taggers: Vec<Arc<dyn EntityTagger>>,
    summary: Option<super::summary::SummaryStage>,
    info: PipelineInfo,
}

impl Annotator {
    /// Builds an annotator running `taggers` in order; their spans are combined by
    /// [`crate::domain::resolve::combine`] (earlier taggers take precedence).
    pub fn new(taggers: Vec<Arc<dyn EntityTagger>>) -> Self {
        let mut models = serde_json::Map::new();
        models.insert("segmenter".into(), serde_json::Value::String(SEGMENTER_VERSION.into()));
        for t in &taggers {
            models.insert(format!("ner.{}", t.name()), t.describe());
        }
        let info = PipelineInfo { version: env!("CARGO_PKG_VERSION").to_string(), models };
        Annotator { taggers, summary: None, info }
    }

    /// Adds the summary stage (summaries, English translation and brief).
    pub fn with_summary(mut self, stage: super::summary::SummaryStage) -> Self {
        self.info.models.insert("summary".into(), stage.describe());
        self.summary = Some(stage);
        self
    }

    /// Fills `summary` of the successful records: the whole chunk at once, or one by one when that
    /// fails (so one bad document fails alone).
    fn summarize(&self, results: &mut [Result<Annotated, AnnotateError>]) {
        let Some(stage) = &self.summary else { return };
        let mut ok: Vec<&mut Annotated> = results.iter_mut().filter_map(|r| r.as_mut().ok()).collect();
        let n = ok.len();
        match catch(|| stage.apply(&mut ok).map_err(AnnotateError::Summary)) {
            Ok(()) => return,
            Err(e) if n <= 1 => {
                if let Some(r) = results.iter_mut().find(|r| r.is_ok()) {
                    *r = Err(e);
                }
                return;
            }
            Err(e) => tracing::warn!("summary stage failed on a chunk ({e}); retrying document by document"),
        }
        for r in results.iter_mut() {
            if let Ok(a) = r {
                if let Err(e) = catch(|| stage.apply(&mut [&mut *a]).map_err(AnnotateError::Summary)) {
                    *r = Err(e);
                }
            }
        }
    }

    /// What produced the annotations (also part of the resume fingerprint).
    pub fn info(&self) -> &PipelineInfo {
        &self.info
    }

    /// Annotates one document. Never panics: a panic inside a stage becomes an error.
    pub fn annotate(&self, doc: Document) -> Result<Annotated, AnnotateError> {
        let mut res = [catch(|| self.annotate_inner(doc))];
        self.summarize(&mut res);
        let [r] = res;
        r
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
        let mut layers: Vec<Vec<Span>> = Vec::new();
        for t in &self.taggers {
            layers.push(t.tag(input)?);
        }
        Ok(crate::domain::resolve::combine(text, layers))
    }

    /// Annotates a chunk of documents, in order: segmentation and per-document taggers on the
    /// rayon pool, batched taggers (models) once over the whole chunk. Never panics.
    pub fn annotate_batch(&self, docs: Vec<Document>) -> Vec<Result<Annotated, AnnotateError>> {
        use rayon::prelude::*;
        let sentences: Vec<Vec<std::ops::Range<usize>>> = docs.par_iter().map(|d| segment(&d.text)).collect();
        let inputs: Vec<TagInput<'_>> =
            docs.iter().zip(&sentences).map(|(d, s)| TagInput { text: &d.text, sentences: s }).collect();
        let mut spans: Vec<Result<Vec<Vec<Span>>, AnnotateError>> = (0..docs.len()).map(|_| Ok(Vec::new())).collect();
        for t in &self.taggers {
            let found: Vec<Result<Vec<Span>, AnnotateError>> = if t.batched() {
                match catch(|| Ok(t.tag_batch(&inputs))) {
                    Ok(v) if v.len() == inputs.len() => v.into_iter().map(|r| r.map_err(AnnotateError::from)).collect(),
                    Ok(_) => inputs
                        .iter()
                        .map(|_| Err(AnnotateError::Panic("tagger returned a wrong count".into())))
                        .collect(),
                    Err(e) => inputs.iter().map(|_| Err(AnnotateError::Panic(e.to_string()))).collect(),
                }
            } else {
                inputs.par_iter().map(|i| catch(|| t.tag(*i).map_err(AnnotateError::from))).collect()
            };
            for (acc, new) in spans.iter_mut().zip(found) {
                match (acc.as_mut(), new) {
                    (Ok(acc), Ok(new)) => acc.push(new),
                    (Ok(_), Err(e)) => *acc = Err(e),
                    (Err(_), _) => {}
                }
            }
        }
        drop(inputs);
        let mut results: Vec<Result<Annotated, AnnotateError>> = docs
            .into_par_iter()
            .zip(sentences)
            .zip(spans)
            .map(|((doc, sent), layers)| {
                catch(|| {
                    let spans = crate::domain::resolve::combine(&doc.text, layers?);
                    Ok(self.record(doc, &sent, spans))
                })
            })
            .collect();
        self.summarize(&mut results);
        results
    }

    fn annotate_inner(&self, doc: Document) -> Result<Annotated, AnnotateError> {
        let sent_bytes = segment(&doc.text);
        let spans = self.tag_spans(&doc.text, &sent_bytes)?;
        Ok(self.record(doc, &sent_bytes, spans))
    }

    fn record(&self, doc: Document, sent_bytes: &[std::ops::Range<usize>], spans: Vec<Span>) -> Annotated {
        let text = doc.text;
        let idx = CharIndex::new(&text);
        let entities = to_entities(&text, &idx, spans);
        let sentences = sent_bytes
            .iter()
            .map(|r| {
                let c = idx.char_range(r.clone());
                SentenceSpan { start: c.start, end: c.end }
            })
            .collect();
        Annotated {
            id: doc.id,
            lang: doc.lang.unwrap_or_else(|| "fr".into()),
            text,
            meta: doc.meta,
            sentences,
            entities,
            summary: None,
            pipeline: self.info.clone(),
        }
    }
}

/// Runs `f`, turning a panic into an error.
fn catch<T>(f: impl FnOnce() -> Result<T, AnnotateError>) -> Result<T, AnnotateError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        Err(AnnotateError::Panic(msg))
    })
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
