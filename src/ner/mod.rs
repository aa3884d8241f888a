//! NER stage: the [`EntityTagger`] trait and its implementations.
//!
//! Taggers work on byte offsets of the (sanitised) document text; the pipeline converts them to
//! code-point offsets when it builds the output. The lexicon tagger ([`LexiconTagger`]) is the first
//! implementation; the transformer model implements the same trait.

mod lexicon;
pub mod model;

pub use lexicon::LexiconTagger;

use crate::doc::{Canonical, Label, Source};
use std::ops::Range;

/// A text to tag, with its sentence segmentation (byte ranges).
#[derive(Debug, Clone, Copy)]
pub struct TagInput<'a> {
    pub text: &'a str,
    pub sentences: &'a [Range<usize>],
}

/// An entity span in byte offsets, before the pipeline adds code-point offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub start_byte: usize,
    pub end_byte: usize,
    pub label: Label,
    pub score: f32,
    pub source: Source,
    pub canonical: Option<Canonical>,
}

/// What a tagger found in one document: its spans and, when asked of a tagger that can (see
/// [`EntityTagger::sentence_vectors`]), one L2-normalised vector per input sentence from the
/// same encoder pass (zeros for a sentence without words).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tagged {
    pub spans: Vec<Span>,
    pub sentence_vectors: Option<Vec<Vec<f32>>>,
}

/// Errors a tagger can return for one document.
#[derive(Debug, thiserror::Error)]
pub enum NerError {
    #[error("tagger {tagger}: {reason}")]
    Failed { tagger: String, reason: String },
}

/// A named-entity tagger. Implementations are shared by all worker threads.
pub trait EntityTagger: Send + Sync {
    /// Short name recorded in `pipeline.models`.
    fn name(&self) -> &str;
    /// Description recorded in `pipeline.models` (version, fingerprint, sizes).
    fn describe(&self) -> serde_json::Value;
    /// Tags one document. Spans must be on char boundaries, non-empty, sorted, non-overlapping.
    fn tag(&self, input: TagInput<'_>) -> Result<Vec<Span>, NerError>;
    /// True when [`tag_batch`](Self::tag_batch) should get a whole chunk of documents from one
    /// thread (models that batch and parallelise internally) rather than one document per thread.
    fn batched(&self) -> bool {
        false
    }
    /// Tags several documents; implementations that batch (models) override this.
    fn tag_batch(&self, inputs: &[TagInput<'_>]) -> Vec<Result<Vec<Span>, NerError>> {
        inputs.iter().map(|i| self.tag(*i)).collect()
    }
    /// True when the tagger can give sentence vectors with its spans (an encoder's states), so a
    /// later stage (summaries) needs no second encoder pass.
    fn sentence_vectors(&self) -> bool {
        false
    }
    /// [`tag_batch`](Self::tag_batch) with, when `with_vectors` and the tagger can, sentence
    /// vectors; the default gives none.
    fn tag_batch_with_vectors(&self, inputs: &[TagInput<'_>], with_vectors: bool) -> Vec<Result<Tagged, NerError>> {
        let _ = with_vectors;
        self.tag_batch(inputs).into_iter().map(|r| r.map(|spans| Tagged { spans, sentence_vectors: None })).collect()
    }
}
