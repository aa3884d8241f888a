//! The [`Stage`] trait and the [`Item`] a document becomes while it moves through the stages.
//!
//! A pipeline is `Segment → Tag → Resolve → [Geo] → [Summarize → Translate]` (see
//! [`PipelineConfig`](super::PipelineConfig)); later stages (events) implement the same trait and
//! slot in after `Resolve`. Every stage gets a whole chunk of documents at once, so
//! a model can batch across documents, and the rayon pool is there for per-document work.

use crate::doc::{Annotated, Document, PipelineInfo};
use crate::ner::Span;
use std::ops::Range;

/// Why one document could not be annotated.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error(transparent)]
    Ner(#[from] crate::ner::NerError),
    #[error("{0}")]
    Summary(String),
    #[error("{stage}: {reason}")]
    Stage { stage: &'static str, reason: String },
    #[error("internal error: {0}")]
    Panic(String),
}

/// A document in work: the record being built and what stages hand to the stages after them.
#[derive(Debug)]
pub struct Item {
    /// The output record; stages fill `sentences`, `entities` and `summary`.
    pub record: Annotated,
    /// Sentences as byte ranges of `record.text` (set by `Segment`).
    pub sentence_bytes: Vec<Range<usize>>,
    /// Entity spans per tagger, in tagger order (set by `Tag`, combined by `Resolve`).
    pub layers: Vec<Vec<Span>>,
    /// One vector per sentence from the NER encoder's pass, when a later stage asked for them.
    pub sentence_vectors: Option<Vec<Vec<f32>>>,
    /// Summary sentences as byte ranges (set by `Summarize`, read by `Translate`).
    pub summary_bytes: Vec<Range<usize>>,
}

impl Item {
    /// A fresh item: the document's fields, nothing annotated yet.
    pub fn new(doc: Document, pipeline: PipelineInfo) -> Item {
        Item {
            record: Annotated {
                id: doc.id,
                lang: doc.lang.unwrap_or_else(|| "fr".into()),
                text: doc.text,
                meta: doc.meta,
                sentences: Vec::new(),
                entities: Vec::new(),
                summary: None,
                pipeline,
            },
            sentence_bytes: Vec::new(),
            layers: Vec::new(),
            sentence_vectors: None,
            summary_bytes: Vec::new(),
        }
    }
}

/// A document's place in a chunk: in work, or failed at some stage (later stages skip it).
pub type Slot = Result<Item, AnnotateError>;

/// What a stage does, for the pipeline's bookkeeping (e.g. `entities()` runs only tagging and
/// resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Segment,
    Tag,
    Resolve,
    /// Coordinates of places.
    Geo,
    Summarize,
    Translate,
    /// Any later stage (events, ...).
    Other,
}

/// One step of the pipeline. Implementations are shared by all threads.
pub trait Stage: Send + Sync {
    /// Short name, used in errors and logs.
    fn name(&self) -> &'static str;
    fn kind(&self) -> StageKind;
    /// Entries this stage adds to `pipeline.models` (what produced the annotations; part of the
    /// resume fingerprint).
    fn describe(&self) -> Vec<(String, serde_json::Value)> {
        Vec::new()
    }
    /// Stages that need sentence vectors from the tagger's encoder pass say so here.
    fn wants_sentence_vectors(&self) -> bool {
        false
    }
    /// Processes the live items of a chunk (slots that are `Err` are skipped). A failure that
    /// concerns one document is written into its slot; an `Err` returned (or a panic) fails the
    /// call, and the pipeline reruns the stage on each live item alone so that only the
    /// documents at fault fail. A stage must therefore leave an item unchanged or completely
    /// processed.
    fn run(&self, slots: &mut [Slot]) -> Result<(), AnnotateError>;
}

/// The live items of a chunk.
pub fn live(slots: &mut [Slot]) -> impl Iterator<Item = &mut Item> {
    slots.iter_mut().filter_map(|s| s.as_mut().ok())
}
